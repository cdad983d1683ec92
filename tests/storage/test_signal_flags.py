"""Signal flags on SQLite and PostgreSQL: one row per rep, manager and episode even when two replicas record it
at once, a moved line closes the old manager's rows, the daily check is capped per run and goes on from where it
stopped, and migration 0011 goes down and up again."""
from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect, select

from bot.scheduler import signals_job
from storage import opportunities, people, signal_flags
from storage.db import Database, migrate, sync_url
from storage.models import SignalFlag, SignalSettings
from tests.support.clock import FixedClock

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday


@pytest.fixture
async def db(db_url):
    migrate(db_url)
    database = Database(db_url)
    yield database
    await database.close()


async def team(db: Database, reps: int, *, boss: str = "boss") -> tuple[int, int, list[int]]:
    """A manager with `reps` confirmed reps whose pulse fell 4, 2, 1, 0; three falls are strong here."""
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="console", external_id="demo")
        manager = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=boss)
        ids = []
        for i in range(reps):
            rep = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=f"{boss}-rep{i}")
            rep.manager_id = manager.id
            for back, count in ((3, 4), (2, 2), (1, 1), (0, 0)):
                await opportunities.record_pulse(s, workspace_id=ws.id, person_id=rep.id, count=count, now=NOW,
                                                 week_start=date(2026, 11, 23) - timedelta(weeks=back))
            ids.append(rep.id)
        await signal_flags.save_settings(s, workspace_id=ws.id, settings={"falling_weeks": 2}, by=None, now=NOW)
        return ws.id, manager.id, ids


async def test_the_same_episode_recorded_twice_at_once_is_one_row(db):
    _ws, boss, (rep_id,) = await team(db, 1)

    async def record():
        async with db.session() as s:
            rep = await people.get_person(s, workspace_id=_ws, person_id=rep_id)
            row = await signal_flags.raise_flag(s, rep=rep, manager_id=boss, key="k:1", kind="stuck",
                                                strength="strong", now=NOW)
            return row is not None

    made = await asyncio.gather(record(), record())
    assert sorted(made) == [False, True]
    async with db.session() as s:
        assert len(list((await s.execute(select(SignalFlag))).scalars())) == 1


async def test_the_daily_check_is_capped_says_so_and_goes_on_from_where_it_stopped(db, caplog):
    _ws, boss, reps = await team(db, 5)
    clock = FixedClock(NOW)
    with caplog.at_level(logging.WARNING, logger="coachbot.signals"):
        first = await signals_job.run(db, clock, cap=3)
    assert first == {"signals_checked": 3, "signals_told": 3, "signals_closed": 0, "signals_workspaces_waiting": 1,
                     "signals_reps_waiting": 2}
    assert "looked at 3 reps (the cap per run); 2 more in 1 workspace(s) wait for the next run" in caplog.text
    second = await signals_job.run(db, clock, cap=3)
    assert (second["signals_checked"], second["signals_told"], second["signals_workspaces_waiting"]) == (2, 2, 0)
    third = await signals_job.run(db, clock, cap=3)  # done for today
    assert third["signals_checked"] == 0
    clock.current = NOW + timedelta(days=1)
    fourth = await signals_job.run(db, clock, cap=10)  # a new day: looked at again, nobody told twice
    assert (fourth["signals_checked"], fourth["signals_told"]) == (5, 0)
    async with db.session() as s:
        rows = list((await s.execute(select(SignalFlag))).scalars())
        assert sorted(r.rep_id for r in rows) == reps and {r.status for r in rows} == {"raised"}
        assert (await s.get(SignalSettings, _ws)).settings == '{"falling_weeks": 2}'  # the check kept the settings


async def test_a_moved_line_closes_the_old_managers_flags(db):
    ws, boss, (rep_id,) = await team(db, 1)
    await signals_job.run(db, FixedClock(NOW))
    async with db.session() as s:
        rep = await people.get_person(s, workspace_id=ws, person_id=rep_id)
        rep.manager_id = None
    async with db.session() as s:
        assert await signal_flags.close_moved(s, now=NOW) == 1
        assert [r.status for r in (await s.execute(select(SignalFlag))).scalars()] == ["closed"]
        assert await signal_flags.rows_for(s, rep_id=rep_id, manager_id=boss) == {}


def test_the_migration_goes_down_and_up_again(db_url):
    from alembic import command
    from storage.db import alembic_config

    migrate(db_url)
    command.downgrade(alembic_config(db_url), "0010")
    engine = create_engine(sync_url(db_url))
    try:
        assert not {"signal_flags", "workspace_signal_settings"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    migrate(db_url)
    engine = create_engine(sync_url(db_url))
    try:
        assert {"signal_flags", "workspace_signal_settings"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
