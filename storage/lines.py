"""Reporting lines: `people.manager_id` holds confirmed lines only; a line waiting for the rep to accept
it is a row of `reporting_invites`; every change is a row of `reporting_changes`."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Conversation, Nudge, Person, ReportingChange, ReportingInvite, Retrospective
from storage.types import utcnow

INVITE_DAYS = 14  # an invitation nobody answers lapses after two weeks; the manager can invite again
# A manager may ask the same rep at most this often in a day (withdraw and invite again included),
# so add/remove loops can't flood the rep's DMs.
INVITES_PER_DAY = 3
INVITE_WINDOW = timedelta(hours=24)
MAX_DEPTH = 200  # a chain of managers longer than any organisation's


_REPORTS_TO_SQL = "SELECT 1 FROM people WHERE id = :rep AND manager_id = :manager"


async def still_reports_to(db: Database, *, rep_id: int, manager_id: int) -> bool:
    """Whether the rep's confirmed line to this manager stands now (one indexed read, off SQLite's queue)."""
    return bool(await db.quick_rows(_REPORTS_TO_SQL, {"rep": rep_id, "manager": manager_id}))


async def manages(s: AsyncSession, *, boss: Person, person: Person) -> bool:
    """Whether `boss` is `person` or above them in the chain of confirmed managers."""
    current, seen = person, set()
    while current is not None and current.id not in seen and len(seen) < MAX_DEPTH:
        if current.id == boss.id:
            return True
        seen.add(current.id)
        if current.manager_id is None:
            return False
        current = await s.get(Person, current.manager_id)
    return current is not None  # a loop already stored, or a chain too long: refuse rather than guess


async def invite(s: AsyncSession, *, rep: Person, manager: Person, now: datetime) -> tuple[ReportingInvite, bool]:
    """The pending invitation from `manager` to `rep`, created if there is none (or it lapsed); True if new."""
    found = await pending_between(s, rep=rep, manager=manager, now=now)
    if found is not None:
        return found, False
    row = ReportingInvite(workspace_id=rep.workspace_id, rep_id=rep.id, manager_id=manager.id, created_at=now,
                          expires_at=now + timedelta(days=INVITE_DAYS))
    try:
        async with s.begin_nested():  # a savepoint: losing the race below leaves the transaction usable
            s.add(row)
            await s.flush()
    except IntegrityError:
        # Another request invited the same rep for the same manager a moment ago (the partial unique
        # index uq_reporting_invites_pending): that invitation is the one that stands.
        found = await pending_between(s, rep=rep, manager=manager, now=now)
        if found is None:
            raise
        return found, False
    return row, True


async def pending_between(s: AsyncSession, *, rep: Person, manager: Person, now: datetime) -> ReportingInvite | None:
    """The pending invitation from `manager` to `rep` (lapsed ones are closed first), or None."""
    await expire(s, now=now, rep_id=rep.id)
    return (await s.execute(select(ReportingInvite).where(
        ReportingInvite.rep_id == rep.id, ReportingInvite.manager_id == manager.id,
        ReportingInvite.status == "pending"))).scalars().first()


async def next_invite_allowed(s: AsyncSession, *, rep: Person, manager: Person, now: datetime) -> datetime | None:
    """When `manager` may invite `rep` again, or None when they may now (INVITES_PER_DAY in INVITE_WINDOW)."""
    sent = list((await s.execute(select(ReportingInvite.created_at).where(
        ReportingInvite.rep_id == rep.id, ReportingInvite.manager_id == manager.id,
        ReportingInvite.created_at > now - INVITE_WINDOW).order_by(ReportingInvite.created_at.desc())
        .limit(INVITES_PER_DAY))).scalars())
    if len(sent) < INVITES_PER_DAY:
        return None
    return sent[-1] + INVITE_WINDOW  # the oldest of the last few leaves the window then


async def get_invite(s: AsyncSession, *, invite_id: int, workspace_id: int) -> ReportingInvite | None:
    """An invitation by id, only in this workspace, only while it is pending."""
    return (await s.execute(select(ReportingInvite).where(
        ReportingInvite.id == invite_id, ReportingInvite.workspace_id == workspace_id,
        ReportingInvite.status == "pending"))).scalar_one_or_none()


async def invites_to(s: AsyncSession, *, rep: Person, now: datetime) -> list[tuple[ReportingInvite, Person]]:
    """The unexpired invitations waiting for `rep`, with who sent them, oldest first."""
    q = (select(ReportingInvite, Person).join(Person, Person.id == ReportingInvite.manager_id)
         .where(ReportingInvite.rep_id == rep.id, ReportingInvite.workspace_id == rep.workspace_id,
                ReportingInvite.status == "pending", ReportingInvite.expires_at > now)
         .order_by(ReportingInvite.created_at, ReportingInvite.id))
    return [(i, p) for i, p in await s.execute(q)]


async def invites_from(s: AsyncSession, *, manager: Person, now: datetime) -> list[tuple[ReportingInvite, Person]]:
    """The unexpired invitations `manager` sent, with the rep each one asks, by name."""
    q = (select(ReportingInvite, Person).join(Person, Person.id == ReportingInvite.rep_id)
         .where(ReportingInvite.manager_id == manager.id, ReportingInvite.workspace_id == manager.workspace_id,
                ReportingInvite.status == "pending", ReportingInvite.expires_at > now).order_by(Person.name))
    return [(i, p) for i, p in await s.execute(q)]


async def drop_invite(s: AsyncSession, *, row: ReportingInvite, by: Person | None, how: str, now: datetime) -> None:
    """Close one invitation (declined, withdrawn, expired), and log it."""
    row.status = how
    s.add(row)
    await log_change(s, workspace_id=row.workspace_id, rep_id=row.rep_id, old=row.manager_id, new=None, by=by,
                     how=how, now=now)
    await s.flush()


async def expire(s: AsyncSession, *, now: datetime, rep_id: int | None = None) -> int:
    """Close the pending invitations past their date (of one rep, or all), each logged; returns how many."""
    q = select(ReportingInvite).where(ReportingInvite.status == "pending", ReportingInvite.expires_at <= now)
    if rep_id is not None:
        q = q.where(ReportingInvite.rep_id == rep_id)
    rows = list((await s.execute(q)).scalars())
    for row in rows:
        await drop_invite(s, row=row, by=None, how="expired", now=now)
    return len(rows)


async def confirm(s: AsyncSession, *, rep: Person, manager: Person, by: Person | None, how: str,
                  now: datetime) -> int | None:
    """Make `manager` the rep's confirmed manager; returns the previous manager's id.

    The caller has checked the path (an acceptance, an admin, an import) and that no cycle forms.
    The rep's other invitations lapse, and retrospectives filed while the rep had no confirmed
    manager join the new manager's reports."""
    if rep.workspace_id != manager.workspace_id or rep.id == manager.id:
        raise ValueError("a manager and a rep are two people of the same workspace")
    old = rep.manager_id
    rep.manager_id = manager.id
    s.add(rep)
    pending = (ReportingInvite.rep_id == rep.id) & (ReportingInvite.status == "pending")
    await s.execute(update(ReportingInvite).where(pending, ReportingInvite.manager_id == manager.id)
                    .values(status="accepted").execution_options(synchronize_session=False))
    await s.execute(update(ReportingInvite).where(pending).values(status="superseded")
                    .execution_options(synchronize_session=False))
    await s.execute(update(Retrospective).where(Retrospective.workspace_id == rep.workspace_id,
                                                Retrospective.rep_id == rep.id, Retrospective.manager_id.is_(None))
                    .values(manager_id=manager.id).execution_options(synchronize_session=False))
    await log_change(s, workspace_id=rep.workspace_id, rep_id=rep.id, old=old, new=manager.id, by=by, how=how, now=now)
    await s.flush()
    return old


async def unlink(s: AsyncSession, *, rep: Person, by: Person | None, how: str, now: datetime) -> None:
    """The rep no longer reports to anyone (their manager removed them)."""
    old, rep.manager_id = rep.manager_id, None
    s.add(rep)
    await log_change(s, workspace_id=rep.workspace_id, rep_id=rep.id, old=old, new=None, by=by, how=how, now=now)


async def log_unlinked(s: AsyncSession, *, manager: Person, how: str = "erased", now: datetime | None = None) -> int:
    """Log the end of every confirmed line to `manager` (before they are unlinked, e.g. when the manager's
    data is erased): one audit row per rep, ids only; returns how many."""
    reps = list((await s.execute(select(Person.id).where(Person.manager_id == manager.id,
                                                         Person.workspace_id == manager.workspace_id))).scalars())
    for rep_id in reps:
        await log_change(s, workspace_id=manager.workspace_id, rep_id=rep_id, old=manager.id, new=None, by=None,
                         how=how, now=now or utcnow())
    await s.flush()
    return len(reps)


async def open_shared_plans(s: AsyncSession, *, rep: Person, manager: Person) -> list[Conversation]:
    """The open plans `manager` agreed with `rep` and shared with them, oldest first."""
    return list((await s.execute(select(Conversation).where(
        Conversation.workspace_id == rep.workspace_id, Conversation.rep_id == rep.id,
        Conversation.manager_id == manager.id, Conversation.status == "open", Conversation.shared_with_rep.is_(True))
        .order_by(Conversation.id))).scalars())


async def pending_keys_for(s: AsyncSession, *, recipient_id: int, subjects: list[str], kinds: tuple[str, ...]) -> list[str]:
    """The dedupe keys of `recipient_id`'s pending nudges of these kinds about these subjects."""
    if not subjects:
        return []
    return list((await s.execute(select(Nudge.dedupe_key).where(
        Nudge.recipient_id == recipient_id, Nudge.subject.in_(subjects), Nudge.kind.in_(kinds),
        Nudge.status.in_(("pending", "waiting"))))).scalars())


async def log_change(s: AsyncSession, *, workspace_id: int, rep_id: int, old: int | None, new: int | None,
                     by: Person | None, how: str, now: datetime) -> None:
    """One row of the audit log of reporting lines."""
    s.add(ReportingChange(workspace_id=workspace_id, rep_id=rep_id, old_manager_id=old, new_manager_id=new,
                          by_id=by.id if by else None, how=how, at=now))


async def changes_of(s: AsyncSession, *, rep_id: int) -> list[ReportingChange]:
    """The audit log of one rep's reporting line, oldest first."""
    return list((await s.execute(select(ReportingChange).where(ReportingChange.rep_id == rep_id)
                                 .order_by(ReportingChange.at, ReportingChange.id))).scalars())
