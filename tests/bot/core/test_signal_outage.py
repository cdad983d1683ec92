"""A strong signal reaches its manager however long coachbot or the platform was down, once: it is never
dropped as stale nor given up on after passing failures, a signal that went nowhere before is queued again
while it holds, and one refused for good stays in the failed list instead of coming back every day."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.console.sender import ConsoleSender
from bot.scheduler import housekeeping
from bot.scheduler.delivery import SendError
from bot.scheduler.dispatch import Dispatcher
from storage import nudges
from storage.models import Nudge, SignalFlag
from tests.bot.core.test_signals import MON, day, signals_to, team, world  # noqa: F401


async def signal_nudges(world) -> list[Nudge]:
    async with world.db.session() as s:
        return list((await s.execute(select(Nudge).where(Nudge.kind == "signal").order_by(Nudge.id))).scalars())


class Refusing(ConsoleSender):
    """A platform that refuses every send for good (the manager left the workspace)."""

    async def send(self, workspace, recipient, message):
        raise SendError("user_not_found (the manager left the workspace)", permanent=True)


async def test_a_signal_due_before_a_two_day_outage_is_told_when_it_ends_and_only_once(world):
    await team(world)
    await world.at(MON)
    await housekeeping.run(world.db, world.clock)  # Monday 10:00: the flag is raised, its signal queued
    world.clock.current = MON + timedelta(days=2)  # nothing ran from Monday 10:00 to Wednesday 10:00
    await world.dispatcher.run_until_idle()
    assert len(signals_to(world, "sam")) == 1
    for d in range(2, 9):  # the decline still holds every day after
        await day(world, MON + timedelta(days=d))
    assert len(signals_to(world, "sam")) == 1
    assert [n.status for n in await signal_nudges(world)] == ["sent"]


class DownForSignals(ConsoleSender):
    """A platform that answers a send carrying a signal with a passing failure, `times` times over."""

    def __init__(self, write, clock, times: int):
        super().__init__(write, clock)
        self.left = times

    async def send(self, workspace, recipient, message):
        texts = [message.text] + [part.text for part in message.parts]
        if self.left > 0 and any("A signal about" in text for text in texts):
            self.left -= 1
            raise SendError("service_unavailable (the platform is down)")
        return await super().send(workspace, recipient, message)


async def test_a_signal_outlasts_more_failed_tries_than_a_reminder_gets(world):
    down = DownForSignals(lambda text, style: world.lines.append(text), world.clock, times=10)
    world.dispatcher = Dispatcher(world.db, world.service.cipher, world.clock, {"console": down}, owner="t")
    await team(world)
    await world.at(MON)
    await housekeeping.run(world.db, world.clock)
    await world.at(MON + timedelta(days=1, hours=7))  # the back-off tops out at an hour
    (n,) = await signal_nudges(world)
    assert down.left == 0 and n.attempts > 6
    assert n.status == "sent"
    assert len([line for line in world.lines if "A signal about Alex" in line]) == 1


async def test_a_signal_that_went_nowhere_before_is_told_the_next_day_while_it_holds(world):
    """What an outage left under the old rule (cancelled as stale, or given up on): told again, once."""
    await team(world)
    await world.at(MON)
    await housekeeping.run(world.db, world.clock)
    async with world.db.session() as s:
        await s.execute(update(Nudge).where(Nudge.kind == "signal").values(
            status="cancelled", last_error="stale: due 2026-11-23 10:12 UTC, too late to be useful"))
    await day(world, MON + timedelta(days=1))
    assert len(signals_to(world, "sam")) == 1
    async with world.db.session() as s:  # had the second one been given up on in an outage, a third goes
        await s.execute(update(Nudge).where(Nudge.kind == "signal", Nudge.status == "sent").values(
            status="failed", last_error="gave up after 6 attempts: service_unavailable"))
    for d in range(2, 6):
        await day(world, MON + timedelta(days=d))
    assert len(signals_to(world, "sam")) == 2
    assert [n.status for n in await signal_nudges(world)] == ["cancelled", "failed", "sent"]


async def test_a_signal_cancelled_again_and_again_stops_coming_back(world):
    await team(world)
    for d in range(0, 8):
        await world.at(MON + timedelta(days=d))
        await housekeeping.run(world.db, world.clock)
        async with world.db.session() as s:  # e.g. it no longer held each time it was due
            await s.execute(update(Nudge).where(Nudge.kind == "signal", Nudge.status == "pending").values(
                status="cancelled", last_error="the signal no longer holds"))
    assert len(await signal_nudges(world)) == 3
    assert not signals_to(world, "sam")


async def test_a_signal_refused_for_good_is_in_the_failed_list_and_not_queued_again(world):
    await team(world)
    refusing = Refusing(lambda text, style: world.lines.append(text), world.clock)
    world.dispatcher = Dispatcher(world.db, world.service.cipher, world.clock, {"console": refusing}, owner="t")
    for d in range(0, 6):
        await day(world, MON + timedelta(days=d))
    (n,) = await signal_nudges(world)
    async with world.db.session() as s:
        assert n.status == "failed" and n.id in [f.id for f in await nudges.failed(s)]
        assert "left the workspace" in n.last_error
        assert (await s.execute(select(SignalFlag.status))).scalar_one() == "raised"
    assert not signals_to(world, "sam")
