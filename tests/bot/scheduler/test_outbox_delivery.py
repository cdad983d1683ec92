"""Messages a finished flow owes others go through the outbox: stored with the result, the dispatcher
woken at once, delivered once, and not held back by the recipient's pause on nudges."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.console.sender import ConsoleSender
from bot.core.commands import parse
from bot.core.identity import Actor
from bot.core.service import CoachService
from bot.scheduler.dispatch import Dispatcher
from flows.engine import Answer
from flows.outputs import Notify
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import Nudge, Person
from tests.bot.scheduler.test_scheduler import TALK
from tests.support.clock import FixedClock

MON = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
SAM = Actor("console", "demo", "sam", "Sam", "UTC")
ALEX = Actor("console", "demo", "alex", "Alex", "UTC")


@pytest.fixture
async def world(db_url):
    migrate(db_url)
    db = Database(db_url)
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(MON))
    lines: list[str] = []
    dispatcher = Dispatcher(db, service.cipher, service.clock, {"console": ConsoleSender(
        lambda text, style: lines.append(text), service.clock)}, owner="test")
    sam, alex = await service.identify(SAM), await service.identify(ALEX)
    async with db.session() as s:  # Alex reports to Sam (a confirmed line)
        await s.execute(update(Person).where(Person.id == alex.id).values(manager_id=sam.id))
    yield service, dispatcher, lines, db
    await db.close()


async def messages(db) -> list[Nudge]:
    async with db.session() as s:
        return list((await s.execute(select(Nudge).where(Nudge.kind == "message"))).scalars())


async def test_a_stuck_checkin_is_queued_with_the_checkin_and_reaches_a_paused_manager_once(world):
    service, dispatcher, lines, db = world
    woken = []
    service.runner.on_queued(lambda: woken.append(1))
    await service.command(SAM, parse("pause 2w"))
    await service.command(ALEX, parse("checkin"))
    await service.answer(ALEX, Answer("stuck"))
    out = await service.answer(ALEX, Answer("The Acme contact left"))
    notice = next(o for o in out if isinstance(o, Notify))
    assert notice.queued and notice.person_name == "Sam"  # the transport only says so; it does not send
    queued = await messages(db)
    assert [(n.status, n.recipient_id) for n in queued] == [("pending", notice.person_id)]
    assert "Acme" not in queued[0].payload  # encrypted like the notes
    alex = await service.identify(ALEX)
    assert json.loads(queued[0].payload)["about"] == [alex.id]  # whose words it carries, for `forget`
    assert woken == [1]
    await dispatcher.run_until_idle()
    await dispatcher.run_until_idle()
    to_sam = [line for line in lines if "to @sam:" in line]
    assert len(to_sam) == 1 and "Alex checked in: stuck" in to_sam[0] and "The Acme contact left" in to_sam[0]
    assert [n.status for n in await messages(db)] == ["sent"]


async def test_a_calm_checkin_queues_nothing_and_wakes_no_one(world):
    service, dispatcher, lines, db = world
    woken = []
    service.runner.on_queued(lambda: woken.append(1))
    await service.command(ALEX, parse("checkin"))
    await service.answer(ALEX, Answer("on_track"))
    out = await service.answer(ALEX, Answer(""))
    assert not [o for o in out if isinstance(o, Notify)]
    assert await messages(db) == [] and woken == []


async def test_stuck_pressed_on_a_checkin_nudge_is_queued_with_the_answer_and_delivered_once(world):
    service, dispatcher, lines, db = world
    woken = []
    service.runner.on_queued(lambda: woken.append(1))
    await service.command(SAM, parse("talk @alex"))
    for value in TALK:
        await service.answer(SAM, Answer(value))
    await dispatcher.run_until_idle()  # the shared plan
    while service.clock.current < MON + timedelta(days=1, hours=3):  # Tuesday's check-in reaches Alex
        service.clock.current += timedelta(minutes=30)
        await dispatcher.run_until_idle()
    checkin = next(n for n in await _all(db) if n.kind == "checkin_rep" and n.status == "sent")
    woken.clear()
    out = await service.buttons.press(ALEX, "nudge_checkin.stuck", f"{checkin.id}:stuck")
    notice = next(o for o in out if isinstance(o, Notify))
    assert notice.queued and woken == [1]
    await service.buttons.press(ALEX, "nudge_checkin.stuck", f"{checkin.id}:stuck")  # pressed twice
    await dispatcher.run_until_idle()
    to_sam = [line for line in lines if "to @sam:" in line and "checked in: stuck" in line]
    assert len(to_sam) == 1


async def _all(db) -> list[Nudge]:
    async with db.session() as s:
        return list((await s.execute(select(Nudge))).scalars())


class DownFor:
    """A platform that answers every send with a passing failure until `times` tries have been made."""

    def __init__(self, inner, times: int):
        self.inner, self.left, self.tries = inner, times, 0

    async def send(self, workspace, recipient, message):
        self.tries += 1
        if self.left > 0:
            from bot.scheduler.dispatch import SendError

            self.left -= 1
            raise SendError("service_unavailable (the platform is down)")
        return await self.inner.send(workspace, recipient, message)

    async def delivered(self, workspace, recipient, nudge_id):
        return await self.inner.delivered(workspace, recipient, nudge_id)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_queued_alert_outlasts_a_long_outage_and_is_delivered_once_it_ends(world):
    """Nudges give up after a few tries; a message someone is owed keeps being retried (a day's outage here)."""
    service, _, lines, db = world
    down = DownFor(ConsoleSender(lambda text, style: lines.append(text), service.clock), times=30)
    dispatcher = Dispatcher(db, service.cipher, service.clock, {"console": down}, owner="test-outage")
    await service.command(ALEX, parse("checkin"))
    await service.answer(ALEX, Answer("stuck"))
    await service.answer(ALEX, Answer("The Acme contact left"))
    for _ in range(40):
        await dispatcher.run_until_idle()
        if [n.status for n in await messages(db)] == ["sent"]:
            break
        service.clock.current += timedelta(hours=1)  # the back-off tops out at an hour
    assert down.tries > 6  # past the attempts a nudge gets
    assert [n.status for n in await messages(db)] == ["sent"]
    assert len([line for line in lines if "to @sam:" in line and "Alex checked in: stuck" in line]) == 1
