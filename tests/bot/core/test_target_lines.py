"""Plan lines that start with "Target:" in a plain talk (no opportunities flag, no target suggested): only a
line counting new opportunities a week becomes the weekly target; any other "Target:" line is an action item
kept word for word, and a target line about opportunities that can't be read says the form expected.
SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.commands import parse
from bot.core.service import Actor
from flows.engine import Answer
from flows.outputs import Prompt
from storage import talks
from storage.models import Conversation
from tests.bot.core.test_prospecting_focus import SAM, prompt_of
from tests.bot.scheduler.test_scheduler import TALK
from tests.support.lines import confirm_line

BEN = Actor("slack", "T1", "U0BEN", "Ben", "UTC")


async def _at_plan(service) -> Prompt:
    await confirm_line(service, SAM, BEN)
    p = prompt_of(await service.command(SAM, parse("talk <@U0BEN|Ben>")))
    for value in TALK[:6]:
        p = prompt_of(await service.answer(SAM, Answer(value)))
        if p.hints:
            p = prompt_of(await service.answer(SAM, Answer(None, action="keep")))
    assert p.step_id == "plan" and p.notes == ()  # a plain talk: no weekly target was suggested
    return p


async def _finish(service, clock) -> Conversation:
    await service.answer(SAM, Answer((clock.now().date() + timedelta(days=14)).isoformat()))
    await service.answer(SAM, Answer("yes"))
    async with service.db.session() as s:
        return (await s.execute(select(Conversation).where(Conversation.status == "open"))).scalar_one()


async def test_target_lines_about_other_things_are_kept_as_action_items(service_on, db_url, clock):
    service = service_on(db_url)
    await _at_plan(service)
    close_by = (clock.now().date() + timedelta(days=10)).isoformat()
    lines = ["Target: 20 cold calls a day, starting Monday", f"Target: close Globex by {close_by}",
             "Ben: send the Acme proposal by Friday", "me: join two of Ben's calls in 2 weeks"]
    p = prompt_of(await service.answer(SAM, Answer("\n".join(lines))))
    assert not p.errors, p.errors
    if p.step_id == "plan":  # the cold-calls line has no date: a hint, kept
        p = prompt_of(await service.answer(SAM, Answer(None, action="keep")))
    assert p.step_id == "review"
    talk = await _finish(service, clock)
    assert talk.weekly_target is None
    async with service.db.session() as s:
        assert await talks.open_target(s, talk.rep_id, talk.manager_id) is None
        kept = [service.cipher.decrypt(i.text_encrypted) for i in await talks.items_of(s, conversation_id=talk.id)]
    assert kept[:2] == lines[:2]
    assert len(kept) == 4


async def test_an_opportunity_target_in_another_form_is_refused_with_the_form_expected(service_on, db_url, clock):
    service = service_on(db_url)
    await _at_plan(service)
    items = "Ben: send the Acme proposal by Friday\nme: join two of Ben's calls in 2 weeks\n"
    bad = prompt_of(await service.answer(SAM, Answer(items + "Target: 8 new opportunities a month")))
    assert bad.step_id == "plan"
    (error,) = bad.errors
    assert "“8 new opportunities a month” isn't a weekly target" in error.message
    assert "“target: 5 new opportunities a week”" in error.message and "1 to 100" in error.message
    words = prompt_of(await service.answer(SAM, Answer(items + "target: five new opportunities a week")))
    assert words.step_id == "plan" and "Write “five” in digits" in words.errors[0].message
    p = prompt_of(await service.answer(SAM, Answer(items + "Target: 3 new opportunities a week")))
    assert p.step_id == "review"
    assert (await _finish(service, clock)).weekly_target == 3
