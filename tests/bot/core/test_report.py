"""Team loss reports on a seeded data set, checked against numbers computed independently here."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.core.commands import parse
from bot.core.identity import Actor, NewPerson, person_for
from bot.core.service import CoachService
from bot.core.views import ReportView
from flows import report as rp
from storage import people
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import Retrospective
from tests.support.clock import FixedClock
from tests.support.evidence import attempted

NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
TODAY = NOW.date()
REASONS = ["price", "product_fit", "sales_approach", "timing", "no_decision", "competitor", "budget"]


@pytest.fixture
async def seeded(db_url):
    """A manager with 6 reps, 120 retrospectives over 60 days (some unfinished), and a second team."""
    migrate(db_url)
    db = Database(db_url)
    rng = random.Random(7)
    rows = []
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="slack", external_id="T1")
        boss = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="UBOSS", name="Bo Boss")
        reps = []
        for i in range(6):
            rep = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=f"UREP{i}", name=f"Rep {i}")
            await people.set_manager(s, rep=rep, manager=boss)
            reps.append(rep)
        other = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="UOTHER", name="Oz Other")
        outsider = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="UOUT", name="Out Sider")
        await people.set_manager(s, rep=outsider, manager=other)
        for n in range(120):
            rep = rng.choice(reps)
            reason = "price" if rep is reps[0] and rng.random() < 0.8 else rng.choice(REASONS)
            lost_on = TODAY - timedelta(days=rng.randrange(0, 60))
            status = "done" if rng.random() < 0.85 else "pending"
            rows.append((rep.id, reason, lost_on, status))
            s.add(Retrospective(workspace_id=ws.id, deal_key=f"d{n}", deal_name=f"Deal {n}", rep_id=rep.id,
                                manager_id=boss.id, lost_on=lost_on, status=status,
                                primary_reason=reason if status == "done" else None, created_at=NOW))
        s.add(Retrospective(workspace_id=ws.id, deal_key="x", deal_name="Other team's", rep_id=outsider.id,
                            manager_id=other.id, lost_on=TODAY, status="done", primary_reason="budget", created_at=NOW))
        names = {r.id: r.name for r in reps}
    yield db, rows, names
    await db.close()


def expected(rows, start, end):
    done = [(rep, reason) for rep, reason, lost_on, status in rows if start <= lost_on < end and status == "done"]
    return Counter(reason for _, reason in done), len(done), done


async def test_team_report_numbers_match_an_independent_count(seeded):
    db, rows, names = seeded
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(NOW))
    (view,) = await service.command(Actor("slack", "T1", "UBOSS"), parse("report 30d"))
    assert isinstance(view, ReportView)
    r = view.report
    start, end = TODAY - timedelta(days=29), TODAY + timedelta(days=1)
    now_counts, total, done = expected(rows, start, end)
    before_counts, before_total, _ = expected(rows, start - timedelta(days=30), start)
    assert (r.period.start, r.period.end) == (start, end)
    assert r.total == total and r.previous_total == before_total
    assert {line.reason: line.count for line in r.reasons} == dict(now_counts)
    for line in r.reasons:
        assert line.share == pytest.approx(now_counts[line.reason] / total)
        assert line.previous_count == before_counts.get(line.reason, 0)
        assert line.trend_points == round((now_counts[line.reason] / total
                                           - before_counts.get(line.reason, 0) / before_total) * 100, 1)
    assert [line.count for line in r.reasons] == sorted((line.count for line in r.reasons), reverse=True)
    missing = Counter(rep for rep, _, lost_on, status in rows if start <= lost_on < end and status != "done")
    assert dict(r.missing) == {names[rep]: n for rep, n in missing.items()}
    per_rep = Counter(rep for rep, _ in done)
    rep0 = min(names)  # the rep seeded to lose mostly on price
    price0 = sum(1 for rep, reason in done if rep == rep0 and reason == "price")
    assert any(p.rep_name == names[rep0] and p.reason == "price" and p.count == price0 and p.total == per_rep[rep0]
               for p in r.patterns)
    assert all(p.count / p.total >= 0.5 and p.total >= 3 for p in r.patterns)
    text = "\n".join(rp.lines(r))
    assert "Patterns worth a coaching conversation" in text and "Other team" not in text


async def test_a_rep_sees_only_aggregates_and_small_teams_are_not_broken_down(seeded):
    db, rows, names = seeded
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(NOW))
    (view,) = await service.command(Actor("slack", "T1", "UREP3"), parse("report 90d"))
    r = view.report
    assert r.scope == "aggregate" and r.reps_counted == 6 and not r.suppressed
    assert r.patterns == () and r.missing == ()  # nothing that singles a person out
    assert r.total == expected(rows, TODAY - timedelta(days=89), TODAY + timedelta(days=1))[1]
    (small,) = await service.command(Actor("slack", "T1", "UOUT"), parse("report"))
    assert small.report.suppressed and small.report.reasons == ()
    head, *rest = rp.lines(small.report)
    text = "\n".join(rest)
    assert "Too few people" in text and "lost deal" not in head
    assert not any(ch.isdigit() for ch in text.replace(f"{rp.MIN_GROUP} reps", ""))  # no count of anything
    assert (small.report.total, small.report.previous_total, small.report.reps_counted) == (0, 0, 0)
    attempted("reading a small group's loss total or head count in a report", "lost deal" not in head)


@pytest.fixture
async def thin_past(db_url):
    """Five reps lost deals this month; in the month before only one of them did (twice)."""
    migrate(db_url)
    db = Database(db_url)
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform="slack", external_id="T1")
        boss = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id="UBOSS", name="Bo Boss")
        reps = []
        for i in range(5):
            rep = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=f"UREP{i}", name=f"Rep {i}")
            await people.set_manager(s, rep=rep, manager=boss)
            reps.append(rep)
        rows = [(rep, "price", TODAY - timedelta(days=3)) for rep in reps]
        rows += [(reps[2], "sales_approach", TODAY - timedelta(days=40 + n)) for n in range(2)]
        for n, (rep, reason, lost_on) in enumerate(rows):
            s.add(Retrospective(workspace_id=ws.id, deal_key=f"t{n}", deal_name=f"Deal {n}", rep_id=rep.id,
                                manager_id=boss.id, lost_on=lost_on, status="done", primary_reason=reason,
                                created_at=NOW))
    yield db
    await db.close()


async def test_a_trend_from_too_few_reps_shows_no_earlier_numbers_to_a_rep(thin_past):
    service = CoachService(thin_past, NotesCipher(NotesCipher.generate_key()), FixedClock(NOW))
    (view,) = await service.command(Actor("slack", "T1", "UREP0"), parse("report 30d"))
    r = view.report
    assert r.scope == "aggregate" and not r.suppressed and r.total == 5  # five reps now: shown
    assert r.earlier_suppressed and r.previous_total == 0
    assert all(line.previous_count == 0 and line.previous_share == 0 for line in r.reasons)
    text = "\n".join(rp.lines(r))
    assert "No trend: too few people" in text and "was " not in text and "sales approach" not in text.lower()
    attempted("reading one rep's losses through a report's trend column", "was " not in text)
    # Their own manager sees the whole picture, earlier period included.
    (own,) = await service.command(Actor("slack", "T1", "UBOSS"), parse("report 30d"))
    assert own.report.previous_total == 2 and not own.report.earlier_suppressed
    assert "was 0 of 2" in "\n".join(rp.lines(own.report))


async def test_no_team_and_bad_period(seeded):
    db, _, _ = seeded
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(NOW))
    (alone,) = await service.command(Actor("slack", "T1", "UNEW"), parse("report"))
    assert "no team to report on yet" in alone.text
    (bad,) = await service.command(Actor("slack", "T1", "UBOSS"), parse("report 1y"))
    assert "isn't a period I know" in bad.text
    async with db.session() as s:
        assert (await person_for(s, Actor("slack", "T1", "UBOSS"), NewPerson())).name == "Bo Boss"


def test_periods():
    q = rp.period("quarter", date(2026, 2, 10))
    assert (q.start, q.end, q.previous_start, q.previous_end) == (date(2026, 1, 1), date(2026, 2, 11),
                                                                   date(2025, 10, 1), date(2026, 1, 1))
    d = rp.period("90d", date(2026, 11, 23))
    assert (d.end - d.start).days == 90 and d.previous_end == d.start
    assert rp.period("week", date(2026, 11, 23)) is None
