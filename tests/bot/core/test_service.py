"""The coach service — the one place every transport goes through — on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.core.commands import parse
from bot.core.identity import NewPerson, person_for
from bot.core.service import Actor, CoachService, Plans
from flows.engine import Action, Answer
from flows.outputs import Cancelled, Done, Notify, Prompt, Refused, Say
from storage import talks
from storage.models import ActionItem, Conversation, FlowSession
from tests.support.lines import confirm_line

SAM = Actor("slack", "T1", "U0SAM", "Sam", "Europe/London")
KIM = Actor("slack", "T1", "U0KIM", "Kim", "Europe/London")
ALEX = Actor("slack", "T1", "U0ALEX", "Alex", "Europe/London")
EVE = Actor("slack", "T2", "U0EVE", "Eve", "UTC")  # another workspace
TALK_ALEX = parse("talk <@U0ALEX|Alex>")
ANSWERS = ["no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.", "",
           "My leads moved to the new team.", "Campaign; shadowing",
           "Alex: book 5 discovery calls by Friday\nme: join two of Alex's calls in 2 weeks", "2026-12-07"]


@pytest.fixture
def make_service(db_url, service_on):
    """Services on this test's database: a second one stands for another replica."""
    return lambda: service_on(db_url)


def prompt_of(outputs) -> Prompt:
    prompts = [o for o in outputs if isinstance(o, Prompt)]
    assert prompts, outputs
    return prompts[-1]


async def walk(service: CoachService, actor=SAM, answers=ANSWERS):
    await confirm_line(service, actor, ALEX)
    out = await service.command(actor, TALK_ALEX)
    for value in answers:
        out = await service.answer(actor, Answer(value))
    return out


async def test_full_talk_is_stored_and_shared_with_the_rep(make_service):
    service = make_service()
    out = await walk(service)
    assert prompt_of(out).step_id == "share"
    out = await service.answer(SAM, Answer("yes"))
    done = next(o for o in out if isinstance(o, Done))
    notify = next(o for o in out if isinstance(o, Notify))
    assert notify.person_name == "Alex"
    assert "book 5 discovery calls" in notify.output.text and "Mon 7 Dec 2026" in notify.output.text
    assert "In October" not in notify.output.text  # the rep gets the plan, not the manager's notes
    async with service.db.session() as s:
        talk = (await s.execute(select(Conversation))).scalar_one()
        items = list((await s.execute(select(ActionItem).order_by(ActionItem.id))).scalars())
        session = (await s.execute(select(FlowSession))).scalar_one()
    assert talk.id == done.record_id and talk.shared_with_rep
    assert [(i.owner_role, str(i.due_on)) for i in items] == [("rep", "2026-11-27"), ("manager", "2026-12-07")]
    assert session.status == "done"
    assert service.cipher.decrypt(session.state_encrypted)["answers"] == {}  # no second copy of the notes
    plans = (await service.command(SAM, parse("plans")))[0]
    assert isinstance(plans, Plans) and plans.plans[0].rep_name == "Alex"
    rep_view = (await service.command(ALEX, parse("plans")))[0]
    assert rep_view.plans[0].manager_name == "Sam"


async def test_not_shared_means_no_message_to_the_rep(make_service):
    service = make_service()
    await walk(service)
    out = await service.answer(SAM, Answer("no"))
    assert not [o for o in out if isinstance(o, Notify)]
    assert any(isinstance(o, Done) for o in out)


async def test_resume_after_a_restart_from_the_stored_step(make_service):
    first = make_service()
    await walk(first, answers=ANSWERS[:3])
    await first.db.close()
    second = make_service()  # a new process: nothing in memory
    out = await second.current_prompt(SAM)
    assert "unfinished conversation with Alex" in out[0].text
    assert prompt_of(out).step_id == "listen"
    again = await second.command(SAM, TALK_ALEX)
    assert prompt_of(again).step_id == "listen"
    assert "Picking up" in again[0].text


async def test_stale_and_concurrent_answers_apply_once(make_service):
    service = make_service()
    out = await service.command(SAM, TALK_ALEX)
    p = prompt_of(out)
    other = make_service()
    results = await asyncio.gather(
        service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id),
        other.answer(SAM, Answer("yes", version=p.version, step=p.step_id), p.session_id),
    )
    moved = [r for r in results if not any(isinstance(o, Refused) for o in r)]
    refused = [r for r in results if any(isinstance(o, Refused) for o in r)]
    assert len(moved) == 1 and len(refused) == 1
    replay = await service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id)
    assert isinstance(replay[0], Refused) and "out of date" in replay[0].reason
    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    assert row.version == p.version + 1


async def test_cancel_deletes_the_draft(make_service):
    service = make_service()
    await walk(service, answers=ANSWERS[:3])
    out = await service.command(SAM, parse("cancel"))
    assert isinstance(out[0], Cancelled)
    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    state = service.cipher.decrypt(row.state_encrypted)
    assert row.status == "cancelled" and state["answers"] == {} and state["raw"] == {}
    nothing = await service.answer(SAM, Answer("more text"))
    assert "not in a conversation" in nothing[0].text
    fresh = await service.command(SAM, TALK_ALEX)
    assert prompt_of(fresh).step_id == "raised_before"  # a new, empty talk


async def test_only_the_reps_manager_can_hold_the_talk(make_service):
    service = make_service()
    await confirm_line(service, SAM, ALEX)  # Alex joins Sam's team
    out = await service.command(KIM, TALK_ALEX)
    assert isinstance(out[0], Refused) and "reports to Sam" in out[0].reason


async def test_a_session_of_another_user_or_workspace_cannot_be_answered(make_service):
    service = make_service()
    p = prompt_of(await service.command(SAM, TALK_ALEX))
    for intruder in (KIM, EVE):
        out = await service.answer(intruder, Answer("no"), p.session_id)
        assert isinstance(out[0], Refused) and "isn't yours" in out[0].reason
    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    assert row.version == p.version


@pytest.mark.parametrize("text,expected", [
    ("talk", "Name the rep"),
    ("talk <@U0ALEX|Alex> <@U0KIM|Kim>", "Name just one rep"),
    ("talk <@U0SAM|Sam>", "That's you"),
    ("dance", "I don't know “dance”"),
])
async def test_bad_commands_get_a_specific_message_with_usage(make_service, text, expected):
    out = await make_service().command(SAM, parse(text))
    assert isinstance(out[0], Say) and out[0].tone == "error"
    assert expected in out[0].text
    assert "/coach talk" in out[0].text


async def test_help_lists_every_subcommand(make_service):
    out = await make_service().command(SAM, parse("help"))
    for name in ("help", "talk @rep", "plans", "cancel"):
        assert f"/coach {name}" in out[0].text


async def test_plans_of_other_workspace_are_invisible(make_service):
    service = make_service()
    await walk(service)
    await service.answer(SAM, Answer("no"))
    eve_view = (await service.command(EVE, parse("plans")))[0]
    assert eve_view.plans == ()
    async with service.db.session() as s:
        assert len(list((await s.execute(select(Conversation))).scalars())) == 1
        sam = await person_for(s, SAM, NewPerson())
        assert len(await talks.open_plans(s, service.cipher, viewer=sam)) == 1


async def test_hints_survive_and_keep_works_through_the_service(make_service):
    service = make_service()
    await service.command(SAM, TALK_ALEX)
    await service.answer(SAM, Answer("no"))
    out = await service.answer(SAM, Answer("Alex is lazy."))
    assert {h.code for h in prompt_of(out).hints} == {"label", "no_specifics"}
    out = await service.answer(SAM, Answer(action=Action.KEEP))
    assert prompt_of(out).step_id == "own_part"


async def test_many_first_contacts_from_a_new_workspace_at_once_all_get_an_answer(make_service):
    # Twenty people of a workspace nobody has seen use the bot in the same instant, one of them
    # several times: on PostgreSQL their requests race to create the workspace and the people,
    # and none may fail (it used to: a unique-constraint error, told as "database unavailable").
    service = make_service()
    actors = [Actor("slack", "TNEW", f"U0NEW{i:02d}", f"New {i}", "UTC") for i in range(20)]
    talks_ = [service.command(a, parse(f"talk <@U0REP{i:02d}|Rep {i}>")) for i, a in enumerate(actors)]
    again = [service.command(actors[0], parse("plans")) for _ in range(5)]
    outs = await asyncio.gather(*talks_, *again)
    assert all(prompt_of(out).step_id for out in outs[:20])
    async with service.db.session() as s:
        from storage.models import Person, Workspace
        workspaces = (await s.execute(select(Workspace).where(Workspace.external_id == "TNEW"))).scalars().all()
        first = (await s.execute(select(Person).where(Person.platform_user_id == "U0NEW00"))).scalars().all()
    assert len(workspaces) == 1 and len(first) == 1
