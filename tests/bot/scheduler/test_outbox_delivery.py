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


RETRO = {"primary": "price", "secondary": "", "evidence": "buyer_told", "meetings": "4", "correspondence": "balanced",
         "stage": "Proposal", "stage_moves": "", "support": "yes", "answered": "all",
         "lesson": "I will confirm the signer before any proposal.", "at_risk": "", "share": "channel"}


async def fill_retro(service: CoachService, actor: Actor) -> list:
    """Walk the retrospective waiting for `actor`, step by step; the finishing turn's outputs."""
    from flows.outputs import Prompt

    out = await service.command(actor, parse("retro"))
    for _ in range(2 * len(RETRO)):
        prompt = next((o for o in out if isinstance(o, Prompt)), None)
        if prompt is None:
            return out
        out = await service.answer(actor, Answer(RETRO[prompt.step_id]))  # a hint shown again is kept
    raise AssertionError(f"the retrospective did not finish: {out}")


class Recording:
    """A platform that records where each message went (its DM, or the channel a target names)."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []  # (recipient handle, channel or "", text)
        self.checked: list[tuple[str, str]] = []

    async def send(self, workspace, recipient, message, *, target=None):
        self.sent.append((recipient.platform_user_id, f"{target.channel}/{target.thread}" if target else "",
                          message.text))
        return f"ref:{message.nudge_id}"

    async def delivered(self, workspace, recipient, nudge_id, *, target=None):
        self.checked.append((recipient.platform_user_id, target.channel if target else ""))
        return None

    async def close(self) -> None:
        return None


async def test_a_shared_plan_is_about_both_the_manager_and_the_rep(world):
    service, dispatcher, lines, db = world
    await service.command(SAM, parse("talk @alex"))
    for value in TALK:
        await service.answer(SAM, Answer(value))
    sam, alex = await service.identify(SAM), await service.identify(ALEX)
    (plan,) = await messages(db)
    assert plan.recipient_id == alex.id and json.loads(plan.payload)["about"] == sorted([sam.id, alex.id])


async def test_a_retrospective_reply_goes_to_its_stored_thread_through_the_outbox(world):
    """The manager logs the loss in a channel; the rep's finish queues the manager's summary and the
    thread reply with the retrospective, both about the rep and whoever logged it, the reply addressed
    to the channel and thread stored on the retrospective."""
    service, _, _, db = world
    platform = Recording()
    dispatcher = Dispatcher(db, service.cipher, service.clock, {"console": platform}, owner="test-thread")
    await service.command(SAM, parse("lost Globex renewal 12k @alex"), channel="C0DEALS")
    async with db.session() as s:
        from storage.models import Retrospective
        (retro,) = (await s.execute(select(Retrospective))).scalars()
    await service.retros.record_prompt(("console", "demo"), retro.id, "C0DEALS", "1700000000.000100")
    out = await fill_retro(service, ALEX)
    notes = [o for o in out if isinstance(o, Notify)]
    assert all(n.queued for n in notes) and {n.channel for n in notes} == {None, "C0DEALS"}
    sam, alex = await service.identify(SAM), await service.identify(ALEX)
    queued = {n.recipient_id: json.loads(n.payload) for n in await messages(db)}
    assert queued[alex.id]["target"] == {"channel": "C0DEALS", "thread": "1700000000.000100"}
    assert "target" not in queued[sam.id]
    assert queued[alex.id]["about"] == queued[sam.id]["about"] == sorted([sam.id, alex.id])
    service.clock.current += timedelta(seconds=1)  # a finish's messages are due a microsecond apart, in order
    await dispatcher.run_until_idle()
    to_thread = [(who, where) for who, where, text in platform.sent if "Retrospective on Globex renewal" in text]
    assert to_thread == [("alex", "C0DEALS/1700000000.000100")]
    assert [who for who, where, text in platform.sent if "Loss retrospective: Globex renewal" in text] == ["sam"]
    assert [n.status for n in await messages(db)] == ["sent", "sent"]


async def test_a_retrospective_with_no_channel_posts_nothing_in_one(world):
    service, dispatcher, lines, db = world
    await service.command(SAM, parse("lost Initech 5k @alex"))
    out = await fill_retro(service, ALEX)
    assert [n.channel for n in out if isinstance(n, Notify)] == [None]  # only the manager's summary


async def test_erasing_whoever_logged_the_loss_drops_the_thread_reply_queued_for_the_rep(world):
    """The reply is the rep's to post, and it carries what the manager logged: erasing the manager finds it
    by its "about" list, though it is queued for someone else."""
    from storage import privacy

    service, _, _, db = world
    await service.command(SAM, parse("lost Globex renewal 12k @alex"), channel="C0DEALS")
    await fill_retro(service, ALEX)
    sam, alex = await service.identify(SAM), await service.identify(ALEX)
    assert [n.recipient_id for n in await messages(db) if "target" in json.loads(n.payload)] == [alex.id]
    async with db.session() as s:
        await privacy.erase_person(s, service.cipher, person=await s.get(Person, sam.id))
    assert [n for n in await messages(db) if "target" in json.loads(n.payload)] == []


async def test_a_team_change_tells_the_rep_through_the_outbox(world):
    """`team remove @alex`: the line ends and Alex's notice is queued in the same transaction, then
    delivered once by the dispatcher (woken at once), not sent by the transport."""
    service, dispatcher, lines, db = world
    woken = []
    service.runner.on_queued(lambda: woken.append(1))
    out = await service.command(SAM, parse("team remove @alex"))
    (notice,) = [o for o in out if isinstance(o, Notify)]
    assert notice.queued and notice.person_name == "Alex" and woken == [1]
    sam = await service.identify(SAM)
    (queued,) = await messages(db)
    assert json.loads(queued.payload)["about"] == [sam.id]
    await dispatcher.run_until_idle()
    await dispatcher.run_until_idle()
    assert len([line for line in lines if "to @alex:" in line and "removed you from their team" in line]) == 1


async def test_a_crm_loss_prompt_is_stored_with_its_retrospective_names_no_deal_and_goes_with_the_rep(world):
    """A lost deal from a CRM: the rep's prompt is queued in the retrospective's transaction (the dispatcher
    woken once, a repeat of the deal queues nothing), built from the retrospective when it is sent, and
    erased with the rep; the row itself holds no deal name to leak."""
    from storage import privacy

    service, _, _, db = world
    woken = []
    service.runner.on_queued(lambda: woken.append(1))
    crm = dict(platform="console", workspace="demo", deal={"id": "D-9", "name": "Umbrella renewal", "amount": 9000.0},
               owner=ALEX, channel="C0DEALS", source="webhook")
    retro_id, created = await service.retros.from_crm(**crm)
    assert created and woken == [1]
    assert await service.retros.from_crm(**crm) == (retro_id, False) and woken == [1]
    alex = await service.identify(ALEX)
    (row,) = await messages(db)
    assert (row.recipient_id, row.subject, row.status) == (alex.id, f"retro:{retro_id}", "pending")
    assert json.loads(row.payload) == {"loss": retro_id, "about": [alex.id],
                                       "target": {"channel": "C0DEALS", "thread": None, "or_dm": True}}
    platform = Recording()
    dispatcher = Dispatcher(db, service.cipher, service.clock, {"console": platform}, owner="test-loss")
    await dispatcher.run_until_idle()
    ((who, where, text),) = platform.sent
    assert (who, where) == ("alex", "C0DEALS/None") and text.startswith("Umbrella renewal (9,000) was lost.")
    async with db.session() as s:
        from storage.models import Retrospective
        retro = await s.get(Retrospective, retro_id)
        assert (retro.channel_id, retro.message_ts) == ("C0DEALS", None)  # a console ref names no message
        await privacy.erase_person(s, service.cipher, person=await s.get(Person, alex.id))
    assert await messages(db) == []


async def test_a_loss_prompt_whose_retrospective_is_done_is_not_sent(world):
    service, _, _, db = world
    retro_id, _ = await service.retros.from_crm(
        platform="console", workspace="demo", deal={"id": "D-10", "name": "Hooli"}, owner=ALEX, channel=None,
        source="webhook")
    await fill_retro(service, ALEX)  # the rep got to it first (/coach retro)
    platform = Recording()
    await Dispatcher(db, service.cipher, service.clock, {"console": platform}, owner="test-done").run_until_idle()
    assert not [t for _, _, t in platform.sent if "Hooli was lost" in t]
    assert [n.status for n in await messages(db) if json.loads(n.payload).get("loss") == retro_id] == ["cancelled"]
