"""retrospectives and follow-ups

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:33:29.531912
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('retrospectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('deal_key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('deal_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('crm_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('message_ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('primary_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('secondary_reasons', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('share_scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('answers_encrypted', sa.Text(), nullable=True),
    sa.Column('lost_on', sa.Date(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['manager_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['opened_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['rep_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'deal_key', name='uq_retro_workspace_deal')
    )
    with op.batch_alter_table('retrospectives', schema=None) as batch_op:
        batch_op.create_index('ix_retro_rep', ['workspace_id', 'rep_id', 'status'], unique=False)
        batch_op.create_index('ix_retro_team_report', ['workspace_id', 'manager_id', 'lost_on', 'status', 'primary_reason', 'rep_id'], unique=False)

    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('retrospective_id', sa.Integer(), nullable=True),
    sa.Column('text_encrypted', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['retrospective_id'], ['retrospectives.id'], ),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_person', ['workspace_id', 'person_id', 'status', 'due_on'], unique=False)

    with op.batch_alter_table('flow_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('flow_sessions', schema=None) as batch_op:
        batch_op.drop_column('ref')

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_person')

    op.drop_table('followups')
    with op.batch_alter_table('retrospectives', schema=None) as batch_op:
        batch_op.drop_index('ix_retro_team_report')
        batch_op.drop_index('ix_retro_rep')

    op.drop_table('retrospectives')
