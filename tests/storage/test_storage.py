"""Storage on a real SQLite file and a real PostgreSQL: migrations, repositories, UTC, encryption."""
from __future__ import annotations

import json

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from storage import people, sessions, slack_tables, talks
from storage.crypto import NotesCipher
from storage.db import Database, migrate, sync_url
from storage.models import Conversation, Person
from tests.support.clock import FIXED_NOW

KEY = NotesCipher.generate_key()
SECRET_WORDS = ["Globex", "territory", "discovery", "lazy"]
ANSWERS = {
    "observed": "In October you booked 2 demos at Globex; the target is 8.",
    "own_part": "I moved half your territory without a plan.",
    "rep_view": "The territory change cost me my leads.",
    "options": "Campaign; shadowing",
    "plan": [
        {"owner": "rep", "text": "book 5 discovery calls", "due": "2026-11-27", "due_phrase": "by Friday"},
        {"owner": "manager", "text": "join two calls", "due": None, "due_phrase": None},
    ],
    "review": "2026-12-07",
    "share": True,
}


@pytest.fixture
async def db(db_url):
    migrate(db_url)
    database = Database(db_url)
    yield database
    await database.close()


async def _team(db: Database, workspace="T1"):
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="slack", external_id=workspace)
        sam = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="U_SAM", name="Sam")
        alex = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="U_ALEX", name="Alex")
        await people.set_manager(s, rep=alex, manager=sam)
        return ws, sam, alex


def test_migrations_create_exactly_the_models(db_url):
    migrate(db_url)
    migrate(db_url)  # idempotent: a second run is a no-op
    engine = create_engine(sync_url(db_url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), [SQLModel.metadata, slack_tables.metadata])
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert diff == []
    assert {"workspaces", "people", "flow_sessions", "conversations", "action_items", "checkins",
            "slack_events_seen", "slack_installations", "slack_bots", "slack_oauth_states", "alembic_version"} <= tables


async def test_people_are_found_not_duplicated(db):
    ws, sam, alex = await _team(db)
    ws2, sam2, _ = await _team(db)
    assert (ws.id, sam.id) == (ws2.id, sam2.id)
    async with db.session() as s:
        reps = await people.reps_of(s, manager=sam)
        found = await people.find_by_name(s, workspace_id=ws.id, name="ALEX")
    assert [r.name for r in reps] == ["Alex"] and found.id == alex.id


async def test_datetimes_come_back_aware_utc(db):
    _, sam, _ = await _team(db)
    local = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # a DST-change night
    async with db.session() as s:
        person = await s.get(Person, sam.id)
        person.paused_until = local
    async with db.session() as s:
        again = await s.get(Person, sam.id)
    assert again.paused_until.tzinfo is not None
    assert again.paused_until.utcoffset() == timedelta(0)
    assert again.paused_until == local
    assert again.created_at.tzinfo is not None


async def test_naive_datetimes_are_refused(db):
    _, sam, _ = await _team(db)
    with pytest.raises(Exception, match="naive datetime"):
        async with db.session() as s:
            person = await s.get(Person, sam.id)
            person.paused_until = datetime(2026, 1, 1)
            await s.flush()


async def test_notes_are_encrypted_at_rest(db, db_url):
    ws, sam, alex = await _team(db)
    cipher = NotesCipher(KEY)
    async with db.session() as s:
        row = await sessions.create_session(s, cipher, workspace_id=ws.id, user_id=sam.id, flow="talk",
                                            state={"step": "observed", "answers": ANSWERS, "status": "active",
                                                   "version": 1}, subject_id=alex.id, now=FIXED_NOW)
        await talks.record_conversation(s, cipher, workspace_id=ws.id, manager=sam, rep=alex, answers=ANSWERS,
                                        flow_session_id=row.id, now=FIXED_NOW)
    engine = create_engine(sync_url(db_url))
    try:
        with engine.connect() as conn:
            raw = [
                *conn.execute(text("SELECT notes_encrypted FROM conversations")).scalars(),
                *conn.execute(text("SELECT text_encrypted FROM action_items")).scalars(),
                *conn.execute(text("SELECT state_encrypted FROM flow_sessions")).scalars(),
            ]
    finally:
        engine.dispose()
    assert len(raw) == 4
    for value in raw:
        for word in SECRET_WORDS:
            assert word.lower() not in value.lower()
        assert value.startswith("v2:")  # AES-256-GCM
    async with db.session() as s:
        plans = await talks.open_plans(s, cipher, viewer=sam)
        notes = await talks.conversation_notes(s, cipher, viewer=sam, conversation_id=plans[0].conversation_id)
    assert notes == ANSWERS
    assert [i.text for i in plans[0].items] == ["book 5 discovery calls", "join two calls"]


def test_notes_written_as_fernet_tokens_before_the_switch_still_read_and_rotate_to_aes_gcm():
    from cryptography.fernet import Fernet

    old_token = Fernet(KEY).encrypt(json.dumps({"note": "missed 3 demos", "n": 3}).encode()).decode()
    cipher = NotesCipher(KEY)
    assert cipher.decrypt(old_token) == {"note": "missed 3 demos", "n": 3}
    rotated = cipher.rotate(old_token)
    assert rotated.startswith("v2:") and "missed" not in rotated
    assert cipher.decrypt(rotated) == {"note": "missed 3 demos", "n": 3}
    # Each value gets its own nonce: the same notes never encrypt to the same text.
    assert cipher.encrypt({"a": 1}) != cipher.encrypt({"a": 1})
    tampered = rotated[:-6] + ("A" if rotated[-6] != "A" else "B") + rotated[-5:]
    with pytest.raises(ValueError, match="not the key"):
        cipher.decrypt(tampered)


async def test_a_wrong_key_fails_loudly_and_an_old_key_still_reads(db):
    ws, sam, alex = await _team(db)
    old, new = NotesCipher.generate_key(), NotesCipher.generate_key()
    async with db.session() as s:
        await talks.record_conversation(s, NotesCipher(old), workspace_id=ws.id, manager=sam, rep=alex,
                                        answers=ANSWERS, flow_session_id=None, now=FIXED_NOW)
    async with db.session() as s:
        with pytest.raises(ValueError, match="not the key they were written with"):
            await talks.open_plans(s, NotesCipher(new), viewer=sam)
        plans = await talks.open_plans(s, NotesCipher(new, old), viewer=sam)  # rotation: old key still reads
    assert plans[0].items[0].text == "book 5 discovery calls"


async def test_plans_are_visible_to_their_manager_and_rep_only(db):
    ws, sam, alex = await _team(db)
    _, other_sam, _ = await _team(db, workspace="T2")
    cipher = NotesCipher(KEY)
    async with db.session() as s:
        kim = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="U_KIM", name="Kim")
        await talks.record_conversation(s, cipher, workspace_id=ws.id, manager=sam, rep=alex, answers=ANSWERS,
                                        flow_session_id=None, now=FIXED_NOW)
    async with db.session() as s:
        as_manager = await talks.open_plans(s, cipher, viewer=sam)
        as_rep = await talks.open_plans(s, cipher, viewer=alex)
        as_colleague = await talks.open_plans(s, cipher, viewer=kim)
        other_ws = await talks.open_plans(s, cipher, viewer=other_sam)
        notes_for_rep = await talks.conversation_notes(s, cipher, viewer=alex,
                                                       conversation_id=as_manager[0].conversation_id)
        notes_for_other_ws = await talks.conversation_notes(s, cipher, viewer=other_sam,
                                                            conversation_id=as_manager[0].conversation_id)
    assert len(as_manager) == 1 and as_manager[0].rep_name == "Alex"
    assert len(as_rep) == 1 and as_rep[0].manager_name == "Sam"
    assert as_colleague == [] and other_ws == []
    assert notes_for_rep is None and notes_for_other_ws is None  # the six-step notes are the manager's alone
    plan = as_manager[0]
    assert plan.review_on == date(2026, 12, 7)
    assert [i.id for i in plan.overdue(date(2026, 11, 30))] == [plan.items[0].id]


async def test_person_lookup_never_crosses_workspaces(db):
    ws, sam, _ = await _team(db)
    ws2, other_sam, _ = await _team(db, workspace="T2")
    async with db.session() as s:
        assert await people.get_person(s, workspace_id=ws2.id, person_id=sam.id) is None
        assert (await people.get_person(s, workspace_id=ws.id, person_id=sam.id)).id == sam.id
        with pytest.raises(ValueError):
            await people.set_manager(s, rep=other_sam, manager=sam)


async def test_session_save_is_refused_when_the_version_moved(db):
    ws, sam, alex = await _team(db)
    cipher = NotesCipher(KEY)
    state = {"step": "a", "status": "active", "version": 1}
    async with db.session() as s:
        row = await sessions.create_session(s, cipher, workspace_id=ws.id, user_id=sam.id, flow="talk",
                                            state=state, subject_id=alex.id, now=FIXED_NOW)
    async with db.session() as s:
        first = await sessions.save_state(s, cipher, row=row, state={**state, "step": "b", "version": 2},
                                          expected_version=1, now=FIXED_NOW)
        second = await sessions.save_state(s, cipher, row=row, state={**state, "step": "c", "version": 2},
                                           expected_version=1, now=FIXED_NOW)
    assert (first, second) == (True, False)
    async with db.session() as s:
        again = await sessions.get_session(s, session_id=row.id, workspace_id=ws.id, user_id=sam.id)
        stranger = await sessions.get_session(s, session_id=row.id, workspace_id=ws.id, user_id=alex.id)
    assert again.step == "b" and sessions.load_state(cipher, again)["step"] == "b"
    assert stranger is None


async def test_health_ping(db):
    assert await db.ping() is True
    broken = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert await broken.ping() is False
    await broken.close()


def test_conversation_review_is_a_date_column():
    assert Conversation.__table__.c.review_on.type.python_type is date
    assert datetime.now(timezone.utc).tzinfo is not None


async def test_a_teams_user_id_as_long_as_teams_makes_them_is_stored(db):
    """Teams user ids ("29:1...") run to ~90 characters and tenant ids are GUIDs; Slack's are short."""
    user = "29:1" + "GcS4EN60fdk1Azb5X8ReRRIpGSlvjApPUGd9pkhJ7Cp2qvahDTvX-XMnqKY0nkyWV8wbmyX-oY1hBt_SCZP-Vw" * 2
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="teams", external_id="72f988bf-86f1-41af-91ab-2d7cd011db47")
        person = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=user, name="Teams user")
    async with db.session() as s:
        found = await people.find_person(s, platform="teams", workspace=ws.external_id, user=user)
    assert found is not None and found.id == person.id and len(user) > 160
