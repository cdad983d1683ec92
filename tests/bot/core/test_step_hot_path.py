"""The hot path of a flow step (one read, one conditional write, on the event loop for SQLite).

What a user would notice if it went wrong: an answer lost or applied twice, the server freezing
while another writer holds SQLite's lock, another transaction failing because a step landed in
the middle of it, or the database file growing without end.
"""
from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

from sqlalchemy import select

from bot.core.commands import parse
from bot.core.service import Actor, CoachService
from flows.engine import Action, Answer
from flows.outputs import Prompt, Refused
from storage.db import Database, sqlite_path
from storage.models import FlowSession, Person

SAM = Actor("slack", "T1", "U0SAM", "Sam", "Europe/London")
EVE = Actor("slack", "T2", "U0EVE", "Eve", "UTC")


def prompt_of(outputs) -> Prompt:
    prompts = [o for o in outputs if isinstance(o, Prompt)]
    assert prompts, outputs
    return prompts[-1]


async def open_talk(service: CoachService, actor: Actor = SAM, rep: str = "U0ALEX") -> Prompt:
    return prompt_of(await service.command(actor, parse(f"talk <@{rep}|Rep {rep}>")))


async def stored(db: Database, session_id: str) -> FlowSession:
    async with db.session() as s:
        return (await s.execute(select(FlowSession).where(FlowSession.id == session_id))).scalar_one()


async def test_a_step_is_saved_encrypted_and_the_next_one_shown(db_url, service_on, clock):
    service = service_on(db_url)
    db = service.db
    p = await open_talk(service)
    out = await service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id)
    nxt = prompt_of(out)
    assert nxt.step_id != p.step_id and nxt.version == p.version + 1
    row = await stored(db, p.session_id)
    assert (row.step, row.version, row.status) == (nxt.step_id, nxt.version, "active")
    assert row.updated_at == clock.now()
    state = service.cipher.decrypt(row.state_encrypted)
    assert state["answers"][p.step_id] is False and not row.state_encrypted.lstrip().startswith("{")
    # The same press again (a double click) is out of date and changes nothing.
    again = await service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id)
    assert isinstance(again[0], Refused) and "out of date" in again[0].reason
    assert (await stored(db, p.session_id)).version == nxt.version
    # Someone else's session id, even from another workspace, is not found and not touched.
    theirs = await service.answer(EVE, Answer("no", version=nxt.version, step=nxt.step_id), p.session_id)
    assert isinstance(theirs[0], Refused) and "isn't yours" in theirs[0].reason
    assert (await stored(db, p.session_id)).version == nxt.version


async def test_a_step_waits_off_the_loop_while_another_writer_holds_the_lock(sqlite_url, service_on):
    service = service_on(sqlite_url)
    db = service.db
    p = await open_talk(service)
    other = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. a CLI command writing in another process
    answering = asyncio.create_task(
        service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id))
    ticks = 0
    for _ in range(20):  # the event loop keeps running while the step waits for the lock
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 20 and not answering.done()
    other.execute("COMMIT")
    other.close()
    out = await asyncio.wait_for(answering, 5)
    assert prompt_of(out).version == p.version + 1
    assert (await stored(db, p.session_id)).version == p.version + 1


async def test_a_transaction_that_reads_then_writes_survives_a_step_landing_in_between(sqlite_url, service_on):
    service = service_on(sqlite_url)
    db = service.db
    p = await open_talk(service)
    async with db.session() as s:
        sam = (await s.execute(select(Person).where(Person.platform_user_id == "U0SAM"))).scalar_one()
        step = asyncio.create_task(
            service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id))
        await asyncio.sleep(0.05)  # the step runs now, while this transaction is open
        sam.name = "Sam Renamed"
        # A write after a read: had the read opened a transaction (a plain BEGIN), SQLite would
        # refuse this write now that another commit slipped in. pysqlite starts the
        # transaction at the first write instead, and the step's own write is autocommit.
        await s.flush()
    out = await asyncio.wait_for(step, 5)
    assert prompt_of(out).version == p.version + 1
    async with db.session() as s:
        assert (await s.execute(select(Person.name).where(Person.id == sam.id))).scalar_one() == "Sam Renamed"


async def test_the_write_ahead_log_is_checkpointed_so_the_file_stays_small(sqlite_url, service_on):
    service = service_on(sqlite_url)
    db = service.db
    db.sqlite_worker.CHECKPOINT_EVERY = 50
    wal = sqlite_path(sqlite_url).with_name(sqlite_path(sqlite_url).name + "-wal")
    prompts = [await open_talk(service, rep=f"U0R{i:03d}") for i in range(20)]
    sizes = []
    for _ in range(10):  # 200 steps through the hot path, each rewriting a session row
        for i, p in enumerate(prompts):
            move = Answer(action=Action.BACK) if p.can_go_back else Answer("no")
            out = await service.answer(SAM, replace(move, version=p.version, step=p.step_id), p.session_id)
            prompts[i] = prompt_of(out)
        # Let the worker run the checkpoint it was handed, while no step writes: its thread runs one job at a
        # time, so a no-op queued behind the checkpoint returns once it is done (a fixed sleep was sometimes
        # too short on a busy machine, and a checkpoint racing the next writes can't let the log restart).
        await asyncio.get_running_loop().run_in_executor(db.sqlite_worker._executor, lambda: None)
        sizes.append(wal.stat().st_size)
    # A checkpoint lets the log start again from its beginning: it stops growing.
    assert sizes[-1] == sizes[len(sizes) // 2], sizes


async def test_a_replica_that_wrote_a_step_last_still_sees_what_another_replica_did(db_url, service_on):
    """Each process remembers the states it wrote (StepCache); the database stays the truth."""
    here, there = service_on(db_url), service_on(db_url)
    p = await open_talk(here)
    assert len(here.steps) == 1  # the opened talk is remembered here
    # The next press lands on the other replica, which moves the flow on and stores the answer.
    moved = prompt_of(await there.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id))
    # A stale press of the first form reaches this replica: refused, and nothing is overwritten.
    stale = await here.answer(SAM, Answer("yes", version=p.version, step=p.step_id), p.session_id)
    assert isinstance(stale[0], Refused) and "out of date" in stale[0].reason
    row = await stored(here.db, p.session_id)
    assert row.version == moved.version and here.cipher.decrypt(row.state_encrypted)["answers"][p.step_id] is False
    # The form the other replica showed works here too, on top of what the other replica stored.
    text = "On 3 Nov and 10 Nov you logged 4 calls; the team target is 20."
    after = prompt_of(await here.answer(SAM, Answer(text, version=moved.version, step=moved.step_id), p.session_id))
    assert after.version == moved.version + 1
    state = here.cipher.decrypt((await stored(here.db, p.session_id)).state_encrypted)
    assert state["answers"][p.step_id] is False and state["answers"][moved.step_id] == text


async def test_a_remembered_step_of_an_erased_person_is_not_written_back(db_url, service_on):
    from bot.ops.data_rights import forget

    service = service_on(db_url)
    p = await open_talk(service)
    await forget(service.db, service.cipher, "U0SAM", workspace="T1")
    out = await service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id)
    assert isinstance(out[0], Refused) and "doesn't exist" in out[0].reason
    async with service.db.session() as s:
        assert (await s.execute(select(FlowSession).where(FlowSession.id == p.session_id))).first() is None
    assert len(service.steps) == 0


def test_the_step_cache_keeps_few_entries_for_a_short_time():
    from bot.core.step_cache import StepCache
    from flows.engine import FlowState

    now = [0.0]
    cache = StepCache(size=2, ttl=60, clock=lambda: now[0])
    owner = ("slack", "T1", "U0SAM")
    for sid in ("a", "b", "c"):
        cache.put(sid, owner, FlowState(flow="talk", step="observed", version=3))
    assert len(cache) == 2 and cache.get("a", owner, 3) is None  # the oldest went first
    assert cache.get("c", owner, 3) is not None
    assert cache.get("c", owner, 2) is None  # another version: not this entry
    assert cache.get("c", ("slack", "T2", "U0SAM"), 3) is None  # someone else: never
    now[0] = 61
    assert cache.get("c", owner, 3) is None and len(cache) == 1  # expired and dropped
    cache.put("b", owner, FlowState(flow="talk", step=None, version=4, status="done"))
    assert len(cache) == 0  # finished flows are not kept


async def test_a_step_after_postgresql_ended_its_connections_is_still_saved(pg_url, service_on):
    """The step's write runs on connections of its own (storage/pg_statements.py); a restart or an
    idle timeout ends them on the server's side, and the next answer must not be lost for it."""
    from sqlalchemy import text

    service = service_on(pg_url)
    p = await open_talk(service)
    first = prompt_of(await service.answer(SAM, Answer("no", version=p.version, step=p.step_id), p.session_id))
    assert service.db.pg_statements._idle, "the step did not take the fast path"
    async with service.db.engine.begin() as conn:
        ended = (await conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"))).scalar_one()
    assert ended >= 1
    await asyncio.sleep(0.2)  # the ended connections' sockets become readable
    text_answer = "On 3 Nov and 10 Nov you logged 4 calls; the team target is 20."
    after = prompt_of(await service.answer(SAM, Answer(text_answer, version=first.version, step=first.step_id),
                                           p.session_id))
    assert after.version == first.version + 1
    row = await stored(service.db, p.session_id)
    assert row.version == after.version
    assert service.cipher.decrypt(row.state_encrypted)["answers"][first.step_id] == text_answer


async def test_a_remembered_step_about_an_erased_person_is_not_shown_after_a_forget_elsewhere(db_url, service_on):
    from bot.ops.data_rights import forget
    from tests.support.evidence import attempted

    server, cli = service_on(db_url), service_on(db_url)  # a running server, and `coachbot forget` beside it
    p = await open_talk(server, rep="U0ALEX")
    # An answer to correct writes nothing and is shown from what the server remembers, the rep's name in it ...
    again = prompt_of(await server.answer(SAM, Answer("maybe", version=p.version, step=p.step_id), p.session_id))
    assert again.errors and "Rep U0ALEX" in again.text and len(server.steps) == 1
    # ... until the rep is erased by another process: then nothing of them is shown.
    await forget(cli.db, cli.cipher, "U0ALEX", workspace="T1")
    out = await server.answer(SAM, Answer("maybe", version=p.version, step=p.step_id), p.session_id)
    assert isinstance(out[0], Refused) and "doesn't exist" in out[0].reason
    attempted("reading an erased person's name from a running server's memory", "U0ALEX" not in repr(out))
    assert "U0ALEX" not in repr(out) and len(server.steps) == 0
