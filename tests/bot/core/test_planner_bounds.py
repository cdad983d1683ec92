"""The planner's cap holds on a real database: a review date from before dates were bounded (years
away, or the last day of the calendar) schedules at most MAX_NUDGES_PER_PLAN nudges, quickly."""
from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.core import planner
from flows.cadence import MAX_NUDGES_PER_PLAN
from storage import people
from storage.db import Database, migrate
from storage.models import Nudge
from tests.support.clock import FIXED_NOW
from tests.support.evidence import attempted


@pytest.mark.parametrize("review", [date(2046, 11, 23), date(9999, 12, 31)], ids=["20 years", "end of calendar"])
async def test_a_plan_with_a_review_years_away_schedules_at_most_the_cap(db_url, review):
    migrate(db_url)
    db = Database(db_url)
    try:
        async with db.session() as s:
            ws = await people.get_or_create_workspace(s, platform="slack", external_id="TCAP")
            manager = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="UMGR", name="Sam",
                                                        tz="America/Los_Angeles")
            rep = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="UREP", name="Alex",
                                                    tz="Pacific/Honolulu")
            began = time.perf_counter()
            await planner.plan_talk(s, talk_id=1, manager=manager, rep=rep, review=review, now=FIXED_NOW)
            took = time.perf_counter() - began
        async with db.session() as s:
            stored = (await s.execute(select(func.count()).select_from(Nudge))).scalar_one()
    finally:
        await db.close()
    attempted("review years away schedules unbounded nudges (planner)", stored <= MAX_NUDGES_PER_PLAN)
    assert 0 < stored <= MAX_NUDGES_PER_PLAN
    assert took < 2, f"planning took {took:.2f} s"
