"""The scheduler through the real service and the console transport, with a clock the test moves."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.core.commands import parse
from bot.console.sender import ConsoleSender
from bot.scheduler.dispatch import Dispatcher
from bot.core.identity import Actor
from bot.core.service import CoachService
from flows.engine import Answer
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import Nudge, Person
from tests.support.clock import FixedClock
from tests.support.lines import confirm_line

MON = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # Monday, 15:00 UTC
SAM = Actor("console", "demo", "sam", "Sam", "UTC")
ALEX = Actor("console", "demo", "alex", "Alex", "UTC")
TALK = ["no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.", "",
        "My leads moved to the new team.", "Campaign; shadowing",
        "Alex: book 5 discovery calls by Friday\nme: join two of Alex's calls in 2 weeks", "2026-12-21", "yes"]


class World:
    def __init__(self, db: Database, clock: FixedClock):
        self.db, self.clock = db, clock
        self.service = CoachService(db, NotesCipher(NotesCipher.generate_key()), clock)
        self.lines: list[str] = []
        self.sender = ConsoleSender(lambda text, style: self.lines.append(text), clock)
        self.dispatcher = Dispatcher(db, self.service.cipher, clock, {"console": self.sender}, owner="test")

    async def talk(self):
        await confirm_line(self.service, SAM, ALEX)
        await self.service.command(SAM, parse("talk @alex"))
        for value in TALK:
            await self.service.answer(SAM, Answer(value))

    async def at(self, when: datetime):
        """Move the clock in 30-minute steps up to `when`, ticking on the way, like a live server would."""
        while self.clock.current < when:
            self.clock.current = min(when, self.clock.current + timedelta(minutes=30))
            await self.dispatcher.run_until_idle()

    async def nudges(self, **where) -> list[Nudge]:
        async with self.db.session() as s:
            q = select(Nudge).order_by(Nudge.due_at)
            for key, value in where.items():
                q = q.where(getattr(Nudge, key) == value)
            return list((await s.execute(q)).scalars())

    def sent_to(self, who: str) -> list[str]:
        return [line for line in self.lines if f"to @{who}:" in line]

    def button(self, label: str) -> str:
        line = next(line for line in reversed(self.lines) if f"] {label}" in line)
        return line.split(f"] {label}")[0].rsplit("[", 1)[1]


@pytest.fixture
async def world(db_url):
    migrate(db_url)
    db = Database(db_url)
    yield World(db, FixedClock(MON))
    await db.close()


async def test_a_finished_talk_schedules_and_delivers_the_first_checkins(world):
    await world.talk()
    planned = await world.nudges()
    kinds = {n.kind for n in planned}
    assert {"checkin_rep", "checkin_manager", "action_due", "review_reminder", "review_pack"} <= kinds
    assert all(n.due_at.tzinfo is not None for n in planned)
    await world.at(MON + timedelta(days=1, hours=3))  # Tuesday 18:00 UTC
    assert any("Quick check-in on the plan you agreed with Sam" in line for line in world.sent_to("alex"))
    assert any("It's been 1 day since your talk with Alex" in line for line in world.sent_to("sam"))
    sent = await world.nudges(status="sent")
    assert {n.kind for n in sent} == {"checkin_rep", "checkin_manager", "message"}  # message: the shared plan


async def test_answering_a_checkin_and_a_stuck_rep_reaches_the_manager(world):
    await world.talk()
    await world.at(MON + timedelta(days=1, hours=3))
    handle, action, value = world.sender.buttons[world.button("Stuck")]
    out = await world.service.buttons.press(ALEX, action, value)
    assert "Sam has been told you are stuck" in out[0].text
    assert out[1].person_name == "Sam" and "Alex checked in: stuck" in out[1].output.text
    stranger = Actor("console", "demo", "kim", "Kim", "UTC")
    refused = await world.service.buttons.press(stranger, action, value)
    assert "belongs to someone else" in refused[0].reason


async def test_an_early_checkin_cancels_the_one_due_soon(world):
    await world.talk()
    await world.service.command(ALEX, parse("checkin"))
    await world.service.answer(ALEX, Answer("on_track"))
    await world.service.answer(ALEX, Answer(""))
    cancelled = await world.nudges(status="cancelled", kind="checkin_rep")
    assert len(cancelled) == 1 and cancelled[0].last_error == "answered early"
    await world.at(MON + timedelta(days=1, hours=3))
    assert not any("Quick check-in" in line for line in world.sent_to("alex"))


async def test_opt_out_pause_and_snooze_are_honoured(world):
    await world.talk()
    await world.dispatcher.run_until_idle()  # what the talk queued for people (line notices, the plan) goes out
    sent_before = len(world.sent_to("sam"))
    async with world.db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == "alex").values(opted_out=True))
        await s.execute(update(Person).where(Person.platform_user_id == "sam")
                        .values(paused_until=MON + timedelta(days=4)))
    await world.at(MON + timedelta(days=1, hours=3))
    # the plan Sam shared is a message, not a nudge: it reaches Alex whatever Alex's opt-out says
    assert [line for line in world.sent_to("alex") if "shared the plan" not in line] == []
    assert len(world.sent_to("sam")) == sent_before  # paused: nothing more
    opted = await world.nudges(kind="checkin_rep", status="cancelled")
    assert opted and opted[0].last_error == "recipient opted out"
    moved = [n for n in await world.nudges(kind="checkin_manager", status="pending") if "paused" in (n.last_error or "")]
    assert moved and all(n.due_at >= MON + timedelta(days=4) for n in moved)
    async with world.db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == "sam").values(paused_until=None))
    await world.at(MON + timedelta(days=4, hours=2))
    assert len(world.sent_to("sam")) > sent_before
    handle, action, value = world.sender.buttons[world.button("Tomorrow")]
    out = await world.service.buttons.press(SAM, action, value)
    assert out[0].text.startswith("Snoozed — I'll bring it back")
    snoozed = [n for n in await world.nudges(status="pending") if ":snooze:" in n.dedupe_key]
    assert len(snoozed) == 1 and snoozed[0].due_at > world.clock.current


async def test_closing_the_plan_cancels_everything_still_scheduled(world):
    await world.talk()
    await world.dispatcher.run_until_idle()  # the plan shared with Alex goes out as the talk ends
    out = await world.service.command(SAM, parse("close @alex"))
    assert "Closed the plan with Alex" in out[0].text
    assert await world.nudges(status="pending") == []
    assert len(await world.nudges(status="cancelled")) > 5


async def test_after_downtime_stale_nudges_are_dropped_with_a_reason_and_the_rest_sent(world):
    await world.talk()
    world.clock.current = MON + timedelta(days=4, hours=1)  # the server was down for four days
    result = await world.dispatcher.run_until_idle()
    reasons = " | ".join(result.reasons)
    assert "stale" in reasons
    stale = [n for n in await world.nudges(status="cancelled") if (n.last_error or "").startswith("stale")]
    assert {n.kind for n in stale} >= {"checkin_rep", "checkin_manager"} and "message" not in {n.kind for n in stale}
    # the Thursday reminder for Friday's item is still meaningful on Friday morning? It was due Thursday:
    assert all(n.due_at < world.clock.current - timedelta(hours=20) for n in stale)


async def test_outside_working_hours_a_due_nudge_waits_for_the_morning(world):
    await world.talk()
    first = (await world.nudges(kind="checkin_rep"))[0]
    night = first.due_at.replace(hour=23, minute=0)
    async with world.db.session() as s:
        await s.execute(update(Nudge).where(Nudge.id == first.id).values(due_at=night - timedelta(minutes=5)))
    world.clock.current = night
    await world.dispatcher.run_until_idle()
    (moved,) = await world.nudges(id=first.id)
    assert moved.status == "pending" and moved.last_error == "outside the recipient's working hours"
    assert moved.due_at.hour >= 9 and moved.due_at > night


async def test_unfinished_retrospective_reminders_stop_when_it_is_done(world):
    await confirm_line(world.service, SAM, ALEX)
    await world.service.command(SAM, parse("lost Acme 12k @alex"))
    reminders = await world.nudges(kind="retro_reminder")
    assert [n.recipient_id for n in reminders].count(reminders[0].recipient_id) >= 1 and len(reminders) == 3
    await world.at(MON + timedelta(days=2, hours=2))  # two working days later
    assert any("The retrospective on Acme is still waiting" in line for line in world.sent_to("alex"))
    await world.service.command(ALEX, parse("retro"))
    for value in ["1", "", "1", "2", "1", "Proposal", "", "2", "3",
                  "I will confirm the budget before the proposal", "Globex - confirm the signer by Friday", "1"]:
        await world.service.answer(ALEX, Answer(value))
    assert (await world.nudges(kind="retro_reminder", status="cancelled"))[0].last_error == "retrospective done"
    left = await world.nudges(kind="retro_reminder", status="pending")
    assert left == []
    followups = await world.nudges(kind="followup_due")
    assert len(followups) == 1


async def test_a_removed_workspace_gets_nothing_planned_or_sent_until_it_is_back(world):
    from bot.scheduler import housekeeping

    await world.talk()
    stopped = await world.service.stop_nudges("console", "demo", "stopped: coachbot was uninstalled here")
    assert stopped > 0 and not await world.nudges(status="pending")
    assert {n.last_error for n in await world.nudges(status="failed")} == {"stopped: coachbot was uninstalled here"}
    await housekeeping.run(world.db, world.clock)  # the weekly digest and pulse are not planned for it
    assert not await world.nudges(status="pending")
    async with world.db.session() as s:  # a nudge planned before the news arrived is not sent either
        rep = (await s.execute(select(Person).where(Person.platform_user_id == "alex"))).scalar_one()
        s.add(Nudge(workspace_id=rep.workspace_id, recipient_id=rep.id, kind="pulse", subject=f"person:{rep.id}",
                    dedupe_key="late:1", due_at=world.clock.current, payload="{}"))
    await world.dispatcher.run_until_idle()
    assert [n.last_error for n in await world.nudges(dedupe_key="late:1")] == ["stopped: coachbot was uninstalled here"]
    assert not world.sent_to("alex")
    await world.service.workspace_back("console", "demo")
    await housekeeping.run(world.db, world.clock)
    assert {n.kind for n in await world.nudges(status="pending")} >= {"digest", "pulse"}


async def pulses(world) -> dict[str, Nudge]:
    async with world.db.session() as s:
        rows = (await s.execute(select(Person.platform_user_id, Nudge).join(Person, Person.id == Nudge.recipient_id)
                                .where(Nudge.kind == "pulse", Nudge.status == "pending"))).all()
    return {user: n for user, n in rows}


async def test_the_weekly_pulse_asks_every_rep_with_a_confirmed_manager_for_a_number(world):
    from bot.core.nudge_actions import NOT_A_COUNT, AskCount
    from bot.core.buttons import NOT_YOURS
    from bot.scheduler import housekeeping
    from storage import opportunities

    await confirm_line(world.service, SAM, ALEX)  # confirmed, no plan
    await world.service.command(SAM, parse("team add @jo"))  # invited only: not asked
    await housekeeping.run(world.db, world.clock)
    planned = await pulses(world)
    assert set(planned) == {"alex"}
    pulse = planned["alex"]
    assert json.loads(pulse.payload)["week"] == "2026-11-23"  # the week it asks about, Monday in Alex's zone
    await world.at(pulse.due_at + timedelta(minutes=1))
    asked = world.sent_to("alex")[-1]
    assert "Pipeline pulse: how many new opportunities" in asked
    for label in ("0", "1", "2", "3", "4", "5", "6 or more…"):
        assert f"] {label}" in "\n".join(world.lines)
    assert isinstance((await world.service.buttons.press(ALEX, "pulse.more", f"{pulse.id}:more"))[0], AskCount)
    for typed in ("501", "٣", "-1", "7.5"):
        assert (await world.service.buttons.press(ALEX, "pulse", f"{pulse.id}:{typed}"))[0].reason == NOT_A_COUNT
    assert (await world.service.buttons.press(SAM, "pulse", f"{pulse.id}:4"))[0].reason == NOT_YOURS
    said = await world.service.buttons.press(ALEX, "pulse.3", f"{pulse.id}:3")
    assert "Noted: 3 new opportunities in the week of 23 Nov." in said[0].text
    said = await world.service.buttons.press(ALEX, "pulse", f"{pulse.id}:17")  # typed after "6 or more…": replaces
    assert "Noted: 17 new opportunities" in said[0].text
    async with world.db.session() as s:
        alex = (await s.execute(select(Person).where(Person.platform_user_id == "alex"))).scalar_one()
        assert await opportunities.weekly_counts(s, person_id=alex.id, since=MON.date() - timedelta(days=7)) == [
            (MON.date(), 17, "pulse")]


async def test_no_pulse_question_where_the_crm_reports_new_deals(world):
    from bot.scheduler import housekeeping
    from storage import opportunities

    await confirm_line(world.service, SAM, ALEX)
    await housekeeping.run(world.db, world.clock)
    pulse = (await pulses(world))["alex"]
    async with world.db.session() as s:  # turned on after the pulse was planned: it is not sent either
        await opportunities.set_crm_reports_new_deals(s, workspace_id=pulse.workspace_id, on=True,
                                                      now=world.clock.current)
    await world.at(pulse.due_at + timedelta(minutes=1))
    assert not any("Pipeline pulse" in line for line in world.sent_to("alex"))
    assert (await world.nudges(id=pulse.id))[0].last_error == "the CRM reports new deals in this workspace"
    world.clock.current += timedelta(days=7)
    await housekeeping.run(world.db, world.clock)  # and next week's is not planned
    assert await pulses(world) == {}


async def test_the_review_pack_shows_the_reps_weekly_new_opportunities(world):
    from bot.scheduler import nudge_messages
    from storage import opportunities

    await world.talk()
    (pack,) = [n for n in await world.nudges(kind="review_pack")]
    async with world.db.session() as s:
        alex = (await s.execute(select(Person).where(Person.platform_user_id == "alex"))).scalar_one()
        sam = (await s.execute(select(Person).where(Person.platform_user_id == "sam"))).scalar_one()
        await opportunities.record_pulse(s, workspace_id=alex.workspace_id, person_id=alex.id,
                                         week_start=MON.date(), count=4, now=MON)
        await opportunities.add_crm_deal(s, workspace_id=alex.workspace_id, person_id=alex.id, deal_key="crm:1",
                                         week_start=MON.date() + timedelta(days=7), now=MON)
        # one of the four Alex counted also came from the CRM: the week is still 4, shown once
        await opportunities.add_crm_deal(s, workspace_id=alex.workspace_id, person_id=alex.id, deal_key="crm:2",
                                         week_start=MON.date(), now=MON)
    async with world.db.session() as s:
        shown = await nudge_messages.build(s, world.service.cipher, pack, sam, MON + timedelta(days=28))
    assert ("New opportunities per week: Mon 23 Nov 2026: 4, Mon 30 Nov 2026: 1 (CRM), Mon 7 Dec 2026: no answer, "
            "Mon 14 Dec 2026: no answer") in shown.detail, shown.detail
