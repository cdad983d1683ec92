"""The manager hears it early (issue 17.2), through the real service, housekeeping and the console transport,
on SQLite and PostgreSQL: a strong flag becomes one signal message with dated numbers and three buttons,
Dismiss keeps it quiet, Snooze brings it back after a week, and only the rep's confirmed manager is told."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.core.buttons import NOT_YOURS
from bot.core.commands import parse
from bot.core.identity import Actor
from bot.ops import data_rights
from bot.scheduler import housekeeping
from flows.outputs import Prompt
from storage import opportunities, signal_flags
from storage.models import Nudge, Person, SignalFlag, Workspace
from tests.bot.scheduler.test_scheduler import World
from tests.support.clock import FixedClock
from tests.support.evidence import attempted
from tests.support.lines import confirm_line
from storage.db import Database, migrate

MON = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # Monday, 10:00 UTC
SAM = Actor("console", "demo", "sam", "Sam", "UTC")
ALEX = Actor("console", "demo", "alex", "Alex", "UTC")
KIM = Actor("console", "demo", "kim", "Kim", "UTC")
JO = Actor("console", "demo", "jo", "Jo", "UTC")
FELL = "Alex: 4, 2, 1, 0 new opportunities in the four weeks of 2 Nov – 23 Nov 2026 (from their weekly pulse answers)."


@pytest.fixture
async def world(db_url):
    migrate(db_url)
    db = Database(db_url)
    yield World(db, FixedClock(MON))
    await db.close()


async def team(world: World, *, falling_weeks: int | None = 2) -> None:
    """Sam manages Alex (confirmed) and Kim manages Jo; Alex's pulse fell 4, 2, 1, 0 over four weeks."""
    await confirm_line(world.service, SAM, ALEX)
    await confirm_line(world.service, KIM, JO)
    async with world.db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == "sam").values(is_admin=True))
        alex = (await s.execute(select(Person).where(Person.platform_user_id == "alex"))).scalar_one()
        for week, count in ((date(2026, 11, 2), 4), (date(2026, 11, 9), 2), (date(2026, 11, 16), 1),
                            (date(2026, 11, 23), 0)):
            await opportunities.record_pulse(s, workspace_id=alex.workspace_id, person_id=alex.id, week_start=week,
                                             count=count, now=MON)
    if falling_weeks is not None:  # 4, 2, 1, 0 is three falls: strong once the threshold is two
        out = await world.service.command(SAM, parse(f"settings signals falling_weeks {falling_weeks}"))
        assert "Saved for the whole workspace — falling_weeks: 2" in out[0].text, out


async def day(world: World, when: datetime) -> None:
    """Housekeeping at `when` (the daily signal check among it), then the scheduler delivers what is due."""
    await world.at(when)
    await housekeeping.run(world.db, world.clock)
    await world.at(when + timedelta(hours=7))


def signals_to(world: World, who: str) -> list[str]:
    return [line for line in world.sent_to(who) if "A signal about" in line]


async def flag_row(world: World) -> SignalFlag:
    async with world.db.session() as s:
        return (await s.execute(select(SignalFlag))).scalar_one()


async def test_a_falling_pulse_reaches_the_manager_once_with_dated_numbers_and_three_buttons(world):
    await team(world)
    await day(world, MON)
    (told,) = signals_to(world, "sam")
    assert FELL in told
    labels = [line for line in world.lines if "Prepare a conversation with Alex" in line]
    assert labels and "Dismiss" in labels[-1] and "Snooze a week" in labels[-1]
    for later in (MON + timedelta(hours=2), MON + timedelta(days=1), MON + timedelta(days=2)):
        await day(world, later)
    assert len(signals_to(world, "sam")) == 1  # told once, however often it is looked at
    assert signals_to(world, "kim") == [] and signals_to(world, "alex") == []

    out = await world.service.command(ALEX, parse("signals"))
    assert "What coachbot tells Sam about you right now:" in out[0].text
    assert ("Your manager was told: your new opportunities were 4, 2, 1, 0 in the four weeks of 2 Nov – 23 Nov 2026 "
            "(from your weekly pulse answers).") in out[0].text
    mine = await world.service.command(SAM, parse("signals"))
    assert FELL in mine[-1].text
    assert "crosses a signal threshold" in (await world.service.command(KIM, parse("signals")))[-1].text


async def test_dismiss_keeps_it_quiet_and_snooze_brings_it_back_after_a_week(world):
    await team(world)
    await day(world, MON)
    _, action, value = world.sender.buttons[world.button("Snooze a week")]
    out = await world.service.buttons.press(SAM, action, value)
    assert out[0].text == "Snoozed — if it still holds after Mon 30 Nov 2026, I'll tell you about Alex again."
    assert "crosses a signal threshold" in (await world.service.command(SAM, parse("signals")))[-1].text
    for n in range(1, 7):
        await day(world, MON + timedelta(days=n))
    assert len(signals_to(world, "sam")) == 1
    await day(world, MON + timedelta(days=8))  # Tuesday 1 Dec: the snooze is over and the decline still holds
    assert len(signals_to(world, "sam")) == 2 and FELL in signals_to(world, "sam")[-1]

    _, action, value = world.sender.buttons[world.button("Dismiss")]
    out = await world.service.buttons.press(SAM, action, value)
    assert out[0].text.startswith("Dismissed — I won't raise this about Alex again.")
    for n in range(9, 13):
        await day(world, MON + timedelta(days=n))
    assert len(signals_to(world, "sam")) == 2
    assert (await flag_row(world)).status == "dismissed"
    mine = await world.service.command(SAM, parse("signals"))
    assert FELL not in mine[-1].text


async def test_only_the_confirmed_manager_may_press_and_a_manager_who_lost_the_line_is_told(world):
    await team(world)
    await day(world, MON)
    _, action, value = world.sender.buttons[world.button("Dismiss")]
    for who, presser in (("another manager", KIM), ("the rep", ALEX), ("another workspace's manager",
                                                                      Actor("console", "other", "sam", "Sam", "UTC"))):
        out = await world.service.buttons.press(presser, action, value)
        refused = NOT_YOURS in getattr(out[0], "reason", "") and (await flag_row(world)).status == "raised"
        attempted(f"{who} pressing Dismiss on a manager's signal", refused)
        assert refused, (who, out)

    # Alex moves to Kim: Sam's flag closes, Sam's old buttons are refused with the reason, and Kim is told
    # afresh (Sam's episode is not Kim's).
    await world.service.command(KIM, parse("team add @alex"))
    await world.service.command(ALEX, parse("team accept @kim"))
    await day(world, MON + timedelta(days=1))
    out = await world.service.buttons.press(SAM, action, value)
    assert out[0].reason.startswith("Alex doesn't report to you now, so this signal is closed")
    assert (await world.service.command(SAM, parse("signals")))[-1].text.startswith("Signals are about a rep")
    assert len(signals_to(world, "kim")) == 1 and FELL in " ".join(signals_to(world, "kim"))
    async with world.db.session() as s:
        rows = {(r.manager_id, r.status) for r in (await s.execute(select(SignalFlag))).scalars()}
    assert rows == {((await person(world, "sam")).id, "closed"), ((await person(world, "kim")).id, "raised")}


async def test_a_pending_manager_and_another_workspace_hear_nothing(world):
    await team(world)
    await world.service.command(KIM, parse("team add @alex"))  # invited, not accepted
    await day(world, MON)
    assert signals_to(world, "kim") == [] and len(signals_to(world, "sam")) == 1
    kim = await world.service.command(KIM, parse("signals"))
    assert "Alex" not in " ".join(o.text for o in kim)


async def test_prepare_starts_the_talk_by_its_own_road_and_notes_the_flag(world):
    await team(world)
    await day(world, MON)
    _, action, value = world.sender.buttons[world.button("Prepare a conversation with Alex")]
    out = await world.service.buttons.press(SAM, action, value)
    assert any(isinstance(o, Prompt) for o in out), out
    row = await flag_row(world)
    assert row.prepared_at is not None
    async with world.db.session() as s:
        assert [f.id for f in await signal_flags.prepared_for(s, manager_id=row.manager_id, rep_id=row.rep_id)] == [row.id]


async def test_by_default_three_falls_are_told_within_the_day_and_the_digest_lists_them_too(world):
    await team(world, falling_weeks=None)  # default 3: 4, 2, 1, 0 is three falls, at the threshold
    await day(world, MON)
    assert len(signals_to(world, "sam")) == 1
    digest = [line for line in world.sent_to("sam") if "Who needs your time" in line]
    assert digest
    assert any(line.strip() == f"– {FELL}" for line in world.lines), world.lines[-12:]


async def test_settings_signals_are_for_admins_and_errors_are_shown_as_they_are(world):
    await team(world, falling_weeks=None)
    listing = (await world.service.command(SAM, parse("settings signals")))[0].text
    assert "• falling_weeks = 3 — weeks in a row that new opportunities fell; 2 to 8" in listing
    bad = (await world.service.command(SAM, parse("settings signals falling_weeks 99")))[0].text
    assert bad == "Nothing was changed: falling_weeks (weeks in a row that new opportunities fell) must be from 2 to 8, not 99."
    unknown = (await world.service.command(SAM, parse("settings signals nope 3")))[0].text
    assert "unknown signal setting 'nope'" in unknown
    assert "unknown signal setting 'nope'" in (await world.service.command(SAM, parse("settings signals nope default")))[0].text
    refused = await world.service.command(ALEX, parse("settings signals falling_weeks 2"))
    assert "Only a workspace admin" in refused[0].reason
    await world.service.command(SAM, parse("settings signals min_weekly_opportunities 5"))
    listing = (await world.service.command(SAM, parse("settings signals")))[0].text
    assert "• min_weekly_opportunities = 5 (default none)" in listing
    await world.service.command(SAM, parse("settings signals min_weekly_opportunities default"))
    assert "• min_weekly_opportunities = none —" in (await world.service.command(SAM, parse("settings signals")))[0].text


async def test_forget_deletes_the_reps_flags_and_export_shows_them(world):
    await team(world)
    await day(world, MON)
    exported = await data_rights.export_person(world.db, world.service.cipher, "alex")
    assert [(f["role"], f["kind"], f["status"]) for f in exported["signal_flags"]] == [
        ("rep", "opportunities_falling", "raised")]
    _, removed = await data_rights.forget(world.db, world.service.cipher, "alex")
    assert removed["signal_flags"] == 1
    async with world.db.session() as s:
        assert (await s.execute(select(SignalFlag))).first() is None
        assert not [n for n in (await s.execute(select(Nudge).where(Nudge.kind == "signal"))).scalars()
                    if n.status == "pending"]


async def person(world: World, user: str) -> Person:
    async with world.db.session() as s:
        return (await s.execute(select(Person).join(Workspace, Workspace.id == Person.workspace_id).where(
            Person.platform_user_id == user, Workspace.external_id == "demo"))).scalar_one()


async def test_an_old_managers_dismissal_is_not_the_new_managers(world):
    await team(world)
    await day(world, MON)
    _, action, value = world.sender.buttons[world.button("Dismiss")]
    await world.service.buttons.press(SAM, action, value)
    await world.service.command(KIM, parse("team add @alex"))
    await world.service.command(ALEX, parse("team accept @kim"))
    await day(world, MON + timedelta(days=1))
    assert len(signals_to(world, "kim")) == 1 and FELL in " ".join(signals_to(world, "kim"))
    told = (await world.service.command(ALEX, parse("signals")))[0].text
    assert "What coachbot tells Kim about you right now:" in told and "4, 2, 1, 0" in told


async def test_a_snooze_pressed_after_dismiss_keeps_the_promise_of_never_again(world):
    """Dismiss, then Snooze on the same message (a second device, or both pressed in a hurry): Dismiss said
    "I won't raise this again", so the flag stays dismissed and is not told again a week later."""
    await team(world)
    await day(world, MON)
    _, dismiss, value = world.sender.buttons[world.button("Dismiss")]
    _, snooze, _ = world.sender.buttons[world.button("Snooze a week")]
    await world.service.buttons.press(SAM, dismiss, value)
    out = await world.service.buttons.press(SAM, snooze, value)
    assert "already dismissed" in out[0].text, out
    assert (await flag_row(world)).status == "dismissed"
    await day(world, MON + timedelta(days=8))
    assert len(signals_to(world, "sam")) == 1
