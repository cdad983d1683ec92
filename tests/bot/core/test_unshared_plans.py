"""A plan the manager chose not to send stays the manager's: every way a rep can read a plan is tried."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.core.commands import parse
from bot.core.views import Plans
from bot.ops.data_rights import export_person
from flows.engine import Answer
from flows.outputs import Refused
from flows.subjects import subject
from storage import talks
from storage.models import ActionItem, CheckIn, Conversation, Nudge, Person
from tests.bot.core.test_service import ALEX, ANSWERS, KIM, SAM
from tests.support.evidence import attempted

SECRET = "Privateplan5512"
KIM_ANSWERS = [a.replace("Alex", "Kim") for a in ANSWERS[:-2]] + [
    f"Kim: call the lapsed renewals {SECRET} by Friday\nme: review Kim's pipeline in 2 weeks", ANSWERS[-1]]


async def confirmed(service, manager, *reps) -> None:
    """Record that the reps report to the manager (however that was confirmed)."""
    boss = await service.identify(manager)
    ids = [(await service.identify(actor)).id for actor in reps]
    async with service.db.session() as s:
        for rep_id in ids:
            rep = await s.get(Person, rep_id)
            rep.manager_id = boss.id
            s.add(rep)


async def hold_talk(service, rep_mention: str, answers: list[str], share: str) -> None:
    await service.command(SAM, parse(f"talk {rep_mention}"))
    for value in answers + [share]:
        await service.answer(SAM, Answer(value))


@pytest.fixture
async def world(db_url, service_on):
    """Sam holds a talk with Kim and keeps the plan to himself, and one with Alex that he shares."""
    service = service_on(db_url)
    await confirmed(service, SAM, KIM, ALEX)
    await hold_talk(service, "<@U0KIM|Kim>", KIM_ANSWERS, "no")
    await hold_talk(service, "<@U0ALEX|Alex>", ANSWERS, "yes")
    async with service.db.session() as s:
        kept = (await s.execute(select(Conversation).join(Person, Person.id == Conversation.rep_id)
                                .where(Person.platform_user_id == "U0KIM"))).scalar_one()
        assert not kept.shared_with_rep
    return service, kept.id


def words(outputs) -> str:
    return json.dumps([repr(o) for o in outputs])


async def test_the_rep_sees_none_of_a_plan_kept_from_them_and_the_manager_sees_it_all(world):
    service, kept = world
    (mine,) = await service.command(KIM, parse("plans"))
    assert isinstance(mine, Plans) and mine.plans == ()
    attempted("a rep listing a plan their manager kept to themselves", SECRET not in words([mine]))
    home = await service.account.home(KIM)
    assert home.own == () and SECRET not in repr(home)
    attempted("a rep's Home tab showing a plan kept from them", SECRET not in repr(home))
    exported = await export_person(service.db, service.cipher, "U0KIM")
    assert exported["conversations"] == [] and SECRET not in json.dumps(exported)
    attempted("a rep's data export carrying a plan kept from them", SECRET not in json.dumps(exported))
    # Alex's plan was shared: Alex sees it; Sam sees both, Kim's secret included.
    (alex,) = await service.command(ALEX, parse("plans"))
    assert [p.rep_name for p in alex.plans] == ["Alex"]
    (sam,) = await service.command(SAM, parse("plans"))
    assert {p.rep_name for p in sam.plans} == {"Alex", "Kim"}
    assert any(SECRET in item.text for p in sam.plans for item in p.items)
    assert SECRET in json.dumps(await export_person(service.db, service.cipher, "U0SAM"))


async def test_nothing_about_a_kept_plan_is_sent_to_the_rep_or_asked_of_them(world):
    service, kept = world
    async with service.db.session() as s:
        kim = (await s.execute(select(Person).where(Person.platform_user_id == "U0KIM"))).scalar_one()
        items = [i.id for i in await talks.items_of(s, conversation_id=kept)]
        to_kim = (await s.execute(select(Nudge).where(Nudge.recipient_id == kim.id))).scalars().all()
        about = {subject("talk", kept)} | {subject("item", i) for i in items}
        assert [n.kind for n in to_kim if n.subject in about] == []
        assert kim.id not in {r.id for r in await talks.reps_with_open_plans(s)}  # no weekly pulse either
        to_sam = (await s.execute(select(Nudge.kind).where(Nudge.subject == subject("talk", kept)))).scalars().all()
        assert "checkin_manager" in to_sam and "review_pack" in to_sam  # the manager's own reminders stay
    # Kim's own check-in is not filed on the plan she was never shown.
    await service.command(KIM, parse("checkin"))
    await service.answer(KIM, Answer("on_track"))
    await service.answer(KIM, Answer(""))
    async with service.db.session() as s:
        (row,) = (await s.execute(select(CheckIn).where(CheckIn.rep_id == kim.id))).scalars().all()
        assert row.conversation_id is None


async def test_a_crafted_press_on_a_kept_plans_item_is_refused_and_reveals_nothing(world):
    service, kept = world
    async with service.db.session() as s:
        (mine,) = [i for i in await talks.items_of(s, conversation_id=kept) if i.owner_role == "rep"]
    out = await service.buttons.press(KIM, "item_done", str(mine.id))
    assert isinstance(out[0], Refused) and SECRET not in words(out)
    attempted("a rep marking done (and reading) an item of a plan kept from them", SECRET not in words(out))
    async with service.db.session() as s:
        assert (await s.get(ActionItem, mine.id)).status == "open"
    # The manager still can.
    done = await service.buttons.press(SAM, "item_done", str(mine.id))
    assert SECRET in words(done)


async def test_the_manager_cannot_have_the_rep_asked_about_a_kept_plan(world):
    from bot.scheduler import nudge_messages

    service, kept = world
    async with service.db.session() as s:
        kim = (await s.execute(select(Person).where(Person.platform_user_id == "U0KIM"))).scalar_one()
        mine = (await s.execute(select(Nudge).where(Nudge.subject == subject("talk", kept),
                                                    Nudge.kind == "checkin_manager"))).scalars().first()
    out = await service.buttons.press(SAM, "nudge_send_checkin", str(mine.id))
    assert "kept the plan with Kim to yourself" in out[0].text
    async with service.db.session() as s:
        queued = (await s.execute(select(Nudge).where(Nudge.recipient_id == kim.id,
                                                      Nudge.kind == "checkin_rep"))).first()
        attempted("a manager having a rep asked (and so told) about a plan kept from them", queued is None)
        assert queued is None
        # Should one be queued all the same (an older version, a hand-made row), it is never built.
        odd = Nudge(workspace_id=kim.workspace_id, recipient_id=kim.id, kind="checkin_rep",
                    subject=subject("talk", kept), dedupe_key="odd", due_at=service.clock.now(), payload="{}")
        s.add(odd)
        await s.flush()
        with pytest.raises(nudge_messages.Skip, match="not shared"):
            await nudge_messages.build(s, service.cipher, odd, kim, service.clock.now())


async def test_a_new_managers_digest_does_not_count_the_plan_the_last_one_kept(world):
    from bot.core.identity import Actor
    from bot.scheduler import nudge_messages

    service, kept = world
    lee = Actor("slack", "T1", "U0LEE", "Lee", "Europe/London")
    await confirmed(service, lee, KIM)  # Kim moved to Lee's team; Sam's kept plan with her is still open
    async with service.db.session() as s:
        boss = (await s.execute(select(Person).where(Person.platform_user_id == "U0LEE"))).scalar_one()
        digest = Nudge(workspace_id=boss.workspace_id, recipient_id=boss.id, kind="digest",
                       subject=subject("person", boss.id), dedupe_key="digest-lee", due_at=service.clock.now())
        s.add(digest)
        await s.flush()
        (line,) = (await nudge_messages.build(s, service.cipher, digest, boss, service.clock.now())).detail
    attempted("a manager learning of another manager's kept plan from the weekly digest", "on a plan" not in line)
    assert line.startswith("1. Kim") and "on a plan" not in line
