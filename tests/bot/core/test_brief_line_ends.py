"""A talk's brief of the rep's records moves with the reporting line at once: once the line ends (the manager
removes the rep, the rep moves to another manager, or either happens on another replica), the manager's very
next step shows nothing of the rep's, even though this process remembered the step with its brief. Through
the service, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.commands import parse
from bot.core.service import Actor
from flows.engine import Answer
from flows.outputs import Prompt
from storage.models import FlowSession
from tests.support.brief_seed import seed_record

SAM = Actor("slack", "T1", "U0SAM", "Sam", "UTC")
ALEX = Actor("slack", "T1", "U0ALEX", "Alex", "UTC")
BO = Actor("slack", "T1", "U0BO", "Bo", "UTC")
FACTS = ("Acme", "Globex", "4, 2, 1", "Stuck", "Could use a hand")


def prompt_of(outputs) -> Prompt:
    return [o for o in outputs if isinstance(o, Prompt)][-1]


async def end_by_removal(service) -> None:
    assert "Removed Alex" in (await service.command(SAM, parse("team remove <@U0ALEX|Alex>")))[0].text


async def end_by_move(service) -> None:
    await service.command(BO, parse("team add <@U0ALEX|Alex>"))
    moved = await service.command(ALEX, parse("team accept <@U0BO|Bo>"))
    assert "you report to Bo" in moved[0].text, moved


@pytest.mark.parametrize("end", [end_by_removal, end_by_move])
@pytest.mark.parametrize("where", ["here", "on another replica"])
async def test_the_next_step_after_the_line_ends_shows_none_of_the_reps_facts(service_on, db_url, clock, end, where):
    service = service_on(db_url)
    await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"),
                      rep=("U0ALEX", "Alex"), today=clock.now().date())
    first = prompt_of(await service.command(SAM, parse("talk <@U0ALEX|Alex>")))
    assert "Acme" in repr(first.notes)  # the brief, and this process remembers the step with it
    await end(service if where == "here" else service_on(db_url))
    out = await service.answer(SAM, Answer("no", version=first.version, step=first.step_id), first.session_id)
    step1 = prompt_of(out)
    assert step1.step_id == "observed" and step1.notes == () and step1.value is None  # no draft made of the facts
    for fact in FACTS:
        assert fact not in repr(out)
    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    assert "brief" not in service.cipher.decrypt(row.state_encrypted)["params"]  # and gone from the stored talk


async def test_forgetting_the_rep_while_the_talk_is_remembered_shows_nothing_of_theirs(service_on, db_url, clock):
    from bot.ops.data_rights import forget

    service = service_on(db_url)
    await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"),
                      rep=("U0ALEX", "Alex"), today=clock.now().date())
    first = prompt_of(await service.command(SAM, parse("talk <@U0ALEX|Alex>")))
    assert "Acme" in repr(first.notes)
    other = service_on(db_url)  # `coachbot forget` runs in a process of its own
    await forget(other.db, other.cipher, "U0ALEX", workspace="T1")
    out = await service.answer(SAM, Answer("no", version=first.version, step=first.step_id), first.session_id)
    assert "isn't yours" in out[0].reason  # the talk went with the rep's data
    for fact in FACTS + ("Alex",):
        assert fact not in repr(out)
