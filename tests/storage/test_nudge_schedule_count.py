"""Housekeeping says how many weekly nudges it planned, the same on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.core.identity import Actor
from bot.core.service import CoachService
from bot.scheduler import housekeeping
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from tests.support.clock import FixedClock
from tests.support.lines import confirm_line

MON = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
SAM = Actor("console", "demo", "sam", "Sam", "UTC")
ALEX = Actor("console", "demo", "alex", "Alex", "UTC")


async def test_the_planned_count_is_the_number_of_nudges_added(db_url):
    migrate(db_url)
    db = Database(db_url)
    try:
        clock = FixedClock(MON)
        await confirm_line(CoachService(db, NotesCipher(NotesCipher.generate_key()), clock), SAM, ALEX)
        first = await housekeeping.run(db, clock)
        assert first["planned"] == 2  # Sam's digest and Alex's pulse (PostgreSQL's rowcount said -1)
        again = await housekeeping.run(db, clock)
        assert again["planned"] == 0  # already planned: nothing added, nothing counted
    finally:
        await db.close()
