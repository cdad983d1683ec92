"""The dated facts about one rep that the signals read (flows/signals), gathered from the tables.

Every query is bounded to the last `weeks` ISO weeks (the manager's last check-in and the plan items
still open are one bounded look each). Datetimes become days in the rep's own time zone. What the rep
did with their manager — check-ins asked and answered, the manager's check-ins — counts from the day
this manager's line was confirmed, so an earlier manager's episode is not this one's; the rep's own
numbers (new opportunities, lost deals) are the rep's whoever they report to.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.dates import known_zone
from flows.signals import (ActionDue, CheckinAnswer, CheckinAsked, Loss, ManagerCheckin, RepFacts, WeekCount,
                           week_of)
from flows.signals.facts import ANSWER_STATUSES
from storage.crypto import NotesCipher
from storage.models import ActionItem, CheckIn, Conversation, Nudge, Person, ReportingChange, Retrospective
from storage.opportunities import crm_reports_since, weekly_counts

EVIDENCE = {"buyer_told": True, "our_read": False}  # flows/retro.py EVIDENCE -> Loss.buyer_confirmed


def zone(person: Person) -> ZoneInfo:
    """The zone a person's days are counted in: their own choice, else their profile's, else UTC."""
    return ZoneInfo(known_zone(person.tz_override) or known_zone(person.tz) or "UTC")


async def rep_facts(s: AsyncSession, *, rep: Person, manager_id: int, today: date, weeks: int = 8,
                    cipher: NotesCipher | None = None) -> RepFacts:
    """Everything the signals read about `rep` under `manager_id`, for the `weeks` ISO weeks up to `today`
    (the rep's local day). Without `cipher` a loss's "how we know" is left unknown (None)."""
    tz = zone(rep)
    start = week_of(today) - timedelta(weeks=max(weeks, 1) - 1)
    since = await confirmed_since(s, rep=rep, manager_id=manager_id, tz=tz)
    shared_from = max(start, since) if since else start

    def local(at: datetime) -> date:
        return at.astimezone(tz).date()

    def utc_from(day: date) -> datetime:
        return datetime.combine(day, time.min, tz).astimezone(timezone.utc)

    lower, upper = utc_from(shared_from), utc_from(today + timedelta(days=1))
    crm_from = await crm_weeks_from(s, rep=rep, since=since, tz=tz)
    crm_from = max(crm_from, start) if crm_from else None  # no week before those read is taken for 0
    opportunities = tuple(WeekCount(w, c, src) for w, c, src in await weekly_counts(s, person_id=rep.id, since=start)
                          if w <= today and w.weekday() == 0)
    answers = tuple(CheckinAnswer(local(at), st) for at, st in await s.execute(
        select(CheckIn.created_at, CheckIn.status).where(
            CheckIn.workspace_id == rep.workspace_id, CheckIn.rep_id == rep.id, CheckIn.kind == "rep",
            CheckIn.created_at >= lower, CheckIn.created_at < upper).order_by(CheckIn.created_at))
        if st in ANSWER_STATUSES)
    asked = tuple(CheckinAsked(local(at)) for (at,) in await s.execute(
        select(Nudge.sent_at).where(
            Nudge.workspace_id == rep.workspace_id, Nudge.recipient_id == rep.id, Nudge.kind == "checkin_rep",
            Nudge.status == "sent", Nudge.sent_at >= lower, Nudge.sent_at < upper).order_by(Nudge.sent_at)))
    mine = (CheckIn.workspace_id == rep.workspace_id, CheckIn.rep_id == rep.id, CheckIn.kind == "manager",
            CheckIn.author_id == manager_id, CheckIn.created_at < upper)
    checkins = {local(at) for (at,) in await s.execute(select(CheckIn.created_at).where(*mine,
                                                                                         CheckIn.created_at >= lower))}
    last = (await s.execute(select(func.max(CheckIn.created_at)).where(*mine))).scalar()
    if last is not None and (since is None or local(last) >= since):
        checkins.add(local(last))  # the last one before the window still counts the days since
    return RepFacts(
        rep=rep.id, opportunities=opportunities,
        losses=await _losses(s, rep=rep, start=start, today=today, cipher=cipher),
        answers=answers, asked=asked,
        actions=await _actions(s, rep=rep, manager_id=manager_id, start=start, local=local),
        manager_checkins=tuple(ManagerCheckin(d) for d in sorted(checkins)), since=since, crm_from=crm_from)


async def confirmed_since(s: AsyncSession, *, rep: Person, manager_id: int, tz: ZoneInfo | None = None) -> date | None:
    """The rep's local day their line to `manager_id` was last confirmed (an acceptance, an admin, an import
    or a sync — never a mere invitation), or None when the audit log has no such row."""
    at = (await s.execute(select(func.max(ReportingChange.at)).where(
        ReportingChange.workspace_id == rep.workspace_id, ReportingChange.rep_id == rep.id,
        ReportingChange.new_manager_id == manager_id, ReportingChange.how != "invited"))).scalar()
    return at.astimezone(tz or zone(rep)).date() if at is not None else None


async def crm_weeks_from(s: AsyncSession, *, rep: Person, since: date | None, tz: ZoneInfo | None = None
                         ) -> date | None:
    """The first Monday from which the CRM reported every new deal of the rep's, so a week without one had
    none (0): the first whole week after both the workspace said so and `since` (the line's confirmation).
    None while the workspace doesn't say so, or the line has no known start."""
    on = await crm_reports_since(s, workspace_id=rep.workspace_id)
    if on is None or since is None:
        return None
    # Before the setting the rep was asked the pulse, and a week they didn't answer is unknown; before the
    # line was confirmed coachbot may not have known them, and a deal of theirs went uncounted.
    day = max(on.astimezone(tz or zone(rep)).date(), since)
    return day if day.weekday() == 0 else week_of(day) + timedelta(weeks=1)


async def _losses(s: AsyncSession, *, rep: Person, start: date, today: date,
                  cipher: NotesCipher | None) -> tuple[Loss, ...]:
    q = (select(Retrospective).where(Retrospective.workspace_id == rep.workspace_id, Retrospective.rep_id == rep.id,
                                     Retrospective.lost_on >= start, Retrospective.lost_on <= today)
         .order_by(Retrospective.lost_on, Retrospective.id))
    out = []
    for r in (await s.execute(q)).scalars():
        done = r.status == "done"
        out.append(Loss(on=r.lost_on, deal=r.deal_name, cause=r.primary_reason if done else None,
                        buyer_confirmed=EVIDENCE.get(_answers(cipher, r).get("evidence")) if done else None))
    return tuple(out)


def _answers(cipher: NotesCipher | None, r: Retrospective) -> dict[str, Any]:
    if cipher is None or not r.answers_encrypted:
        return {}
    try:
        answers = cipher.decrypt(r.answers_encrypted)
    except ValueError:  # sealed with a key we no longer hold: the cause still counts, how we know is unknown
        return {}
    return answers if isinstance(answers, dict) else {}


async def _actions(s: AsyncSession, *, rep: Person, manager_id: int, start: date, local) -> tuple[ActionDue, ...]:
    """Dated items of this manager's open plans with the rep, dropped ones left out; done ones only when
    they were done inside the window (an older done item is no longer a fact about now)."""
    talks = select(Conversation.id).where(Conversation.workspace_id == rep.workspace_id,
                                          Conversation.rep_id == rep.id, Conversation.manager_id == manager_id,
                                          Conversation.status == "open")
    q = (select(ActionItem.owner_role, ActionItem.owner_id, ActionItem.due_on, ActionItem.status, ActionItem.done_at)
         .where(ActionItem.conversation_id.in_(talks), ActionItem.due_on.is_not(None),
                ActionItem.status.in_(("open", "done")))
         .order_by(ActionItem.due_on, ActionItem.id))
    out = []
    for role, owner_id, due, status, done_at in await s.execute(q):
        if role not in ("rep", "manager") or owner_id not in (rep.id, manager_id):
            continue
        done_on = local(done_at) if status == "done" and done_at is not None else None
        if status == "done" and (done_on is None or done_on < start):
            continue
        out.append(ActionDue(owner=role, due=due, done_on=done_on))
    return tuple(out)
