"""Whether a notes key can read what is stored: a few encrypted values of each table, newest and oldest.

Cheap on purpose (a handful of rows per table, by index): it runs when `serve` starts and now and then
while it runs, so a key that cannot read the notes is found before a person meets it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage.models import ActionItem, CheckIn, Conversation, FlowSession, FollowUp, Retrospective

# (table, its encrypted column, the column that orders its rows by when they were written)
ENCRYPTED = (
    (FlowSession, FlowSession.state_encrypted, FlowSession.updated_at),
    (Conversation, Conversation.notes_encrypted, Conversation.id),
    (ActionItem, ActionItem.text_encrypted, ActionItem.id),
    (CheckIn, CheckIn.note_encrypted, CheckIn.id),
    (Retrospective, Retrospective.answers_encrypted, Retrospective.id),
    (FollowUp, FollowUp.text_encrypted, FollowUp.id),
)


async def first_unreadable(s: AsyncSession, cipher: NotesCipher, *, sample: int = 3,
                           newest_only: bool = False) -> str | None:
    """Where the first stored value `cipher` cannot read is ("flow_sessions row 7"), or None when every
    sampled value reads. `newest_only` looks at what was written last (what another replica just wrote)."""
    for model, column, order in ENCRYPTED:
        for direction in (order.desc(),) if newest_only else (order.desc(), order.asc()):
            rows = await s.execute(select(model.id, column).where(column.is_not(None)).order_by(direction)
                                   .limit(sample))
            for row_id, token in rows:
                if not cipher.can_read(token):
                    return f"{model.__tablename__} row {row_id}"
    return None
