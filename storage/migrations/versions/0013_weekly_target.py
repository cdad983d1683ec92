"""conversations.weekly_target: the plan's target of new opportunities a week (nullable: most plans set none)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations') as batch:
        batch.add_column(sa.Column('weekly_target', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations') as batch:
        batch.drop_column('weekly_target')
