"""reporting lines people can trust: invitations, an audit log, admins; existing lines become pending

Every reporting line recorded so far was claimed by the manager alone (`team add`, `talk`), so none
is trusted: each becomes an invitation the rep is asked to accept (a "line_invite" nudge, worded at
send time with Accept / Decline buttons), the manager gets a note saying so ("line_pending"), the
change is logged, and the retrospectives filed under the claimed line leave the manager's reports
until the rep confirms.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:10:00
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa
import sqlmodel

from storage.types import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INVITE_DAYS = 14  # storage.lines.INVITE_DAYS at the time of writing; a migration keeps its own copy


def upgrade() -> None:
    # The default stays on the column: dropping it would make SQLite rebuild `people`, which every table
    # refers to.
    op.add_column('people', sa.Column('is_admin', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'reporting_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('rep_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['manager_id'], ['people.id']),
        sa.ForeignKeyConstraint(['rep_id'], ['people.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reporting_invites_rep', 'reporting_invites', ['rep_id', 'status'])
    op.create_index('ix_reporting_invites_manager', 'reporting_invites', ['manager_id', 'status'])
    op.create_table(
        'reporting_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('rep_id', sa.Integer(), nullable=False),
        sa.Column('old_manager_id', sa.Integer(), nullable=True),
        sa.Column('new_manager_id', sa.Integer(), nullable=True),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('how', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['by_id'], ['people.id']),
        sa.ForeignKeyConstraint(['new_manager_id'], ['people.id']),
        sa.ForeignKeyConstraint(['old_manager_id'], ['people.id']),
        sa.ForeignKeyConstraint(['rep_id'], ['people.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reporting_changes_rep', 'reporting_changes', ['workspace_id', 'rep_id', 'at'])
    _claimed_lines_become_pending()


def _claimed_lines_become_pending() -> None:
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    people = sa.table('people', sa.column('id'), sa.column('workspace_id'), sa.column('manager_id'))
    invites = sa.table('reporting_invites', sa.column('id'), sa.column('workspace_id'), sa.column('rep_id'),
                       sa.column('manager_id'), sa.column('status'), sa.column('created_at', UTCDateTime()),
                       sa.column('expires_at', UTCDateTime()))
    changes = sa.table('reporting_changes', sa.column('workspace_id'), sa.column('rep_id'),
                       sa.column('old_manager_id'), sa.column('new_manager_id'), sa.column('by_id'),
                       sa.column('how'), sa.column('at', UTCDateTime()))
    nudges = sa.table('nudges', sa.column('workspace_id'), sa.column('recipient_id'), sa.column('kind'),
                      sa.column('subject'), sa.column('dedupe_key'), sa.column('due_at', UTCDateTime()),
                      sa.column('status'), sa.column('attempts'), sa.column('payload'),
                      sa.column('created_at', UTCDateTime()))
    retros = sa.table('retrospectives', sa.column('rep_id'), sa.column('manager_id'))
    lines = conn.execute(sa.select(people.c.id, people.c.workspace_id, people.c.manager_id)
                         .where(people.c.manager_id.is_not(None))).all()
    for rep_id, workspace_id, manager_id in lines:
        conn.execute(invites.insert().values(workspace_id=workspace_id, rep_id=rep_id, manager_id=manager_id,
                                             status='pending', created_at=now, expires_at=now + timedelta(days=INVITE_DAYS)))
        invite_id = conn.execute(sa.select(invites.c.id).where(invites.c.rep_id == rep_id,
                                                               invites.c.manager_id == manager_id)).scalar_one()
        conn.execute(changes.insert().values(workspace_id=workspace_id, rep_id=rep_id, old_manager_id=manager_id,
                                             new_manager_id=None, by_id=None, how='migrated', at=now))
        for recipient, kind, key in ((rep_id, 'line_invite', 'ask'), (manager_id, 'line_pending', 'note')):
            conn.execute(nudges.insert().values(
                workspace_id=workspace_id, recipient_id=recipient, kind=kind, subject=f"invite:{invite_id}",
                dedupe_key=f"invite:{invite_id}:{key}:{now:%Y%m%d%H%M%S}", due_at=now, status='pending',
                attempts=0, payload='{}', created_at=now))
        conn.execute(retros.update().where(retros.c.rep_id == rep_id, retros.c.manager_id == manager_id)
                     .values(manager_id=None))
    conn.execute(people.update().where(people.c.manager_id.is_not(None)).values(manager_id=None))


def downgrade() -> None:
    # The pending lines go back to being recorded (as they were before), so nothing is lost.
    conn = op.get_bind()
    people = sa.table('people', sa.column('id'), sa.column('manager_id'))
    invites = sa.table('reporting_invites', sa.column('rep_id'), sa.column('manager_id'), sa.column('status'))
    nudges = sa.table('nudges', sa.column('kind'))
    conn.execute(nudges.delete().where(nudges.c.kind.in_(('line_invite', 'line_pending'))))  # name invitations
    for rep_id, manager_id in conn.execute(sa.select(invites.c.rep_id, invites.c.manager_id)
                                           .where(invites.c.status == 'pending')).all():
        conn.execute(people.update().where(people.c.id == rep_id, people.c.manager_id.is_(None))
                     .values(manager_id=manager_id))
    op.drop_index('ix_reporting_changes_rep', table_name='reporting_changes')
    op.drop_table('reporting_changes')
    op.drop_index('ix_reporting_invites_manager', table_name='reporting_invites')
    op.drop_index('ix_reporting_invites_rep', table_name='reporting_invites')
    op.drop_table('reporting_invites')
    op.drop_column('people', 'is_admin')  # SQLite 3.35+ drops a column in place
