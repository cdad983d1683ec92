"""signals: the flags each manager was told about a rep (by episode key, with dismiss and snooze), and each
workspace's signal thresholds

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from storage.types import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signal_flags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('rep_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=False),
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('strength', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('snoozed_until', UTCDateTime(timezone=True), nullable=True),
        sa.Column('told_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('prepared_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['manager_id'], ['people.id']),
        sa.ForeignKeyConstraint(['rep_id'], ['people.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('rep_id', 'manager_id', 'key', name='uq_signal_flags_episode'),
    )
    op.create_index('ix_signal_flags_manager', 'signal_flags', ['manager_id', 'status'])
    op.create_index('ix_signal_flags_workspace', 'signal_flags', ['workspace_id', 'status'])
    op.create_table(
        'workspace_signal_settings',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('settings', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=True),
        sa.Column('reached', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['people.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('workspace_id'),
    )


def downgrade() -> None:
    op.drop_table('workspace_signal_settings')
    op.drop_index('ix_signal_flags_workspace', table_name='signal_flags')
    op.drop_index('ix_signal_flags_manager', table_name='signal_flags')
    op.drop_table('signal_flags')
