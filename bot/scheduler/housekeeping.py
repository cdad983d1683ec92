"""Periodic upkeep: this week's digests and pipeline pulses, the daily look at signals, and forgetting old
event ids."""
from __future__ import annotations

import logging
from datetime import timedelta

from bot.core import planner
from bot.ops.data_rights import purge_expired
from bot.scheduler import signals_job
from storage import events, lines, nudges, opportunities, people
from storage.db import Database

log = logging.getLogger("coachbot.housekeeping")


async def run(db: Database, clock, retention_months: int = 0) -> dict[str, int]:
    """Plan the weekly nudges that don't exist yet, purge sightings of old Slack events, and apply the
    retention setting to closed conversations and finished retrospectives."""
    now = clock.now()
    planned = 0
    async with db.session() as s:
        for m in await people.managers(s):
            planned += await planner.ensure_weekly(s, person=m, kind="digest", now=now)
        # Every rep with a confirmed manager, plan or not: a decline shows before a talk is needed.
        for r in await opportunities.reps_to_pulse(s):
            planned += await planner.ensure_weekly(s, person=r, kind="pulse", now=now)
        purged = await events.forget_before(s, cutoff=now - timedelta(days=1))
        lapsed = await lines.expire(s, now=now)  # unanswered invitations: closed and logged
        requeued = await nudges.requeue_reachable(s, now=now)
        if requeued:
            log.warning("%d waiting message(s) can be delivered now; due again", requeued)
    signalled = await signals_job.run(db, clock)  # once a day per workspace; the other runs find it done
    expired = await purge_expired(db, now=now, months=retention_months)
    if any(expired.values()):
        log.warning("retention (%d months): purged %s", retention_months,
                    ", ".join(f"{v} {k}" for k, v in expired.items() if v))
    return {"planned": planned, "purged_events": purged, "lapsed_invitations": lapsed, **signalled,
            **{f"expired_{k}": v for k, v in expired.items()}}
