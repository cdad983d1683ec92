"""Turning a finished talk, a lost deal or a follow-up into placed nudges (and cancelling them)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.identity import effective_tz, zone_of
from flows import cadence
from flows.cadence import NudgeSpec, Schedule
from flows.subjects import subject
from storage import lines, nudges, talks
from storage.models import Conversation, Person, Workspace
from storage.nudges import NewNudge


def schedule_of(person: Person, workspace: Workspace | None) -> Schedule:
    """A person's delivery window, with the workspace's holidays."""
    holidays = []
    for text in (workspace.holidays if workspace else "").split(","):
        try:
            holidays.append(date.fromisoformat(text.strip()))
        except ValueError:
            continue
    return Schedule.of(effective_tz(person), person.work_start, person.work_end, person.work_days, holidays)


def checkin_days(workspace: Workspace | None) -> tuple[int, ...]:
    """The workspace's check-in cadence (working days after a talk)."""
    try:
        days = tuple(int(x) for x in (workspace.checkin_days if workspace else "").split(",") if x.strip())
    except ValueError:
        days = ()
    return days or cadence.DEFAULT_CHECKIN_DAYS


def placed(spec: NudgeSpec, recipient: Person, workspace: Workspace | None, now: datetime,
           payload: dict | None = None) -> NewNudge:
    """A spec placed in its recipient's working hours, ready to store."""
    due = cadence.place(spec.day, schedule_of(recipient, workspace), spec.key, spec.window, not_before=now)
    return NewNudge(recipient.workspace_id, recipient.id, spec.kind, spec.subject, spec.key, due,
                    {**spec.payload, **(payload or {})})


async def plan_talk(s: AsyncSession, *, talk_id: int, manager: Person, rep: Person, review: date,
                    now: datetime, rep_too: bool = True) -> int:
    """Check-ins, action reminders, the review reminder and the review pack for a finished talk
    (only the manager's when `rep_too` is False: the rep hasn't confirmed the line)."""
    talk = await s.get(Conversation, talk_id)
    # A plan the manager kept to themselves asks the rep nothing either.
    rep_too = rep_too and talk is not None and talk.shared_with_rep
    workspace = await s.get(Workspace, manager.workspace_id)
    items = await talks.items_of(s, conversation_id=talk_id)
    started = now.astimezone(zone_of(manager)).date()
    specs = cadence.plan_for_talk(
        talk_id=talk_id, started=started, review=review, schedule=schedule_of(manager, workspace),
        items=[{"id": i.id, "owner": i.owner_role, "due": i.due_on.isoformat() if i.due_on else None} for i in items],
        checkin_days=checkin_days(workspace))
    who = {"rep": rep, "manager": manager}
    names = {"rep": rep.name, "manager": manager.name}
    rows = []
    for spec in specs:
        if spec.to == "rep" and not rep_too:
            continue
        try:
            rows.append(placed(spec, who[spec.to], workspace, now, names))
        except ValueError:
            continue  # a day at the end of the calendar (a plan stored before dates were bounded)
    return await nudges.schedule(s, rows, now=now)


async def plan_retro(s: AsyncSession, *, retro_id: int, rep: Person, manager: Person | None, deal: str,
                     now: datetime) -> int:
    """Reminders for a retrospective that stays unfinished."""
    workspace = await s.get(Workspace, rep.workspace_id)
    opened = now.astimezone(zone_of(rep)).date()
    specs = cadence.plan_for_retro(retro_id=retro_id, opened=opened, schedule=schedule_of(rep, workspace))
    rows = [placed(spec, rep if spec.to == "rep" else manager, workspace, now,
                   {"deal": deal, "rep": rep.name, "retro": retro_id})
            for spec in specs if spec.to == "rep" or manager is not None]
    return await nudges.schedule(s, rows, now=now)


async def plan_followups(s: AsyncSession, *, person: Person, followups: list, now: datetime) -> int:
    """A reminder on each follow-up's due date (or in two working days when it has none)."""
    workspace = await s.get(Workspace, person.workspace_id)
    sched = schedule_of(person, workspace)
    today = now.astimezone(ZoneInfo(sched.tz)).date()
    rows = []
    for f in followups:
        day = f.due_on or sched.add_workdays(today, 2)
        spec = NudgeSpec("followup_due", "rep", day, subject("followup", f.id), f"{subject('followup', f.id)}:due",
                         "morning")
        rows.append(placed(spec, person, workspace, now, {"followup": f.id}))
    return await nudges.schedule(s, rows, now=now)


async def ensure_weekly(s: AsyncSession, *, person: Person, kind: str, now: datetime) -> int:
    """This week's digest (managers, Monday) or pipeline pulse (reps with a confirmed manager, Thursday), once.
    A pulse names the week it asks about (its Monday in the rep's zone), so a late answer lands there."""
    workspace = await s.get(Workspace, person.workspace_id)
    sched = schedule_of(person, workspace)
    weekday = 0 if kind == "digest" else 3
    spec = cadence.plan_weekly(person_key=subject("person", person.id), kind=kind, today=sched.local_today(now),
                               schedule=sched, weekday=weekday)
    week = {"week": cadence.week_start(spec.day).isoformat()} if kind == "pulse" else None
    return await nudges.schedule(s, [placed(spec, person, workspace, now, week)], now=now)


async def answered_checkin(s: AsyncSession, *, talk_id: int, who: str, now: datetime) -> int:
    """A check-in happened early: drop the matching check-in nudges due in the next two days."""
    kind = "checkin_rep" if who == "rep" else "checkin_manager"
    keys = await nudges.pending_keys(s, subject=subject("talk", talk_id), kind=kind, before=now + timedelta(days=2))
    return await nudges.cancel_pending(s, keys=keys, reason="answered early") if keys else 0


REP_SIDE = ("checkin_rep", "review_reminder", "action_due")


async def replan_rep_side(s: AsyncSession, *, talk: Conversation, manager: Person, rep: Person, now: datetime) -> int:
    """Plan the rep's side of an open, shared plan again from today, once its line is confirmed.

    While the line was pending (or held by someone else) the rep's check-ins and reminders were
    skipped as they came due, so the cadence starts again from the confirmation: check-ins
    front-loaded from today to the review, reminders of the rep's open actions and of the review.
    The keys carry the day of the new start, so confirming twice in a day plans nothing twice, and
    the rep's still-pending nudges of the old schedule give way to the new ones (never both)."""
    if talk.status != "open" or not talk.shared_with_rep:
        return 0
    workspace = await s.get(Workspace, manager.workspace_id)
    started = now.astimezone(zone_of(manager)).date()
    items = [i for i in await talks.items_of(s, conversation_id=talk.id) if i.status == "open"]
    specs = cadence.plan_for_talk(
        talk_id=talk.id, started=started, review=talk.review_on, schedule=schedule_of(manager, workspace),
        items=[{"id": i.id, "owner": i.owner_role, "due": i.due_on.isoformat() if i.due_on else None} for i in items],
        checkin_days=checkin_days(workspace))
    names = {"rep": rep.name, "manager": manager.name}
    rows = []
    for spec in specs:
        if spec.to != "rep":
            continue
        try:
            row = placed(spec, rep, workspace, now, names)
        except ValueError:
            continue
        rows.append(NewNudge(row.workspace_id, row.recipient_id, row.kind, row.subject,
                             f"{row.dedupe_key}:from:{started.isoformat()}", row.due_at, row.payload))
    subjects = [subject("talk", talk.id)] + [subject("item", i.id) for i in items]
    fresh = {r.dedupe_key for r in rows}
    old = [k for k in await lines.pending_keys_for(s, recipient_id=rep.id, subjects=subjects, kinds=REP_SIDE)
           if k not in fresh]
    if old:
        await nudges.cancel_pending(s, keys=old, reason="planned again when the reporting line was confirmed")
    return await nudges.schedule(s, rows, now=now)
