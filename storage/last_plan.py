"""The last plan a manager agreed with a rep, and how it ended: what the talk's brief shows of it."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.brief import LastPlan, PlanItemFact
from storage.crypto import NotesCipher
from storage.models import ActionItem, Conversation, Person

UNREADABLE = "(an item that can't be read right now)"


async def last_plan(s: AsyncSession, cipher: NotesCipher, *, manager: Person, rep: Person,
                    tz: tzinfo) -> LastPlan | None:
    """The most recent plan between `manager` and `rep` (open or closed), its items decrypted and its
    days counted in `tz`; None when they have never had one."""
    talk = (await s.execute(
        select(Conversation).where(Conversation.workspace_id == manager.workspace_id,
                                   Conversation.manager_id == manager.id, Conversation.rep_id == rep.id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc()).limit(1))).scalar_one_or_none()
    if talk is None:
        return None
    rows = (await s.execute(select(ActionItem).where(ActionItem.conversation_id == talk.id)
                            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id))).scalars()
    items = tuple(PlanItemFact(owner=r.owner_role, text=_text(cipher, r.text_encrypted), due=r.due_on, status=r.status,
                               done_on=r.done_at.astimezone(tz).date() if r.done_at is not None else None)
                  for r in rows)
    return LastPlan(held_on=talk.created_at.astimezone(tz).date(), review_on=talk.review_on,
                    closed_on=talk.closed_at.astimezone(tz).date() if talk.closed_at is not None else None,
                    items=items)


def _text(cipher: NotesCipher, token: str) -> str:
    try:
        text = cipher.decrypt(token)
    except ValueError:  # sealed with a key this process doesn't hold: say so, don't guess
        return UNREADABLE
    return text if isinstance(text, str) else UNREADABLE
