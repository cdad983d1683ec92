"""A signal setting stored under a name this version doesn't know (renamed since, or saved by another version
before a rollback) is ignored, not a lock: the admin sees it listed as ignored, can still change every other
threshold, and removes it with `<name> default`; the daily check keeps the workspace's other thresholds."""
from __future__ import annotations

from sqlalchemy import select

from bot.core.commands import parse
from storage import signal_flags
from storage.models import Person
from tests.bot.core.test_signals import MON, SAM, day, signals_to, team, world  # noqa: F401


async def store(world, settings: dict) -> int:
    async with world.db.session() as s:
        sam = (await s.execute(select(Person).where(Person.platform_user_id == "sam"))).scalar_one()
        await signal_flags.save_settings(s, workspace_id=sam.workspace_id, settings=settings, by=sam.id, now=MON)
        return sam.workspace_id


async def stored(world, workspace_id: int) -> dict:
    async with world.db.session() as s:
        return await signal_flags.stored_settings(s, workspace_id=workspace_id)


async def say(world, text: str) -> str:
    return (await world.service.command(SAM, parse(text)))[0].text


async def test_an_unknown_stored_name_is_listed_as_ignored_and_blocks_no_change(world):
    await team(world, falling_weeks=None)
    ws = await store(world, {"stuck_weeks": 3, "falling_weeks": 4})
    listing = await say(world, "settings signals")
    assert "• falling_weeks = 4 (default 3)" in listing
    assert "• stuck_weeks = 3 — ignored: this version of coachbot doesn't know this setting" in listing
    assert "/coach settings signals stuck_weeks default" in listing
    assert (await say(world, "settings signals falling_weeks 5")).startswith("Saved for the whole workspace — "
                                                                             "falling_weeks: 5")
    assert await stored(world, ws) == {"falling_weeks": 5, "stuck_weeks": 3}  # kept for the version that knows it
    assert "unknown signal setting 'stuck_weeks'" in await say(world, "settings signals stuck_weeks 4")
    assert (await say(world, "settings signals Stuck-Weeks default")).startswith("Removed stuck_weeks")
    assert await stored(world, ws) == {"falling_weeks": 5}
    assert "stuck_weeks" not in await say(world, "settings signals")
    assert "unknown signal setting 'stuck_weeks'" in await say(world, "settings signals stuck_weeks default")


async def test_the_daily_check_keeps_the_known_thresholds_beside_an_unknown_name(world):
    """Four falls asked for: Alex's three (4, 2, 1, 0) are not told, as they would be under the defaults."""
    await team(world, falling_weeks=None)
    await store(world, {"stuck_weeks": 3, "falling_weeks": 4})
    await day(world, MON)
    assert not signals_to(world, "sam")
