"""Prospecting focus (issue 17.4) through the service: a talk prepared from an opportunities flag suggests
prospecting and opportunity coaching, the plan stores a weekly target, the signals can read it, and the
rep's check-ins and the review pack show the weeks against it (console). SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.commands import parse
from bot.core.service import Actor
from flows.engine import Answer
from flows.outputs import Prompt
from storage import talks
from storage.models import Conversation, Person
from tests.bot.scheduler.test_scheduler import MON, TALK, World, world  # noqa: F401 (the fixture)
from tests.support.brief_seed import seed_record

SAM = Actor("slack", "T1", "U0SAM", "Sam", "UTC")
ALEX = ("U0ALEX", "Alex")


def prompt_of(outputs) -> Prompt:
    return [o for o in outputs if isinstance(o, Prompt)][-1]


async def test_a_talk_prepared_from_an_opportunities_flag_suggests_prospecting_and_keeps_the_target(
        service_on, db_url, clock):
    from bot.core.signals import raised
    from storage import signal_flags

    service = service_on(db_url)
    await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"), rep=ALEX,
                      today=clock.now().date())  # weekly counts 4, 2, 1, 0
    async with service.db.session() as s:
        rep = (await s.execute(select(Person).where(Person.platform_user_id == "U0ALEX"))).scalar_one()
        before = await raised(s, rep=rep, manager_id=rep.manager_id, now=clock.now(), cipher=service.cipher)
        assert "opportunities_below_target" not in {f.kind for f in before}
        found = [f for f in before if f.kind == "opportunities_falling"]
        assert found, "the seeded weeks raise 'opportunities falling'"
        row = await signal_flags.raise_flag(s, rep=rep, manager_id=rep.manager_id, key=found[0].key,
                                            kind=found[0].kind, strength=found[0].strength, now=clock.now())
        row.prepared_at = clock.now()  # the manager pressed "Prepare a conversation"
        s.add(row)
    p = prompt_of(await service.command(SAM, parse("talk <@U0ALEX|Alex>")))
    answers = ["no", None, "I haven't joined one of your calls since September, and I want to change that.", None,
               "My leads moved to the new team."]
    for value in answers:
        p = prompt_of(await service.answer(SAM, Answer(value if value is not None else p.value)))
        if p.hints:
            p = prompt_of(await service.answer(SAM, Answer(None, action="keep")))
    assert p.step_id == "options"
    ideas = " ".join(line for n in p.notes for line in n.lines)
    assert "prospecting time" in ideas and "deal review per open opportunity" in ideas
    p = prompt_of(await service.answer(SAM, Answer("Two prospecting slots a week\nDeal reviews with Sam")))
    assert p.step_id == "plan" and p.notes[0].heading == "A weekly target"
    bad = prompt_of(await service.answer(SAM, Answer("Alex: call 20 old accounts by Friday\ntarget: 0 a week")))
    assert bad.step_id == "plan" and "1 to 100 new opportunities a week" in repr(bad)
    p = prompt_of(await service.answer(SAM, Answer("Alex: call 20 old accounts by Friday\n"
                                                   "me: deal review of each open opportunity by Friday\n"
                                                   "target: 5 new opportunities a week")))
    assert p.step_id == "review"
    p = prompt_of(await service.answer(SAM, Answer((clock.now().date() + timedelta(days=14)).isoformat())))
    await service.answer(SAM, Answer("yes"))
    async with service.db.session() as s:
        talk = (await s.execute(select(Conversation).where(Conversation.status == "open"))).scalar_one()
        assert talk.weekly_target == 5
        assert await talks.open_target(s, talk.rep_id, talk.manager_id) == 5
        assert await talks.open_target(s, talk.rep_id, talk.rep_id) is None  # another manager's: none
        items = await talks.items_of(s, conversation_id=talk.id)
        assert len(items) == 2  # the target is on the plan, not an item to tick off
        rep = await s.get(Person, talk.rep_id)
        kinds = {f.kind: f for f in await raised(s, rep=rep, manager_id=talk.manager_id, now=clock.now())}
        # With the plan's target of 5 the signals read the last weeks (1, 0) as below it; before, no target.
        assert kinds["opportunities_below_target"].target == 5


async def test_a_plain_talk_shows_no_prospecting_ideas(service_on, db_url):
    from tests.support.lines import confirm_line
    service = service_on(db_url)
    ben = Actor("slack", "T1", "U0BEN", "Ben", "UTC")
    await confirm_line(service, SAM, ben)
    p = prompt_of(await service.command(SAM, parse("talk <@U0BEN|Ben>")))
    for value in TALK[:5]:
        p = prompt_of(await service.answer(SAM, Answer(value)))
        if p.hints:
            p = prompt_of(await service.answer(SAM, Answer(None, action="keep")))
    assert p.step_id == "options" and p.notes == ()


async def test_checkins_and_the_review_pack_show_the_weeks_against_the_target(world: World):
    from bot.scheduler import nudge_messages
    from storage import opportunities

    talk_answers = list(TALK)
    talk_answers[6] += "\ntarget: 5 new opportunities a week"
    from tests.support.lines import confirm_line
    from tests.bot.scheduler.test_scheduler import ALEX as CALEX, SAM as CSAM
    await confirm_line(world.service, CSAM, CALEX)
    await world.service.command(CSAM, parse("talk @alex"))
    for value in talk_answers:
        await world.service.answer(CSAM, Answer(value))
    async with world.db.session() as s:
        alex = (await s.execute(select(Person).where(Person.platform_user_id == "alex"))).scalar_one()
        sam = (await s.execute(select(Person).where(Person.platform_user_id == "sam"))).scalar_one()
        await opportunities.record_pulse(s, workspace_id=alex.workspace_id, person_id=alex.id,
                                         week_start=MON.date(), count=4, now=MON)
        await opportunities.record_pulse(s, workspace_id=alex.workspace_id, person_id=alex.id,
                                         week_start=MON.date() + timedelta(days=14), count=6, now=MON)
    await world.at(MON + timedelta(days=21, hours=1))  # three weeks of check-ins, in the console
    shown = "\n".join(world.sent_to("alex") + world.lines)
    assert "New opportunities a week against the target of 5:" in shown
    assert "wk 23 Nov  ████████░░ 4/5" in shown
    assert "wk 30 Nov  ·········· —/5 (no answer)" in shown  # no answer is not zero
    assert "wk 7 Dec  ██████████ 6/5 ✓" in shown
    (pack,) = await world.nudges(kind="review_pack")
    async with world.db.session() as s:
        built = await nudge_messages.build(s, world.service.cipher, pack, sam, MON + timedelta(days=28))
    assert "Target met in 1 of 3 answered weeks." not in built.detail  # 3 weeks, 2 answered
    assert "Target met in 1 of 2 answered weeks." in built.detail
    assert not any(d.startswith("New opportunities per week:") for d in built.detail)  # the series replaces it
