"""Weekly new-opportunity counts on SQLite and PostgreSQL: a pulse answered again replaces, a CRM deal
delivered twice counts once, counts never go below zero, and the migration goes down and up again."""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from storage import opportunities, people
from storage.db import Database, migrate, sync_url
from storage.models import OpportunityCount

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
WEEK, NEXT = date(2026, 11, 30), date(2026, 12, 7)


@pytest.fixture
async def db(db_url):
    migrate(db_url)
    database = Database(db_url)
    yield database
    await database.close()


async def rep(db: Database, user: str = "alex") -> tuple[int, int]:
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="console", external_id="demo")
        person = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=user)
        return ws.id, person.id


async def test_a_pulse_answered_again_replaces_the_first_answer(db):
    ws, alex = await rep(db)
    async with db.session() as s:
        await opportunities.record_pulse(s, workspace_id=ws, person_id=alex, week_start=WEEK, count=3, now=NOW)
    async with db.session() as s:
        await opportunities.record_pulse(s, workspace_id=ws, person_id=alex, week_start=WEEK, count=0, now=NOW)
        await opportunities.record_pulse(s, workspace_id=ws, person_id=alex, week_start=NEXT, count=500, now=NOW)
    async with db.session() as s:
        assert await opportunities.weekly_counts(s, person_id=alex, since=WEEK) == [(WEEK, 0, "pulse"),
                                                                                     (NEXT, 500, "pulse")]
        assert await opportunities.weekly_counts(s, person_id=alex, since=NEXT) == [(NEXT, 500, "pulse")]
        with pytest.raises(ValueError):
            await opportunities.record_pulse(s, workspace_id=ws, person_id=alex, week_start=WEEK, count=501, now=NOW)


async def test_a_crm_deal_counts_once_even_when_delivered_at_the_same_moment_twice(db):
    ws, alex = await rep(db)

    async def deliver(key: str) -> bool:
        async with db.session() as s:
            return await opportunities.add_crm_deal(s, workspace_id=ws, person_id=alex, deal_key=key,
                                                    week_start=WEEK, now=NOW)

    results = [await deliver("crm:D-1"), await deliver("crm:D-1"), await deliver("crm:D-2")]
    assert results == [True, False, True]
    async with db.session() as s:
        assert await opportunities.weekly_counts(s, person_id=alex, since=WEEK) == [(WEEK, 2, "crm")]


@pytest.fixture
async def pg_db(pg_url):
    migrate(pg_url)
    database = Database(pg_url)
    yield database
    await database.close()


async def test_deliveries_racing_each_other_count_each_deal_once(pg_db):
    """PostgreSQL only: SQLite writes one at a time, so there is no race to lose there."""
    db = pg_db
    ws, alex = await rep(db)

    async def deliver(key: str) -> bool:
        async with db.session() as s:
            return await opportunities.add_crm_deal(s, workspace_id=ws, person_id=alex, deal_key=key,
                                                    week_start=WEEK, now=NOW)

    results = await asyncio.gather(*(deliver(f"crm:R-{i % 5}") for i in range(20)))
    assert sum(results) == 5
    async with db.session() as s:
        assert await opportunities.weekly_counts(s, person_id=alex, since=WEEK) == [(WEEK, 5, "crm")]


async def test_a_count_below_zero_is_refused_by_the_database(db):
    ws, alex = await rep(db)
    with pytest.raises(IntegrityError):
        async with db.session() as s:
            s.add(OpportunityCount(workspace_id=ws, person_id=alex, week_start=WEEK, count=-1, source="pulse"))


async def test_the_crm_setting_decides_who_is_asked(db):
    ws, alex = await rep(db)
    _, sam = await rep(db, "sam")
    async with db.session() as s:
        (await s.get(people.Person, alex)).manager_id = sam
    async with db.session() as s:
        assert [p.id for p in await opportunities.reps_to_pulse(s)] == [alex]
        assert not await opportunities.crm_reports_new_deals(s, workspace_id=ws)
        await opportunities.set_crm_reports_new_deals(s, workspace_id=ws, on=True, now=NOW)
    async with db.session() as s:
        assert await opportunities.crm_reports_new_deals(s, workspace_id=ws)
        assert await opportunities.reps_to_pulse(s) == []
        await opportunities.set_crm_reports_new_deals(s, workspace_id=ws, on=False, now=NOW)
    async with db.session() as s:
        assert [p.id for p in await opportunities.reps_to_pulse(s)] == [alex]


def test_the_migration_goes_down_and_up_again(db_url):
    from alembic import command
    from storage.db import alembic_config

    migrate(db_url)
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0009")  # below 0010, whatever came after it
    engine = create_engine(sync_url(db_url))
    try:
        assert not {"opportunity_counts", "crm_deals_seen", "crm_settings"} & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    migrate(db_url)
    engine = create_engine(sync_url(db_url))
    try:
        assert {"opportunity_counts", "crm_deals_seen", "crm_settings"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
