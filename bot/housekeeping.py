"""Periodic upkeep: this week's digests and pipeline pulses, and forgetting old event ids."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import planner
from storage import events
from storage.db import Database
from storage.models import Conversation, Person


async def run(db: Database, clock) -> dict[str, int]:
    """Plan the weekly nudges that don't exist yet and purge sightings of old Slack events."""
    now = clock.now()
    planned = 0
    async with db.session() as s:
        managers = list((await s.execute(select(Person).where(
            Person.id.in_(select(Person.manager_id).where(Person.manager_id.is_not(None)).distinct()),
            Person.opted_out.is_(False)))).scalars())
        for m in managers:
            planned += await planner.ensure_weekly(s, person=m, kind="digest", now=now)
        reps = list((await s.execute(select(Person).where(
            Person.id.in_(select(Conversation.rep_id).where(Conversation.status == "open")),
            Person.opted_out.is_(False)))).scalars())
        for r in reps:
            planned += await planner.ensure_weekly(s, person=r, kind="pulse", now=now)
        purged = await events.forget_before(s, cutoff=now - timedelta(days=1))
    return {"planned": planned, "purged_events": purged}
