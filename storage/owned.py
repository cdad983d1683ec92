"""What a person may act on: one row of a kind, in their workspace, and theirs.

Buttons and forms name things by id, and the id came back from a client, so it is untrusted: the
row is read only together with the condition that makes it the person's.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionItem, Conversation, FollowUp, Nudge, SignalFlag

# The table of each kind, and whose a row is: a nudge its recipient's, a plan item its owner's or the
# plan's manager's (the rep's only once the plan is shared with them), a follow-up the person's who said
# they would do it, a plan its manager's, a signal flag the manager's it was told to.
KINDS = {
    "nudge": (Nudge, lambda person_id: Nudge.recipient_id == person_id),
    "item": (ActionItem, lambda person_id: ActionItem.conversation_id.in_(
        select(Conversation.id).where(Conversation.manager_id == person_id)) | (
        (ActionItem.owner_id == person_id)
        & ActionItem.conversation_id.in_(select(Conversation.id).where(Conversation.shared_with_rep.is_(True))))),
    "followup": (FollowUp, lambda person_id: FollowUp.person_id == person_id),
    "plan": (Conversation, lambda person_id: Conversation.manager_id == person_id),
    "flag": (SignalFlag, lambda person_id: SignalFlag.manager_id == person_id),
}


async def owned(s: AsyncSession, kind: str, ident: int, *, workspace_id: int, person_id: int) -> Any | None:
    """The row of `kind` with this id if it is in the workspace and the person's; else None."""
    model, mine = KINDS[kind]
    q = select(model).where(model.id == ident, model.workspace_id == workspace_id, mine(person_id))
    return (await s.execute(q)).scalar_one_or_none()
