"""A rep's dated facts gathered from seeded rows on SQLite and PostgreSQL: days in the rep's zone, only the
last weeks, only this manager's plans and check-ins, and nothing of an earlier manager's episode."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from flows.signals import (ActionDue, CheckinAnswer, CheckinAsked, Loss, ManagerCheckin, Thresholds, WeekCount,
                           describe, flags)
from storage import lines, opportunities, people
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import ActionItem, CheckIn, Conversation, Nudge, Retrospective
from storage.rep_facts import rep_facts

TODAY = date(2026, 12, 3)  # a Thursday
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)
CIPHER = NotesCipher(NotesCipher.generate_key())


@pytest.fixture
async def db(db_url):
    migrate(db_url)
    database = Database(db_url)
    yield database
    await database.close()


async def team(db: Database):
    """A manager, an earlier manager and a rep in Tokyo (UTC+9), the line to the manager confirmed 2 Nov."""
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="console", external_id="demo")
        boss = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="boss")
        old = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="old")
        rep = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="alex")
        rep.tz = "Asia/Tokyo"
        await lines.confirm(s, rep=rep, manager=old, by=None, how="admin", now=datetime(2026, 9, 1, tzinfo=timezone.utc))
        await lines.log_change(s, workspace_id=ws.id, rep_id=rep.id, old=old.id, new=boss.id, by=boss, how="invited",
                               now=datetime(2026, 10, 20, tzinfo=timezone.utc))
        await lines.confirm(s, rep=rep, manager=boss, by=None, how="accepted",
                            now=datetime(2026, 11, 1, 16, 0, tzinfo=timezone.utc))  # 2 Nov 01:00 in Tokyo
        return ws.id, boss.id, old.id, rep.id


def at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=timezone.utc)


async def test_the_facts_come_from_the_tables_in_the_reps_days(db):
    ws, boss, old, rep_id = await team(db)
    async with db.session() as s:
        for week, count in ((date(2026, 9, 7), 9), (date(2026, 11, 9), 4), (date(2026, 11, 16), 2),
                            (date(2026, 11, 23), 1), (date(2026, 11, 30), 0)):
            await opportunities.record_pulse(s, workspace_id=ws, person_id=rep_id, week_start=week, count=count, now=NOW)
        await opportunities.add_crm_deal(s, workspace_id=ws, person_id=rep_id, deal_key="crm:1",
                                         week_start=date(2026, 11, 30), now=NOW)
        for deal, lost, reason, status, evidence in (
                ("Acme", date(2026, 11, 23), "price", "done", "buyer_told"),
                ("Globex", date(2026, 11, 24), "price", "done", "our_read"),
                ("Initech", date(2026, 11, 25), None, "pending", None),
                ("Ancient", date(2026, 8, 1), "price", "done", "buyer_told")):
            s.add(Retrospective(workspace_id=ws, deal_key=deal, deal_name=deal, rep_id=rep_id, manager_id=boss,
                                status=status, primary_reason=reason, lost_on=lost,
                                answers_encrypted=CIPHER.encrypt({"evidence": evidence}) if evidence else None))
        talk = Conversation(workspace_id=ws, manager_id=boss, rep_id=rep_id, notes_encrypted=CIPHER.encrypt({}),
                            review_on=date(2027, 1, 10), status="open", shared_with_rep=True)
        closed = Conversation(workspace_id=ws, manager_id=boss, rep_id=rep_id, notes_encrypted=CIPHER.encrypt({}),
                              review_on=date(2027, 1, 10), status="closed", shared_with_rep=True)
        olds = Conversation(workspace_id=ws, manager_id=old, rep_id=rep_id, notes_encrypted=CIPHER.encrypt({}),
                            review_on=date(2027, 1, 10), status="open", shared_with_rep=True)
        s.add_all([talk, closed, olds])
        await s.flush()
        for conv, role, owner, due, status, done_at in (
                (talk, "rep", rep_id, date(2026, 11, 20), "open", None),
                (talk, "rep", rep_id, date(2026, 11, 25), "done", at(30, 16)),  # 1 Dec in Tokyo
                (talk, "manager", boss, date(2026, 11, 27), "open", None),
                (talk, "rep", rep_id, date(2026, 11, 28), "dropped", None),
                (talk, "rep", rep_id, None, "open", None),
                (closed, "rep", rep_id, date(2026, 11, 21), "open", None),
                (olds, "rep", rep_id, date(2026, 11, 22), "open", None)):
            s.add(ActionItem(conversation_id=conv.id, workspace_id=ws, owner_role=role, owner_id=owner,
                             text_encrypted=CIPHER.encrypt("x"), due_on=due, status=status, done_at=done_at))
        for who, kind, status, when in (
                (rep_id, "rep", "stuck", at(23, 20)),  # 24 Nov in Tokyo
                (rep_id, "rep", "on_track", at(26)),
                (rep_id, "rep", "need_hand", at(20, month=10)),  # before this line: the earlier manager's
                (boss, "manager", None, at(12)),
                (boss, "manager", None, at(5)),
                (old, "manager", None, at(25))):
            s.add(CheckIn(workspace_id=ws, rep_id=rep_id, author_id=who, kind=kind, status=status, created_at=when))
        for i, (when, status) in enumerate(((at(23, 1), "sent"), (at(25, 23), "sent"), (at(27), "cancelled"),
                                            (at(10, month=10), "sent"))):
            s.add(Nudge(workspace_id=ws, recipient_id=rep_id, kind="checkin_rep", subject=f"talk:{talk.id}",
                        dedupe_key=f"k{i}", due_at=when, status=status, sent_at=when))
    async with db.session() as s:
        rep = await people.get_person(s, workspace_id=ws, person_id=rep_id)
        facts = await rep_facts(s, rep=rep, manager_id=boss, today=TODAY, cipher=CIPHER)
        blind = await rep_facts(s, rep=rep, manager_id=boss, today=TODAY)

    assert facts.rep == rep_id and facts.since == date(2026, 11, 2)
    assert facts.opportunities == (WeekCount(date(2026, 11, 9), 4), WeekCount(date(2026, 11, 16), 2),
                                   WeekCount(date(2026, 11, 23), 1), WeekCount(date(2026, 11, 30), 1, "crm"),
                                   WeekCount(date(2026, 11, 30), 0))
    assert facts.losses == (Loss(date(2026, 11, 23), "Acme", "price", True),
                            Loss(date(2026, 11, 24), "Globex", "price", False),
                            Loss(date(2026, 11, 25), "Initech", None, None))
    assert [loss.buyer_confirmed for loss in blind.losses] == [None, None, None]
    assert facts.answers == (CheckinAnswer(date(2026, 11, 24), "stuck"), CheckinAnswer(date(2026, 11, 26), "on_track"))
    assert facts.asked == (CheckinAsked(date(2026, 11, 23)), CheckinAsked(date(2026, 11, 26)))
    assert facts.actions == (ActionDue("rep", date(2026, 11, 20)), ActionDue("rep", date(2026, 11, 25), date(2026, 12, 1)),
                             ActionDue("manager", date(2026, 11, 27)))
    assert facts.manager_checkins == (ManagerCheckin(date(2026, 11, 5)), ManagerCheckin(date(2026, 11, 12)))
    raised = {f.kind: f for f in flags(facts, Thresholds(), TODAY)}
    assert "repeated_loss_cause" in raised and "manager_commitments_missed" in raised
    assert describe(raised["repeated_loss_cause"], "Alex").startswith("Alex: 2 lost deals with the same main reason")


async def test_only_the_last_weeks_are_read_and_the_last_checkin_still_counts_the_days(db):
    ws, boss, _old, rep_id = await team(db)
    async with db.session() as s:
        await opportunities.record_pulse(s, workspace_id=ws, person_id=rep_id, week_start=date(2026, 11, 9), count=3,
                                         now=NOW)
        await opportunities.record_pulse(s, workspace_id=ws, person_id=rep_id, week_start=date(2026, 11, 30),
                                         count=1, now=NOW)
        s.add(CheckIn(workspace_id=ws, rep_id=rep_id, author_id=boss, kind="manager", created_at=at(3)))
    async with db.session() as s:
        rep = await people.get_person(s, workspace_id=ws, person_id=rep_id)
        facts = await rep_facts(s, rep=rep, manager_id=boss, today=TODAY, weeks=2)
    assert facts.opportunities == (WeekCount(date(2026, 11, 30), 1),)
    assert facts.manager_checkins == (ManagerCheckin(date(2026, 11, 3)),)


async def test_a_line_with_no_audit_row_has_no_start_day(db):
    ws, boss, _old, _rep = await team(db)
    async with db.session() as s:
        other = await people.get_or_create_person(s, workspace_id=ws, platform_user_id="sam")
        other.manager_id = boss
        facts = await rep_facts(s, rep=other, manager_id=boss, today=TODAY + timedelta(days=1))
    assert facts.since is None and facts.opportunities == () and facts.manager_checkins == ()


async def test_a_week_without_a_crm_deal_is_zero_only_from_the_first_whole_week_the_crm_reported_every_deal(db):
    ws, boss, _old, rep_id = await team(db)  # the line confirmed on 2 Nov, in Tokyo
    async with db.session() as s:
        await opportunities.record_pulse(s, workspace_id=ws, person_id=rep_id, week_start=date(2026, 11, 9), count=3,
                                         now=NOW)
        await opportunities.set_crm_reports_new_deals(s, workspace_id=ws, on=True, now=at(18))  # a Wednesday
        await opportunities.add_crm_deal(s, workspace_id=ws, person_id=rep_id, deal_key="crm:1",
                                         week_start=date(2026, 11, 23), now=NOW)
    async with db.session() as s:  # said again later: still on since 18 Nov
        await opportunities.set_crm_reports_new_deals(s, workspace_id=ws, on=True, now=at(1, month=12))
    today = date(2026, 12, 10)  # Thursday: the week of 30 Nov is over, that of 7 Dec isn't
    async with db.session() as s:
        rep = await people.get_person(s, workspace_id=ws, person_id=rep_id)
        facts = await rep_facts(s, rep=rep, manager_id=boss, today=today)
        recent = await rep_facts(s, rep=rep, manager_id=boss, today=today, weeks=2)
    assert facts.crm_from == date(2026, 11, 23)
    # 2 and 16 Nov went unanswered while the pulse was asked (16 Nov: the CRM only from its Wednesday): no answer.
    assert {w: (c.count, c.source) for w, c in facts.opportunity_weeks(today).items()} == {
        date(2026, 11, 9): (3, "pulse"), date(2026, 11, 23): (1, "crm"), date(2026, 11, 30): (0, "crm")}
    assert recent.crm_from == date(2026, 11, 30)  # no week before those read is taken for 0
    async with db.session() as s:
        await opportunities.set_crm_reports_new_deals(s, workspace_id=ws, on=False, now=at(9, month=12))
        assert (await rep_facts(s, rep=rep, manager_id=boss, today=today)).crm_from is None
