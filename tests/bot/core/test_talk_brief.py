"""`/coach talk @rep` opens with the outside view: what the records say about the rep's recent weeks, a
step-1 draft made of those facts, and in step 2 the manager's own commitments that slipped. Only for the
rep's confirmed manager; through the service, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from bot.core.commands import parse
from bot.core.service import Actor
from flows.coaching.facts import check_observed
from flows.engine import Answer
from flows.outputs import Prompt, Say
from storage.models import FlowSession
from tests.support.brief_seed import seed_record

SAM = Actor("slack", "T1", "U0SAM", "Sam", "UTC")
ALEX = ("U0ALEX", "Alex")
BEN = ("U0BEN", "Ben")


def prompt_of(outputs) -> Prompt:
    return [o for o in outputs if isinstance(o, Prompt)][-1]


def notes_text(p: Prompt) -> str:
    return "\n".join(f"{n.heading}: " + " | ".join(n.lines) for n in p.notes)


async def test_a_confirmed_managers_talk_opens_with_the_brief_and_offers_a_draft(service_on, db_url, clock):
    service = service_on(db_url)
    today = clock.now().date()
    seeded = await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"),
                               rep=ALEX, today=today)
    w = seeded["weeks"]
    out = await service.command(SAM, parse("talk <@U0ALEX|Alex>"))
    first = prompt_of(out)
    assert first.step_id == "raised_before" and first.notes[0].heading == "New opportunities"  # no signal asked
    text = notes_text(first)
    assert f"{w[0].day} {w[0]:%b} – {w[3].day} {w[3]:%b %Y}: 4, 2, 1, 0 (from the rep's weekly pulse answers)" in text
    assert "“Acme <Corp> & *Co*” — Price (buyer confirmed)" in text  # plain here; each renderer escapes it
    assert "“Globex” — Timing (our read)" in text
    assert "Could use a hand" in text and "Stuck" in text
    assert f"Agreed {seeded['held'].day} {seeded['held']:%b %Y}; closed" in text

    step1 = prompt_of(await service.answer(SAM, Answer("no")))
    assert step1.step_id == "observed" and step1.value == step1.suggestion
    draft = step1.value
    assert "your new opportunities were 4, 2, 1 and 0" in draft and "price as the main reason (the buyer's own answer)" in draft
    assert check_observed(draft, "Alex") == []

    own = prompt_of(await service.answer(SAM, Answer(draft)))  # the draft taken as it is
    assert own.step_id == "own_part" and not own.hints
    due, done = seeded["manager_due"], seeded["manager_done"]
    assert (f"“weekly pipeline review” due {due.day} {due:%b %Y}, done {done.day} {done:%b %Y} "
            f"({(done - due).days} days late)") in notes_text(own)

    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    assert "Acme" not in " ".join(str(v) for v in (row.step, row.status, row.ref, row.flow))
    assert "Acme" not in row.state_encrypted  # the brief lives in the encrypted state only
    state = service.cipher.decrypt(row.state_encrypted)
    assert "Acme <Corp> & *Co*" in str(state["params"]["brief"]) and state["answers"]["observed"] == draft


async def test_a_pending_manager_sees_none_of_the_reps_facts(service_on, db_url, clock):
    service = service_on(db_url)
    await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"), rep=BEN,
                      today=clock.now().date(), confirmed=False)
    out = await service.command(SAM, parse("talk <@U0BEN|Ben>"))
    said = " ".join(o.text for o in out if isinstance(o, Say))
    assert "Once Ben accepts" in said and "private notes" in said
    first = prompt_of(out)
    assert first.notes == ()
    step1 = prompt_of(await service.answer(SAM, Answer("no")))
    assert step1.notes == () and step1.value is None
    everything = repr(out) + repr(step1)
    for fact in ("Acme", "Globex", "pipeline review", "Stuck"):
        assert fact not in everything
    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    assert "brief" not in service.cipher.decrypt(row.state_encrypted)["params"]


async def test_once_the_line_ends_a_talk_in_progress_shows_the_reps_facts_no_more(service_on, db_url, clock):
    service = service_on(db_url)
    await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"), rep=ALEX,
                      today=clock.now().date())
    assert prompt_of(await service.command(SAM, parse("talk <@U0ALEX|Alex>"))).notes
    removed = await service.command(SAM, parse("team remove <@U0ALEX|Alex>"))
    assert "Removed Alex" in removed[0].text
    again = prompt_of(await service.command(SAM, parse("talk <@U0ALEX|Alex>")))
    assert again.step_id == "raised_before" and again.notes == ()
    step1 = prompt_of(await service.answer(SAM, Answer("no")))
    assert step1.notes == () and step1.value is None
    async with service.db.session() as s:
        row = (await s.execute(select(FlowSession))).scalar_one()
    assert "brief" not in service.cipher.decrypt(row.state_encrypted)["params"]  # gone from the stored state too


async def test_a_talk_prepared_from_a_signal_opens_with_what_prompted_it(service_on, db_url, clock):
    from bot.core.signals import raised
    from flows.signals import describe
    from storage import signal_flags
    from storage.models import Person

    service = service_on(db_url)
    await seed_record(service.db, service.cipher, platform="slack", team="T1", manager=("U0SAM", "Sam"), rep=ALEX,
                      today=clock.now().date())
    async with service.db.session() as s:
        rep = (await s.execute(select(Person).where(Person.platform_user_id == "U0ALEX"))).scalar_one()
        found = await raised(s, rep=rep, manager_id=rep.manager_id, now=clock.now(), cipher=service.cipher)
        assert found, "the seeded record raises at least one signal"
        row = await signal_flags.raise_flag(s, rep=rep, manager_id=rep.manager_id, key=found[0].key,
                                            kind=found[0].kind, strength=found[0].strength, now=clock.now())
        row.prepared_at = clock.now()  # the manager pressed "Prepare a conversation"
        s.add(row)
    first = prompt_of(await service.command(SAM, parse("talk <@U0ALEX|Alex>")))
    assert first.notes[0].heading == "What prompted this talk"
    assert first.notes[0].lines == (describe(found[0], "Alex"),)
    assert first.notes[1].heading == "New opportunities"
