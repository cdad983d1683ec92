"""one pending invitation per manager and rep; flow sessions found by when they were written

Two `team add` at the same moment could each find no pending invitation and both insert one. A
partial unique index now lets only one pending invitation stand per (rep, manager): the loser of a
race is told the rep already has one. Duplicates stored before are resolved first: the newest stays
pending, the others are superseded (logged, and their queued messages cancelled, as the app does).

The notes-key check (storage/keycheck.py) reads the newest and oldest flow sessions by `updated_at`;
an index keeps that a few rows' read however many sessions there are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:30:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from storage.types import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    _supersede_duplicates()
    op.create_index('uq_reporting_invites_pending', 'reporting_invites', ['rep_id', 'manager_id'], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index('ix_flow_sessions_updated', 'flow_sessions', ['updated_at'])


def _supersede_duplicates() -> None:
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    invites = sa.table('reporting_invites', sa.column('id'), sa.column('workspace_id'), sa.column('rep_id'),
                       sa.column('manager_id'), sa.column('status'), sa.column('created_at', UTCDateTime()))
    changes = sa.table('reporting_changes', sa.column('workspace_id'), sa.column('rep_id'),
                       sa.column('old_manager_id'), sa.column('new_manager_id'), sa.column('by_id'),
                       sa.column('how'), sa.column('at', UTCDateTime()))
    nudges = sa.table('nudges', sa.column('subject'), sa.column('status'), sa.column('last_error'))
    pending = conn.execute(sa.select(invites.c.id, invites.c.workspace_id, invites.c.rep_id, invites.c.manager_id)
                           .where(invites.c.status == 'pending')
                           .order_by(invites.c.created_at.desc(), invites.c.id.desc())).all()
    kept = set()
    for invite_id, workspace_id, rep_id, manager_id in pending:
        if (rep_id, manager_id) not in kept:
            kept.add((rep_id, manager_id))  # the newest of the pair stays
            continue
        conn.execute(invites.update().where(invites.c.id == invite_id).values(status='superseded'))
        conn.execute(changes.insert().values(workspace_id=workspace_id, rep_id=rep_id, old_manager_id=manager_id,
                                             new_manager_id=None, by_id=None, how='superseded', at=now))
        conn.execute(nudges.update().where(nudges.c.subject == f"invite:{invite_id}",
                                           nudges.c.status.in_(('pending', 'waiting')))
                     .values(status='cancelled', last_error='a newer invitation from the same manager stands'))


def downgrade() -> None:
    # The superseded duplicates stay superseded: a newer invitation of the same pair still stands.
    op.drop_index('ix_flow_sessions_updated', table_name='flow_sessions')
    op.drop_index('uq_reporting_invites_pending', table_name='reporting_invites')
