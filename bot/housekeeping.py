"""Periodic upkeep: this week's digests and pipeline pulses, and forgetting old event ids."""
from __future__ import annotations

from datetime import timedelta

from bot import planner
from storage import events, people, talks
from storage.db import Database


async def run(db: Database, clock) -> dict[str, int]:
    """Plan the weekly nudges that don't exist yet and purge sightings of old Slack events."""
    now = clock.now()
    planned = 0
    async with db.session() as s:
        for m in await people.managers(s):
            planned += await planner.ensure_weekly(s, person=m, kind="digest", now=now)
        for r in await talks.reps_with_open_plans(s):
            planned += await planner.ensure_weekly(s, person=r, kind="pulse", now=now)
        purged = await events.forget_before(s, cutoff=now - timedelta(days=1))
    return {"planned": planned, "purged_events": purged}
