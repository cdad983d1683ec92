"""The signals behind the weekly "who needs your time" digest, per rep."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionItem, CheckIn, Conversation, Nudge, Person, Retrospective


@dataclass(frozen=True)
class NeedSignals:
    open_plans: int
    overdue_actions: int
    losses_30d: int
    checkins_sent_14d: int
    checkins_answered_14d: int
    last_manager_checkin: datetime | None


async def need_signals(s: AsyncSession, *, rep: Person, now: datetime, manager_id: int | None = None) -> NeedSignals:
    """How much a rep needs their manager's time right now, as raw counts. A plan another manager kept
    to themselves is not counted for `manager_id` (it is that manager's private notes)."""
    async def one(q):
        return (await s.execute(q)).scalar_one()

    two_weeks = now - timedelta(days=14)
    return NeedSignals(
        open_plans=await one(select(func.count()).select_from(Conversation).where(
            Conversation.workspace_id == rep.workspace_id, Conversation.rep_id == rep.id,
            Conversation.status == "open",
            or_(Conversation.manager_id == manager_id, Conversation.shared_with_rep.is_(True)))),
        overdue_actions=await one(select(func.count()).select_from(ActionItem).where(
            ActionItem.owner_id == rep.id, ActionItem.status == "open", ActionItem.due_on < now.date())),
        losses_30d=await one(select(func.count()).select_from(Retrospective).where(
            Retrospective.workspace_id == rep.workspace_id, Retrospective.rep_id == rep.id,
            Retrospective.lost_on >= (now - timedelta(days=30)).date())),
        checkins_sent_14d=await one(select(func.count()).select_from(Nudge).where(
            Nudge.recipient_id == rep.id, Nudge.kind == "checkin_rep", Nudge.status == "sent",
            Nudge.sent_at >= two_weeks)),
        checkins_answered_14d=await one(select(func.count()).select_from(CheckIn).where(
            CheckIn.rep_id == rep.id, CheckIn.kind == "rep", CheckIn.created_at >= two_weeks)),
        last_manager_checkin=await one(select(func.max(CheckIn.created_at)).where(
            CheckIn.rep_id == rep.id, CheckIn.kind == "manager")),
    )
