"""workspaces.removed_at / removed_reason: the app was uninstalled there, so nothing is planned or sent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:00:00
"""
from alembic import op
import sqlalchemy as sa

from storage.types import UTCDateTime


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspaces') as batch:
        batch.add_column(sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('removed_reason', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workspaces') as batch:
        batch.drop_column('removed_reason')
        batch.drop_column('removed_at')
