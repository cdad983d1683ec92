"""The daily look at every rep's signals: a strong flag not told yet is recorded and its manager hears it
within a working day (a "signal" nudge placed in their next working hours).

Once a day per workspace, at most `cap` reps a run: a run that stops at the cap says so in the log and
in what it returns, and the next run goes on from the rep it reached.
"""
from __future__ import annotations

import logging
from datetime import datetime

from bot.core import planner
from bot.core.identity import zone_of
from bot.core.signals import raised, thresholds_for
from flows.cadence import NudgeSpec
from flows.signals import STRONG, Thresholds
from flows.subjects import subject
from storage import nudges, people, signal_flags
from storage.db import Database
from storage.models import Person, SignalFlag, Workspace

log = logging.getLogger("coachbot.signals")

# Reps looked at in one (hourly) run: each is a handful of bounded queries, 11-15 ms on PostgreSQL or SQLite
# here (a rep told something included), so a run takes under 20 s and a replica gets through some 24,000 reps
# a day; a batch of 50 holds SQLite's one writer for under a second.
CAP = 1000
BATCH = 50  # reps per transaction


async def run(db: Database, clock, *, cap: int = CAP) -> dict[str, int]:
    """Close flags of lines that moved, then look at the reps of each workspace not yet looked at today."""
    now = clock.now()
    today = now.date()  # a workspace's day for this purpose; each rep's facts are read in their own days
    checked = told = 0
    async with db.session() as s:
        closed = await signal_flags.close_moved(s, now=now)
        todo = await signal_flags.workspaces_to_check(s, today=today)
    waiting: list[tuple[int, int]] = []  # (workspace, the last rep id reached) left for the next run
    for workspace_id, after in todo:
        while True:
            room = cap - checked
            if room <= 0:
                waiting.append((workspace_id, after))
                break
            # A short transaction per batch: SQLite serves one writer at a time, and requests wait meanwhile.
            async with db.session() as s:
                reps = await signal_flags.reps_to_check(s, workspace_id=workspace_id, after=after,
                                                        limit=min(BATCH, room))
                workspace = await s.get(Workspace, workspace_id)
                thresholds = await thresholds_for(s, workspace_id=workspace_id)
                for rep in reps:
                    told += await check_rep(s, rep=rep, workspace=workspace, thresholds=thresholds, now=now)
                done = len(reps) < min(BATCH, room) or not await signal_flags.count_reps(
                    s, workspace_id=workspace_id, after=reps[-1].id)
                after = reps[-1].id if reps else after
                await signal_flags.mark_checked(s, workspace_id=workspace_id, today=today,
                                                cursor=None if done else after, now=now)
            checked += len(reps)
            if done:
                break
    left = 0
    if waiting:
        async with db.session() as s:
            for workspace_id, after in waiting:
                left += await signal_flags.count_reps(s, workspace_id=workspace_id, after=after)
        log.warning("signals: looked at %d reps (the cap per run); %d more in %d workspace(s) wait for the next run",
                    checked, left, len(waiting))
    return {"signals_checked": checked, "signals_told": told, "signals_closed": closed,
            "signals_workspaces_waiting": len(waiting), "signals_reps_waiting": left}


async def check_rep(s, *, rep: Person, workspace: Workspace | None, thresholds: Thresholds, now: datetime) -> int:
    """Record the rep's strong flags their manager hasn't been told (or whose snooze is over, or whose
    signal went nowhere, still raised) and queue one signal to the manager for each; returns how many."""
    manager = await people.get_person(s, workspace_id=rep.workspace_id, person_id=rep.manager_id or -1)
    if manager is None:
        return 0
    strong = {f.key: f for f in await raised(s, rep=rep, manager_id=manager.id, now=now, thresholds=thresholds)
              if f.strength == STRONG}
    # First the raised flags whose signal went nowhere (cancelled, or given up on during an outage before
    # signals were retried for good): raise_flag finds their key taken and would never queue them again.
    # Not for a manager who opted out: theirs would only be cancelled again each day.
    rows: list[SignalFlag] = [] if manager.opted_out else await signal_flags.unheard(
        s, rep_id=rep.id, manager_id=manager.id, keys=set(strong), now=now)
    for key, flag in strong.items():
        row = await signal_flags.raise_flag(s, rep=rep, manager_id=manager.id, key=key, kind=flag.kind,
                                            strength=flag.strength, now=now)
        if row is not None:
            rows.append(row)
    rows += await signal_flags.wake_snoozed(s, rep_id=rep.id, manager_id=manager.id, keys=set(strong), now=now)
    if not rows:
        return 0
    day = now.astimezone(zone_of(manager)).date()
    placed = [planner.placed(NudgeSpec("signal", "manager", day, subject("flag", row.id),
                                       f"{subject('flag', row.id)}:told:{int(row.told_at.timestamp())}"),
                             manager, workspace, now, {"rep": rep.name})
              for row in rows]
    return await nudges.schedule(s, placed, now=now)
