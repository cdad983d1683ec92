"""longer platform ids: a Teams user id ("29:1...") or conversation id runs to about 100 characters

`people.platform_user_id` and `workspaces.external_id` held 64 and `retrospectives.channel_id` 32,
enough for Slack's ids but not for Teams': PostgreSQL refused real Teams users. SQLite does not
enforce a VARCHAR's length, so only PostgreSQL's columns change (no SQLite table rebuild).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

WIDER = (("people", "platform_user_id", 64), ("workspaces", "external_id", 64),
         ("retrospectives", "channel_id", 32))
LENGTH = 255


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, _ in WIDER:
        op.alter_column(table, column, type_=sa.String(LENGTH))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, before in WIDER:
        op.alter_column(table, column, type_=sa.String(before))
