"""Data rights on SQLite and PostgreSQL: forget a person, export their data, retention, key rotation."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.core.commands import parse
from bot.core.identity import Actor
from bot.ops.data_rights import PersonNotFound, export_person, forget, purge_expired, rotate_key
from bot.core.service import CoachService
from flows.engine import Answer
from storage import privacy
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import ActionItem, CheckIn, Conversation, FlowSession, Nudge, Person, ReportingChange, Retrospective
from tests.support.evidence import attempted
from tests.support.served import COACHBOT
from tests.bot.core.test_service import ALEX, ANSWERS, KIM, SAM, walk
from tests.bot.core.test_unshared_plans import confirmed

KEY = NotesCipher.generate_key()
NOTE = "Pricing-Blocker-4471 on the Acme deal"


async def build_world(url: str, clock) -> CoachService:
    """Sam leads plans with Alex and Kim; Alex checked in stuck and has a lost deal waiting."""
    migrate(url)
    service = CoachService(Database(url), NotesCipher(KEY), clock)
    await confirmed(service, SAM, ALEX, KIM)
    await walk(service, SAM, ANSWERS + ["yes"])
    await service.command(SAM, parse("talk <@U0KIM|Kim>"))
    for value in ANSWERS + ["no"]:
        await service.answer(SAM, Answer(value))
    await service.command(ALEX, parse("checkin"))
    await service.answer(ALEX, Answer("stuck"))
    await service.answer(ALEX, Answer(NOTE))
    await service.command(SAM, parse("lost Acme renewal 12k <@U0ALEX|Alex>"))
    return service


@pytest.fixture
async def world(db_url, clock):
    service = await build_world(db_url, clock)
    yield service
    await service.db.close()


async def queued_quoting(url: str, words: str) -> list[int]:
    """Ids of queued messages, for anyone, whose text holds these words."""
    db = Database(url)
    try:
        async with db.session() as s:
            rows = (await s.execute(select(Nudge.id, Nudge.payload).where(Nudge.kind == "message"))).all()
    finally:
        await db.close()
    return [i for i, p in rows if words in NotesCipher(KEY).decrypt(json.loads(p)["enc"])]


async def count(db: Database, query) -> int:
    async with db.session() as s:
        return (await s.execute(query)).scalar_one()


async def test_export_holds_a_persons_own_data_decrypted(world):
    data = await export_person(world.db, world.cipher, "<@U0ALEX|Alex>")
    assert data["person"]["platform_user_id"] == "U0ALEX"
    (talk,) = data["conversations"]
    assert talk["role"] == "rep" and talk["manager"] == "Sam"
    assert "In October you booked 2 demos" in json.dumps(talk["notes"])
    assert any("discovery calls" in item["text"] for item in talk["action_items"])
    assert [c["note"] for c in data["check_ins"]] == [NOTE]
    assert data["retrospectives"][0]["deal"] == "Acme renewal"
    sam = await export_person(world.db, world.cipher, "@U0SAM")
    assert {t["rep"] for t in sam["conversations"]} == {"Alex", "Kim"}  # what Sam wrote as manager


async def test_export_and_forget_never_reach_across_workspaces(world):
    with pytest.raises(PersonNotFound, match="Nobody with user id “U0ALEX” in workspace T2"):
        await export_person(world.db, world.cipher, "U0ALEX", workspace="T2")
    with pytest.raises(PersonNotFound):
        await forget(world.db, world.cipher, "U0NOBODY")


async def test_forget_erases_everything_about_the_person_and_keeps_other_plans(world):
    db = world.db
    alex_id = await count(db, select(Person.id).where(Person.platform_user_id == "U0ALEX"))
    name, counts = await forget(db, world.cipher, "U0ALEX")
    assert name == "Alex" and counts["conversations"] == 1 and counts["action_items"] >= 1
    assert counts["retrospectives"] == 1
    for model, column in ((Conversation, Conversation.rep_id), (CheckIn, CheckIn.rep_id),
                          (Retrospective, Retrospective.rep_id), (Nudge, Nudge.recipient_id),
                          (FlowSession, FlowSession.user_id), (ActionItem, ActionItem.owner_id)):
        assert await count(db, select(func.count()).select_from(model).where(column == alex_id)) == 0, model
    async with db.session() as s:
        erased = await s.get(Person, alex_id)
        assert (erased.name, erased.platform_user_id, erased.email, erased.chat_ref) == \
            (f"Erased person {alex_id}", f"erased-{alex_id}", None, None)
    # Kim's plan with Sam is untouched and still readable.
    plans = (await world.command(SAM, parse("plans")))[0].plans
    assert [p.rep_name for p in plans] == ["Kim"]
    sam = await export_person(db, world.cipher, "U0SAM")
    assert [c["rep"] for c in sam["conversations"]] == ["Kim"] and sam["conversations"][0]["action_items"]
    # Sam kept Kim's plan to himself: it is his to export, not hers.
    assert (await export_person(db, world.cipher, "U0KIM"))["conversations"] == []


async def queued_texts(world) -> list[tuple[int, dict, str]]:
    async with world.db.session() as s:
        rows = (await s.execute(select(Nudge).where(Nudge.kind == "message"))).scalars().all()
    return [(n.recipient_id, json.loads(n.payload), world.cipher.decrypt(json.loads(n.payload)["enc"])) for n in rows]


async def test_forget_erases_messages_queued_for_others_that_quote_the_person(world, clock):
    db = world.db
    sam_id = await count(db, select(Person.id).where(Person.platform_user_id == "U0SAM"))
    alex_id = await count(db, select(Person.id).where(Person.platform_user_id == "U0ALEX"))
    sam = Actor("slack", "T1", "U0SAM")
    # A "stuck" alert for Sam that quotes Alex, queued the way a transport keeps an undeliverable DM,
    await world.queue_message(sam, f"Alex checked in: stuck.\n“{NOTE}”")
    # one queued with the mark of whose words it carries (names nobody),
    async with db.session() as s:
        s.add(Nudge(workspace_id=1, recipient_id=sam_id, kind="message", subject=f"person:{sam_id}",
                    dedupe_key="marked", due_at=clock.now(), status="sent",
                    payload=json.dumps({"enc": world.cipher.encrypt(f"Your rep says: {NOTE} again"),
                                        privacy.ABOUT: [alex_id]})))
    # and one about Kim, which stays.
    await world.queue_message(sam, "Kim checked in: on track.")
    assert sum(NOTE in text for _, _, text in await queued_texts(world)) >= 2
    name, counts = await forget(db, world.cipher, "U0ALEX")
    assert counts["queued_messages_quoting_them"] >= 2
    left = await queued_texts(world)
    attempted("reading an erased person's words from a message queued for someone else",
              not any(NOTE in text or "Alex" in text for _, _, text in left))
    assert [text for _, _, text in left] == ["Kim checked in: on track."]
    async with db.session() as s:
        payloads = (await s.execute(select(Nudge.payload))).scalars().all()
    assert not any('"Alex"' in p for p in payloads)


async def test_forget_leaves_a_namesakes_queued_messages_and_reads_every_id_a_message_is_about(world, clock):
    """An untagged message is matched by name only for people the erased person worked with, in their
    workspace; a tagged one by its ids, however many it lists."""
    db = world.db
    jo, alex2 = Actor("slack", "T1", "U0JO", "Jo"), Actor("slack", "T1", "U0ALEX2", "Alex")  # Alex's namesake
    eve, alex3 = Actor("slack", "T2", "U0EVE", "Eve"), Actor("slack", "T2", "U0ALEX3", "Alex")  # and another
    await confirmed(world, jo, alex2)
    await confirmed(world, eve, alex3)
    ids = {a.user: (await world.identify(a)).id for a in (SAM, KIM, ALEX, jo, eve)}
    await world.queue_message(SAM, "Alex checked in: stuck on pricing.")  # Sam leads Alex: quoting them
    await world.queue_message(jo, "Alex checked in: stuck on the Globex demo.")  # Jo's Alex, not Sam's
    await world.queue_message(eve, "Alex checked in: stuck on the Initech deal.")  # another workspace's Alex

    def tagged(recipient: int, text: str, about, key: str) -> Nudge:
        return Nudge(workspace_id=1, recipient_id=recipient, kind="message", subject=f"person:{recipient}",
                     dedupe_key=key, due_at=clock.now(), status="pending",
                     payload=json.dumps({"enc": world.cipher.encrypt(text), privacy.ABOUT: about}))
    async with db.session() as s:  # a shared plan names its manager and its rep
        s.add(tagged(ids["U0SAM"], "Plan words of Sam and Alex", [ids["U0SAM"], ids["U0ALEX"]], "both-alex"))
        s.add(tagged(ids["U0SAM"], "Plan words of Sam and Kim", [ids["U0SAM"], ids["U0KIM"]], "both-kim"))
    await forget(db, world.cipher, "U0ALEX", workspace="T1")
    left = [text for _, _, text in await queued_texts(world)]
    wrongly = [t for t in left if "Globex" in t or "Initech" in t]
    attempted("erasing a namesake's queued message with `coachbot forget`", len(wrongly) == 2)
    assert len(wrongly) == 2, left
    assert not any("pricing" in t or "Sam and Alex" in t for t in left), left
    assert "Plan words of Sam and Kim" in left
    await forget(db, world.cipher, "U0KIM", workspace="T1")  # Kim is the second id of its list
    assert "Plan words of Sam and Kim" not in [text for _, _, text in await queued_texts(world)]


async def test_forget_drops_invitations_to_and_from_the_person_and_their_nudges(world):
    from storage.models import ReportingInvite

    await world.command(SAM, parse("team add <@U0JO|Jo>"))
    invites = select(func.count()).select_from(ReportingInvite)
    assert await count(world.db, invites) == 1
    assert await count(world.db, select(func.count()).select_from(Nudge).where(Nudge.subject.like("invite:%"))) >= 1
    name, counts = await forget(world.db, world.cipher, "U0JO")
    assert name == "Jo" and counts["invitations"] == 1
    assert await count(world.db, invites) == 0
    assert await count(world.db, select(func.count()).select_from(Nudge).where(Nudge.subject.like("invite:%"))) == 0


async def test_forgetting_a_manager_takes_their_name_out_of_their_reps_nudges(world):
    async with world.db.session() as s:
        before = (await s.execute(select(Nudge.payload).where(Nudge.payload.like('%"Sam"%')))).scalars().all()
    assert before  # Alex's check-ins and reminders name Sam
    await forget(world.db, world.cipher, "U0SAM")
    async with world.db.session() as s:
        payloads = (await s.execute(select(Nudge.payload))).scalars().all()
    attempted("reading an erased manager's name from their rep's nudges", not any('"Sam"' in p for p in payloads))
    assert not any('"Sam"' in p for p in payloads)


async def test_forgetting_a_manager_logs_the_end_of_each_reps_line(world):
    async with world.db.session() as s:
        sam = (await s.execute(select(Person).where(Person.platform_user_id == "U0SAM"))).scalar_one()
        reps = set((await s.execute(select(Person.id).where(Person.manager_id == sam.id))).scalars())
    assert len(reps) == 2  # Alex and Kim
    await forget(world.db, world.cipher, "U0SAM")
    async with world.db.session() as s:
        ended = (await s.execute(select(ReportingChange).where(ReportingChange.how == "erased"))).scalars().all()
        still = (await s.execute(select(Person.id).where(Person.manager_id == sam.id))).scalars().all()
    assert {c.rep_id for c in ended} == reps and all(c.old_manager_id == sam.id and c.new_manager_id is None
                                                      for c in ended)
    assert still == []


async def test_forgetting_a_manager_leaves_their_namesakes_name_in_the_nudges_of_people_they_never_led(world, clock):
    eve, zed = Actor("slack", "T2", "U0EVE", "Eve"), Actor("slack", "T1", "U0ZED", "Zed")
    ids = {a.user: (await world.identify(a)) for a in (eve, zed)}
    async with world.db.session() as s:  # check-ins from another Sam: in another workspace, and in this one
        for who in ids.values():
            s.add(Nudge(workspace_id=who.workspace_id, recipient_id=who.id, kind="checkin_rep",
                        subject=f"person:{who.id}", dedupe_key=f"namesake:{who.id}", due_at=clock.now(),
                        payload=json.dumps({"manager": "Sam"})))
    await forget(world.db, world.cipher, "U0SAM", workspace="T1")
    async with world.db.session() as s:
        kept = (await s.execute(select(Nudge.payload).where(Nudge.dedupe_key.like("namesake:%")))).scalars().all()
    attempted("renaming a namesake in other people's nudges with `coachbot forget`", kept == ['{"manager": "Sam"}'] * 2)
    assert kept == ['{"manager": "Sam"}'] * 2


async def test_retention_purges_only_closed_plans_older_than_the_setting(world, clock):
    await world.command(SAM, parse("close <@U0ALEX|Alex>"))
    await world.queue_message(Actor("console", "demo", "alex"), "a message nobody could deliver")
    assert await purge_expired(world.db, now=clock.now(), months=24) == \
        {"conversations": 0, "action_items": 0, "retrospectives": 0, "drafts": 0, "queued messages": 0}
    later = clock.now() + timedelta(days=800)
    queued = await count(world.db, select(func.count()).select_from(Nudge).where(Nudge.kind == "message"))
    assert queued >= 2  # this one, and what the finished flows left for others (the outbox)
    purged = await purge_expired(world.db, now=later, months=24)
    assert purged["conversations"] == 1 and purged["action_items"] >= 1
    assert purged["queued messages"] == queued  # their words go with the rest of their age, delivered or not
    assert await count(world.db, select(func.count()).select_from(Conversation)) == 1  # Kim's, still open
    assert await purge_expired(world.db, now=later, months=0) == {}  # 0 keeps everything


async def test_rotation_moves_every_note_to_the_new_key(world):
    new = NotesCipher.generate_key()
    counts = await rotate_key(world.db, NotesCipher(new, KEY))
    assert counts["conversations"] == 2 and counts["checkins"] >= 1 and counts["flow_sessions"] >= 3
    only_new = NotesCipher(new)
    async with world.db.session() as s:
        data = await privacy.personal_data(s, only_new, person=(await s.execute(
            select(Person).where(Person.platform_user_id == "U0ALEX"))).scalar_one())
        assert data["check_ins"][0]["note"] == NOTE
        token = (await s.execute(select(Conversation.notes_encrypted))).scalars().first()
    with pytest.raises(ValueError, match="not the key"):
        NotesCipher(KEY).decrypt(token)


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    cmd = [str(COACHBOT)] if COACHBOT.exists() else [sys.executable, "-m", "bot"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "DATABASE_URL", "SLACK_"))}
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env={**clean, **env}, timeout=60)


async def test_the_cli_exports_forgets_and_refuses_a_rotation_without_the_old_key(sqlite_url, clock):
    await (await build_world(sqlite_url, clock)).db.close()
    env = {"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY}
    exported = run_cli("export", "person", "U0ALEX", env=env)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["check_ins"][0]["note"] == NOTE
    assert await queued_quoting(sqlite_url, NOTE)  # Alex's "stuck" alert for Sam, in the outbox
    erased = run_cli("forget", "U0ALEX", "--yes", env=env)
    assert erased.returncode == 0 and "Erased Alex: 1 conversations" in erased.stdout
    assert "queued messages quoting them" in erased.stdout
    assert "already delivered stay in Slack or Teams" in erased.stdout
    quoting = await queued_quoting(sqlite_url, NOTE)
    attempted("reading an erased person's words from a queued message after `coachbot forget`", not quoting)
    assert not quoting
    again = run_cli("forget", "U0ALEX", "--yes", env=env)
    assert again.returncode == 2 and "Nobody with user id" in again.stderr
    refused = run_cli("rotate-key", env=env)
    assert refused.returncode == 2 and "COACHBOT_PREVIOUS_KEYS" in refused.stderr


async def test_a_reps_weekly_counts_are_exported_and_forgotten(world):
    from datetime import date

    from storage import opportunities
    from storage.models import CrmDealSeen, OpportunityCount
    async with world.db.session() as s:
        alex = (await s.execute(select(Person).where(Person.platform_user_id == "U0ALEX"))).scalar_one()
        await opportunities.record_pulse(s, workspace_id=alex.workspace_id, person_id=alex.id,
                                         week_start=date(2026, 11, 23), count=4, now=world.clock.now())
        await opportunities.add_crm_deal(s, workspace_id=alex.workspace_id, person_id=alex.id, deal_key="crm:77",
                                         week_start=date(2026, 11, 23), now=world.clock.now())
    exported = await export_person(world.db, world.cipher, "U0ALEX")
    assert {"week_start": "2026-11-23", "count": 4, "source": "pulse"} in exported["new_opportunities"]
    _, counts = await forget(world.db, world.cipher, "U0ALEX")
    assert counts["opportunity_weeks"] == 2
    for model in (OpportunityCount, CrmDealSeen):
        assert await count(world.db, select(func.count()).select_from(model).where(model.person_id == alex.id)) == 0
