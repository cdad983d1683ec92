"""people.chat_ref: Teams conversation references for proactive messages

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:55:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('chat_ref', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.drop_column('chat_ref')
