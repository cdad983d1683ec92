"""A pulse names the week it asks about once that week is over: a rep paused until the next Monday gets the
23 Nov pulse then, and its question, its "6 or more…" form and the answer all say "the week of 23 Nov".
In its own week it still asks about "this week". SQLite and PostgreSQL, console rendering."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from bot.core.nudge_actions import AskCount
from bot.scheduler import housekeeping
from storage.models import OpportunityCount, Person
from tests.bot.core.test_signals import ALEX, MON, team, world  # noqa: F401 (the fixture)


async def _press(world, label: str):
    """Alex presses `label` under his pulse (the line of buttons after it; Jo's pulse has the same ones)."""
    at = max(i for i, line in enumerate(world.lines) if "to @alex: Pipeline pulse" in line)
    letter = world.lines[at + 1].split(f"] {label}")[0].rsplit("[", 1)[1]
    _, action, value = world.sender.buttons[letter]
    return await world.service.buttons.press(ALEX, action, value)


async def _counts(world) -> list[tuple[date, int]]:
    async with world.db.session() as s:
        rows = await s.execute(select(OpportunityCount.week_start, OpportunityCount.count)
                               .join(Person, Person.id == OpportunityCount.person_id)
                               .where(Person.platform_user_id == "alex", OpportunityCount.source == "pulse"))
        return sorted(tuple(r) for r in rows)


async def test_a_pulse_held_into_the_next_week_names_its_week(world):
    await team(world, falling_weeks=None)
    async with world.db.session() as s:
        await s.execute(OpportunityCount.__table__.delete())  # only this test's answers
        await s.execute(update(Person).where(Person.platform_user_id == "alex")
                        .values(paused_until=MON + timedelta(days=7, hours=1)))  # until Mon 30 Nov 11:00
    for d in range(8):
        await world.at(MON + timedelta(days=d))
        await housekeeping.run(world.db, world.clock)
    await world.at(MON + timedelta(days=7, hours=8))
    (pulse,) = [line for line in world.sent_to("alex") if "Pipeline pulse" in line]
    assert "[Mon 30 Nov" in pulse
    assert pulse.endswith("how many new opportunities did you open in the week of 23 Nov?")
    (ask,) = await _press(world, "6 or more…")
    assert isinstance(ask, AskCount)
    assert ask.text.startswith("How many new opportunities did you open in the week of 23 Nov?")
    assert ask.label == "New opportunities in the week of 23 Nov"
    (noted,) = await _press(world, "0")
    assert noted.text.startswith("Noted: 0 new opportunities in the week of 23 Nov.")
    assert await _counts(world) == [(date(2026, 11, 23), 0)]


async def test_a_pulse_in_its_own_week_asks_about_this_week(world):
    await team(world, falling_weeks=None)
    for d in range(4):  # the pulse goes out on Thursday
        await world.at(MON + timedelta(days=d))
        await housekeeping.run(world.db, world.clock)
    await world.at(MON + timedelta(days=3, hours=10))
    (pulse,) = [line for line in world.sent_to("alex") if "Pipeline pulse" in line]
    assert pulse.endswith("how many new opportunities did you open this week?")
    (ask,) = await _press(world, "6 or more…")
    assert "did you open this week?" in ask.text and ask.label == "New opportunities this week"
    # answered the next Tuesday, the same pulse's form names its week
    world.clock.current = MON + timedelta(days=8)
    (ask,) = await _press(world, "6 or more…")
    assert "did you open in the week of 23 Nov?" in ask.text
