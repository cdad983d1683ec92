"""A signal through signed Slack requests to a served app: the rep's pulse falls 4, 2, 1, 0, the daily check
runs, the confirmed manager gets one DM with the dated numbers and three buttons that only they can press,
and the rep reads the same facts with `/coach signals`."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from bot.core.clock import SystemClock
from bot.scheduler import signals_job
from flows.signals import week_of
from storage import opportunities, signal_flags
from storage.db import Database
from tests.support.evidence import attempted
from tests.support.lines import confirm_served
from tests.support.served import Served, eventually, flat, new_person, query, utc_text


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("signals"), extra_env={"COACHBOT_TICK_SECONDS": "0.3"})
    yield s
    s.stop()


def seed_falling_pulse(served: Served, rep: str) -> None:
    """Four weeks of pulse answers ending this week, 4, 2, 1, 0, and a workspace threshold that makes three
    falls strong; then the daily check, as housekeeping runs it."""
    async def run() -> dict:
        db = Database(served.database_url)
        try:
            async with db.session() as s:
                ((ws, rep_id),) = query(served, "SELECT workspace_id, id FROM people WHERE platform_user_id = :u",
                                        u=rep)
                this_week = week_of(datetime.now(timezone.utc).date())
                for back, count in ((3, 4), (2, 2), (1, 1), (0, 0)):
                    await opportunities.record_pulse(s, workspace_id=ws, person_id=rep_id, count=count,
                                                     week_start=this_week - timedelta(weeks=back),
                                                     now=datetime.now(timezone.utc))
                await signal_flags.save_settings(s, workspace_id=ws, settings={"falling_weeks": 2}, by=None,
                                                 now=datetime.now(timezone.utc))
            query(served, "UPDATE workspace_signal_settings SET checked_on = NULL")
            return await signals_job.run(db, SystemClock())
        finally:
            await db.close()

    assert asyncio.run(run())["signals_told"] == 1


def around_the_clock(served: Served, *users: str) -> None:
    for user in users:
        query(served, "UPDATE people SET work_start = '00:00', work_end = '23:59', "
                      "work_days = 'mon,tue,wed,thu,fri,sat,sun' WHERE platform_user_id = :u", u=user)


def press(served: Served, fake, user: str, button: dict, rid: str) -> None:
    reply = served.click(button["action_id"], button["value"], user=user, channel="D" + user[1:], message_ts="1.1",
                         container="message", response_url=fake.response_url(f"{user}-{rid}"))
    assert reply.status == 200, reply


def test_the_manager_hears_a_falling_pulse_once_and_only_they_can_act_on_it(served, fake):
    mgr, rep, other = new_person(fake, "Maya Lee", tz="UTC"), new_person(fake, "Alex Reed", tz="UTC"), \
        new_person(fake, "Omar Diaz", tz="UTC")
    confirm_served(served, mgr, rep)
    served.command("team", user=other)
    fake.wait_for_response(other)
    around_the_clock(served, mgr, rep, other)
    seed_falling_pulse(served, rep)
    query(served, "UPDATE nudges SET due_at = :d WHERE kind = 'signal'",
          d=utc_text(datetime.now(timezone.utc) - timedelta(minutes=1)))
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                       and "A signal about" in flat(c.body))[-1]
    text = flat(dm.body)
    assert "Alex Reed: 4, 2, 1, 0 new opportunities in the four weeks of" in text
    assert "(from their weekly pulse answers)" in text
    buttons = {b["text"]["text"]: b for b in dm.body["blocks"][-1]["elements"]}
    assert set(buttons) == {"Prepare a conversation with Alex Reed", "Dismiss", "Snooze a week"}

    for who, user in (("another manager", other), ("the rep", rep)):
        press(served, fake, user, buttons["Dismiss"], "refused")
        refused = bool(fake.wait_for_response(user, containing="belongs to someone else")) and \
            query(served, "SELECT status FROM signal_flags") == [("raised",)]
        attempted(f"{who} dismissing a manager's signal through Slack", refused)
        assert refused

    served.command("signals", user=rep)
    assert fake.wait_for_response(rep, containing="Your manager was told: your new opportunities were 4, 2, 1, 0")

    trigger = fake.trigger()
    reply = served.click(buttons["Prepare a conversation with Alex Reed"]["action_id"],
                         buttons["Prepare a conversation with Alex Reed"]["value"], user=mgr, channel="D" + mgr[1:],
                         message_ts="1.1", container="message", trigger_id=trigger,
                         response_url=fake.response_url(f"{mgr}-prepare"))
    assert reply.status == 200, reply
    opened = fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1]
    assert "Alex Reed" in flat(opened.body) and opened.body["view"]["callback_id"] != "notice", opened.body  # the talk's first step, opened where /coach talk opens it
    assert query(served, "SELECT prepared_at IS NOT NULL FROM signal_flags") in ([(1,)], [(True,)])

    press(served, fake, mgr, buttons["Dismiss"], "dismiss")
    assert fake.wait_for_response(mgr, containing="Dismissed — I won't raise this about Alex Reed again")
    assert eventually(lambda: query(served, "SELECT status FROM signal_flags") == [("dismissed",)])
    told = sum("A signal about" in flat(c.body) for c in fake.calls_to("chat.postMessage"))
    query(served, "UPDATE workspace_signal_settings SET checked_on = NULL")
    db = Database(served.database_url)
    try:
        again = asyncio.run(signals_job.run(db, SystemClock()))
    finally:
        asyncio.run(db.close())
    assert again["signals_told"] == 0 and again["signals_checked"] >= 1
    assert sum("A signal about" in flat(c.body) for c in fake.calls_to("chat.postMessage")) == told


def test_a_prepare_press_whose_form_slack_wont_open_says_so_and_a_second_press_opens_it(served, fake):
    """A slow moment: Slack refuses the press's trigger (expired after 3 s), so the talk's form can't open.
    The manager is told so, instead of seeing nothing happen, and pressing again opens it."""
    mgr, rep = new_person(fake, "Nia Park", tz="UTC"), new_person(fake, "Theo Hart", tz="UTC")
    confirm_served(served, mgr, rep)
    around_the_clock(served, mgr, rep)
    seed_falling_pulse(served, rep)
    query(served, "UPDATE nudges SET due_at = :d WHERE kind = 'signal' AND status = 'pending'",
          d=utc_text(datetime.now(timezone.utc) - timedelta(minutes=1)))
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                       and "A signal about Theo Hart" in flat(c.body))[-1]
    prepare = next(b for b in dm.body["blocks"][-1]["elements"] if b["text"]["text"].startswith("Prepare"))
    stale = "1.1.expired0000"  # a trigger Slack no longer takes (invalid_trigger_id / expired_trigger_id)
    served.click(prepare["action_id"], prepare["value"], user=mgr, channel="D" + mgr[1:], message_ts="1.1",
                 container="message", trigger_id=stale, response_url=fake.response_url(f"{mgr}-slow"))
    told = fake.wait_for_response(mgr, containing="didn't let me open the form in time")
    assert [r[0] for r in fake.take_refusals()] == ["views.open"]
    assert told
    trigger = fake.trigger()
    served.click(prepare["action_id"], prepare["value"], user=mgr, channel="D" + mgr[1:], message_ts="1.1",
                 container="message", trigger_id=trigger, response_url=fake.response_url(f"{mgr}-again"))
    opened = fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1]
    assert "Theo Hart" in flat(opened.body) and opened.body["view"]["callback_id"] != "notice", opened.body
