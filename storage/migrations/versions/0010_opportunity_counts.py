"""weekly new-opportunity counts per rep (pulse answers and CRM deal counts), CRM deals already counted,
and the workspace setting that the CRM reports new deals

The pulse used to be stored as a bucket ("0", "1-2", "3-5", "6+") in `checkins` (kind "pulse"). Those
rows stay where they are, as history: a bucket is not a number, so none is turned into one here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:20:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

from storage.types import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'opportunity_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('count >= 0', name='ck_opportunity_counts_count'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id', 'week_start', 'source', name='uq_opportunity_counts_week'),
    )
    op.create_index('ix_opportunity_counts_workspace', 'opportunity_counts', ['workspace_id', 'week_start'])
    op.create_table(
        'crm_deals_seen',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('deal_key', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace_id', 'deal_key', name='uq_crm_deals_seen'),
    )
    op.create_index('ix_crm_deals_seen_person', 'crm_deals_seen', ['person_id'])
    op.create_table(
        'crm_settings',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('reports_new_deals', sa.Boolean(), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('workspace_id'),
    )


def downgrade() -> None:
    op.drop_table('crm_settings')
    op.drop_index('ix_crm_deals_seen_person', table_name='crm_deals_seen')
    op.drop_table('crm_deals_seen')
    op.drop_index('ix_opportunity_counts_workspace', table_name='opportunity_counts')
    op.drop_table('opportunity_counts')
