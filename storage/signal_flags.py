"""Signal flags a manager was told about, by episode key, and each workspace's signal thresholds.

A flag's words are never stored (they may quote deal names people typed): they are described again
from the facts whenever shown. Only the confirmed manager's rows are theirs: `close_moved` closes a
manager's rows once the rep no longer reports to them.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, delete, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.cadence import GAVE_UP
from flows.signals.thresholds import RANGES
from storage.db import dialect_insert
from storage.models import Nudge, Person, SignalFlag, SignalSettings, Workspace
from storage.people import active_workspaces

log = logging.getLogger("coachbot.signals")

OPEN = ("raised", "snoozed")
# A raised flag's signal nudge in one of these has been or will be told (or failed for good, shown in the
# failed list): it is not queued again.
HEARD = ("pending", "sending", "waiting", "sent", "failed")
# How many of a raised flag's nudges may end cancelled (it no longer held when due, the manager opted out
# meanwhile...) before it is no longer queued again on a later day while it holds: not every day for ever.
RETELLS = 3


async def stored_settings(s: AsyncSession, *, workspace_id: int) -> dict[str, Any]:
    """Every threshold setting stored for the workspace, names this version doesn't know among them."""
    row = await s.get(SignalSettings, workspace_id)
    try:
        found = json.loads(row.settings) if row else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def settings_of(s: AsyncSession, *, workspace_id: int) -> dict[str, Any]:
    """The workspace's stored threshold settings (only those that differ from the defaults) under the names
    this version knows. Another name (renamed since, or stored by a newer version before a rollback) is
    left out and logged: it must not cost the workspace the settings beside it."""
    known, unknown = by_name_known(await stored_settings(s, workspace_id=workspace_id))
    if unknown:
        log.warning("signal settings of workspace %s: %s not known to this version, ignored", workspace_id,
                    ", ".join(repr(name[:40]) for name in sorted(unknown)))
    return known


def by_name_known(found: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Stored settings split into those under a name this version knows, and the others."""
    return ({k: v for k, v in found.items() if k in RANGES}, {k: v for k, v in found.items() if k not in RANGES})


async def save_settings(s: AsyncSession, *, workspace_id: int, settings: dict[str, Any], by: int | None,
                        now: datetime) -> None:
    """Store the workspace's threshold settings (what differs from the defaults), replacing the old ones."""
    text = json.dumps(settings, sort_keys=True)
    q = dialect_insert(s, SignalSettings.__table__).values(workspace_id=workspace_id, settings=text, updated_by=by,
                                                           updated_at=now)
    await s.execute(q.on_conflict_do_update(index_elements=["workspace_id"],
                                            set_={"settings": text, "updated_by": by, "updated_at": now}))


async def rows_for(s: AsyncSession, *, rep_id: int, manager_id: int) -> dict[str, SignalFlag]:
    """This manager's flag rows about the rep, by key (closed ones left out: they were another line's)."""
    q = select(SignalFlag).where(SignalFlag.rep_id == rep_id, SignalFlag.manager_id == manager_id,
                                 SignalFlag.status != "closed")
    return {f.key: f for f in (await s.execute(q)).scalars()}


async def raise_flag(s: AsyncSession, *, rep: Person, manager_id: int, key: str, kind: str, strength: str,
                     now: datetime) -> SignalFlag | None:
    """Record a strong flag to tell the manager about; None when this manager already has its key (told,
    dismissed or snoozed). Their row closed when the line moved away is opened as new if the line is back."""
    q = dialect_insert(s, SignalFlag.__table__).values(
        workspace_id=rep.workspace_id, rep_id=rep.id, manager_id=manager_id, key=key, kind=kind, strength=strength,
        status="raised", told_at=now, created_at=now, updated_at=now)
    # RETURNING says whether the row went in; a concurrent run (another replica) that won keeps its own.
    made = (await s.execute(q.on_conflict_do_nothing(index_elements=["rep_id", "manager_id", "key"])
                            .returning(SignalFlag.id))).first()
    if made is not None:
        return await s.get(SignalFlag, made[0])
    took = await s.execute(update(SignalFlag).where(
        SignalFlag.rep_id == rep.id, SignalFlag.manager_id == manager_id, SignalFlag.key == key,
        SignalFlag.status == "closed").values(kind=kind, strength=strength, status="raised",
        snoozed_until=None, told_at=now, prepared_at=None, created_at=now, updated_at=now)
        .returning(SignalFlag.id))
    taken = took.first()
    return await s.get(SignalFlag, taken[0], populate_existing=True) if taken else None


async def unheard(s: AsyncSession, *, rep_id: int, manager_id: int, keys: set[str], now: datetime
                  ) -> list[SignalFlag]:
    """This manager's raised flags about the rep, still held (`keys`), whose signal nudge since they were
    last told went nowhere (cancelled, or given up on after passing failures before signals were retried
    for good): told again from now, with a fresh key. A replica that got there first keeps its own."""
    if not keys:
        return []
    subject = literal("flag:", String) + cast(SignalFlag.id, String)  # flows.subjects.subject("flag", id)
    since = and_(Nudge.kind == "signal", Nudge.subject == subject, Nudge.created_at >= SignalFlag.told_at)
    # A nudge that gave up after passing failures (outcome.retry_or_fail) was the outage's, not the manager's.
    heard = exists().where(since, Nudge.status.in_(HEARD),
                           ~and_(Nudge.status == "failed", Nudge.last_error.startswith(GAVE_UP)))
    tries = (select(func.count()).where(Nudge.kind == "signal", Nudge.subject == subject,
                                        Nudge.created_at >= SignalFlag.created_at, Nudge.status == "cancelled")
             .correlate(SignalFlag).scalar_subquery())
    rows = list((await s.execute(select(SignalFlag).where(
        SignalFlag.rep_id == rep_id, SignalFlag.manager_id == manager_id, SignalFlag.status == "raised",
        SignalFlag.key.in_(keys), ~heard, tries < RETELLS))).scalars())
    out = []
    for row in rows:
        took = await s.execute(update(SignalFlag).where(
            SignalFlag.id == row.id, SignalFlag.status == "raised", SignalFlag.told_at == row.told_at)
            .values(told_at=now, updated_at=now).returning(SignalFlag.id))
        if took.first() is not None:
            out.append(await s.get(SignalFlag, row.id, populate_existing=True))
    return out


async def wake_snoozed(s: AsyncSession, *, rep_id: int, manager_id: int, keys: set[str], now: datetime
                       ) -> list[SignalFlag]:
    """This manager's snoozed flags about the rep whose snooze is over and whose key is still raised:
    raised again (to be told again). A snoozed flag no longer raised stays quiet."""
    if not keys:
        return []
    rows = list((await s.execute(select(SignalFlag).where(
        SignalFlag.rep_id == rep_id, SignalFlag.manager_id == manager_id, SignalFlag.status == "snoozed",
        SignalFlag.snoozed_until <= now, SignalFlag.key.in_(keys)))).scalars())
    for row in rows:
        row.status, row.snoozed_until, row.told_at, row.updated_at = "raised", None, now, now
        s.add(row)
    return rows


async def set_status(s: AsyncSession, *, flag: SignalFlag, status: str, now: datetime,
                     until: datetime | None = None) -> None:
    """Dismiss (for good), snooze (until a time) or close one flag."""
    flag.status, flag.snoozed_until, flag.updated_at = status, until, now
    s.add(flag)


async def close_moved(s: AsyncSession, *, now: datetime) -> int:
    """Close every open flag whose manager is no longer the rep's confirmed manager; returns how many."""
    holds = exists().where(Person.id == SignalFlag.rep_id, Person.manager_id == SignalFlag.manager_id)
    result = await s.execute(update(SignalFlag).where(SignalFlag.status != "closed", ~holds)
                             .values(status="closed", updated_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


async def open_for_manager(s: AsyncSession, *, manager: Person) -> list[SignalFlag]:
    """A manager's open flags about reps who report to them now, newest first."""
    q = (select(SignalFlag).join(Person, and_(Person.id == SignalFlag.rep_id,
                                              Person.manager_id == SignalFlag.manager_id))
         .where(SignalFlag.manager_id == manager.id, SignalFlag.workspace_id == manager.workspace_id,
                SignalFlag.status.in_(OPEN)).order_by(SignalFlag.told_at.desc(), SignalFlag.id.desc()))
    return list((await s.execute(q)).scalars())


async def prepared_for(s: AsyncSession, *, manager_id: int, rep_id: int) -> list[SignalFlag]:
    """The manager's open flags about the rep from which they pressed "Prepare a conversation", latest first
    (what a talk's opening brief can start from)."""
    q = (select(SignalFlag).where(SignalFlag.manager_id == manager_id, SignalFlag.rep_id == rep_id,
                                  SignalFlag.status != "closed", SignalFlag.prepared_at.is_not(None))
         .order_by(SignalFlag.prepared_at.desc(), SignalFlag.id.desc()))
    return list((await s.execute(q)).scalars())


def _reps(workspace_id: int, after: int):
    return (Person.workspace_id == workspace_id, Person.manager_id.is_not(None), Person.opted_out.is_(False),
            Person.id > after)


async def reps_to_check(s: AsyncSession, *, workspace_id: int, after: int, limit: int) -> list[Person]:
    """Reps with a confirmed manager in the workspace who haven't opted out, by id after `after`."""
    q = select(Person).where(*_reps(workspace_id, after)).order_by(Person.id).limit(limit)
    return list((await s.execute(q)).scalars())


async def count_reps(s: AsyncSession, *, workspace_id: int, after: int) -> int:
    """How many of those reps come after `after` (what a capped run left for the next one)."""
    return (await s.execute(select(func.count()).select_from(Person).where(*_reps(workspace_id, after)))).scalar_one()


async def workspaces_to_check(s: AsyncSession, *, today: date) -> list[tuple[int, int]]:
    """Installed workspaces not yet checked through today: (workspace id, the rep id reached so far)."""
    q = (select(SignalSettings.workspace_id, SignalSettings.reached, SignalSettings.checked_on)
         .where(SignalSettings.workspace_id.in_(active_workspaces())))
    done = {w: (cursor, on) for w, cursor, on in await s.execute(q)}
    spaces = list((await s.execute(active_workspaces().order_by(Workspace.id))).scalars())
    out = []
    for w in spaces:
        cursor, on = done.get(w, (None, None))
        if on != today or cursor is not None:
            out.append((w, cursor if on == today and cursor is not None else 0))
    return out


async def mark_checked(s: AsyncSession, *, workspace_id: int, today: date, cursor: int | None, now: datetime) -> None:
    """Remember how far today's check of a workspace got (`cursor` None: all of it)."""
    q = dialect_insert(s, SignalSettings.__table__).values(workspace_id=workspace_id, settings="{}",
                                                           updated_at=now, checked_on=today, reached=cursor)
    await s.execute(q.on_conflict_do_update(index_elements=["workspace_id"],
                                            set_={"checked_on": today, "reached": cursor}))


async def erase_person(s: AsyncSession, *, person_id: int) -> int:
    """Delete every flag about a person or told to them (coachbot forget); returns how many."""
    result = await s.execute(delete(SignalFlag).where(or_(SignalFlag.rep_id == person_id,
                                                          SignalFlag.manager_id == person_id)))
    return result.rowcount or 0


async def export_rows(s: AsyncSession, *, person_id: int) -> list[dict[str, Any]]:
    """A person's flags, about them or told to them, for a data export (no words: keys, kinds, dates)."""
    q = select(SignalFlag).where(or_(SignalFlag.rep_id == person_id, SignalFlag.manager_id == person_id)) \
        .order_by(SignalFlag.id)
    return [{"role": "rep" if f.rep_id == person_id else "manager", "kind": f.kind, "key": f.key,
             "strength": f.strength, "status": f.status, "told_at": f.told_at.isoformat() if f.told_at else None,
             "snoozed_until": f.snoozed_until.isoformat() if f.snoozed_until else None}
            for f in (await s.execute(q)).scalars()]
