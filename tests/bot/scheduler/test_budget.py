"""The message budget through the real service, dispatcher and console sender, on SQLite and PostgreSQL:
one scheduled message per person per half-day, the half-day's nudges merged, alerts at once."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.core.commands import parse
from storage.models import Nudge
from tests.bot.scheduler import test_scheduler as base
from tests.bot.scheduler.test_scheduler import ALEX, MON, SAM

world = base.world  # the fixture: the real service, dispatcher and console sender on SQLite and PostgreSQL

TUE = MON.replace(hour=0) + timedelta(days=1)  # Tuesday 00:00 UTC; Alex and Sam work 09:00-17:30 UTC


async def due(world, nudge_id: int, at: datetime) -> None:
    async with world.db.session() as s:
        await s.execute(update(Nudge).where(Nudge.id == nudge_id).values(due_at=at))


async def alex_three_on_tuesday_morning(world) -> list[Nudge]:
    """Alex's first check-in, their action reminder and the review reminder, all due Tuesday morning."""
    await world.talk()
    await world.dispatcher.run_until_idle()  # the shared plan and line notices go out as the talk ends
    mine = await world.nudges(status="pending")
    alex = [n for n in mine if n.kind in ("checkin_rep", "action_due", "review_reminder")
            and n.dedupe_key.endswith((":checkin:0:rep", ":due", ":review_eve:rep"))]
    alex = [n for n in alex if n.kind != "action_due" or n.recipient_id == alex[0].recipient_id]
    three = sorted(alex, key=lambda n: n.kind)[:3]
    for minutes, n in zip((20, 50, 80), three):
        await due(world, n.id, TUE + timedelta(hours=9, minutes=minutes))
    return three


async def test_three_nudges_due_one_morning_go_as_one_message_whose_buttons_all_work(world):
    three = await alex_three_on_tuesday_morning(world)
    assert {n.kind for n in three} == {"checkin_rep", "action_due", "review_reminder"}
    before = len(world.sent_to("alex"))
    await world.at(TUE + timedelta(hours=9, minutes=30))
    got = world.sent_to("alex")[before:]
    assert len(got) == 1 and "Three things for you today" in got[0], got
    sent = {n.id: n for n in await world.nudges(status="sent")}
    assert all(n.id in sent for n in three)
    assert len({sent[n.id].message_ref for n in three}) == 1  # one message, one reference for all three
    # Each item's buttons came with it and still check their subject and owner.
    _, action, value = world.sender.buttons[world.button("Done")]
    out = await world.service.buttons.press(ALEX, action, value)
    assert "done" in out[0].text.lower()
    refused = await world.service.buttons.press(SAM, *world.sender.buttons[world.button("On track")][1:])
    assert "belongs to someone else" in refused[0].reason
    # Nothing more for Alex that morning, whatever else the scheduler holds.
    await world.at(TUE + timedelta(hours=11, minutes=59))
    assert len(world.sent_to("alex")[before:]) == 1


async def test_a_second_scheduled_nudge_in_a_morning_waits_for_the_afternoon(world):
    first, second, _ = await alex_three_on_tuesday_morning(world)
    await due(world, second.id, TUE + timedelta(days=3))  # out of the way
    await due(world, first.id, TUE + timedelta(hours=9, minutes=20))
    before = len(world.sent_to("alex"))
    await world.at(TUE + timedelta(hours=9, minutes=30))
    assert len(world.sent_to("alex")[before:]) == 1
    await due(world, second.id, TUE + timedelta(hours=10, minutes=15))
    await world.at(TUE + timedelta(hours=11, minutes=45))
    assert len(world.sent_to("alex")[before:]) == 1  # held
    (held,) = [n for n in await world.nudges() if n.id == second.id]
    assert held.status == "pending" and held.last_error.startswith("message budget")
    assert TUE + timedelta(hours=12) <= held.due_at < TUE + timedelta(hours=17, minutes=30)
    await world.at(TUE + timedelta(hours=17))
    assert len(world.sent_to("alex")[before:]) == 2


async def test_a_stuck_alert_reaches_the_manager_at_once_whatever_the_budget(world):
    await alex_three_on_tuesday_morning(world)
    sam = [n for n in await world.nudges(status="pending") if n.kind == "checkin_manager"][0]
    await due(world, sam.id, TUE + timedelta(hours=9, minutes=5))
    await world.at(TUE + timedelta(hours=9, minutes=30))
    before = len(world.sent_to("sam"))
    _, action, value = world.sender.buttons[world.button("Stuck")]
    await world.service.buttons.press(ALEX, action, value)
    await world.dispatcher.run_until_idle()
    assert any("stuck" in line for line in world.sent_to("sam")[before:])


async def test_fewer_messages_means_one_scheduled_message_a_day(world):
    first, second, _ = await alex_three_on_tuesday_morning(world)
    out = await world.service.command(ALEX, parse("settings fewer on"))  # the person's own choice
    assert out[0].text == "Saved." and out[1].fewer_messages
    await due(world, second.id, TUE + timedelta(days=3))
    before = len(world.sent_to("alex"))
    await world.at(TUE + timedelta(hours=9, minutes=30))
    await due(world, second.id, TUE + timedelta(hours=14))
    await world.at(TUE + timedelta(hours=17, minutes=30))
    assert len(world.sent_to("alex")[before:]) == 1
    (held,) = [n for n in await world.nudges() if n.id == second.id]
    assert "per day" in held.last_error and held.due_at.date() == (TUE + timedelta(days=1)).date()
    assert held.due_at.hour < 12


async def test_fewer_messages_is_off_until_the_person_turns_it_on_and_back_off(world):
    assert not (await world.service.command(ALEX, parse("settings")))[0].fewer_messages
    await world.service.command(ALEX, parse("settings fewer on"))
    await world.service.command(ALEX, parse("settings fewer off"))
    assert not (await world.service.command(ALEX, parse("settings")))[0].fewer_messages
    wrong = await world.service.command(ALEX, parse("settings fewer maybe"))
    assert "settings fewer on|off" in wrong[0].text
