"""people.fewer_messages: a person's choice of at most one scheduled message a day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (no table copy): on SQLite a batch copy of `people` would drop a table other rows point at.
    op.add_column('people', sa.Column('fewer_messages', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('people', 'fewer_messages')  # SQLite 3.35+ drops a column in place
