"""Bounded work: no typed date schedules without limit, and no date arithmetic overflows."""
from __future__ import annotations

import time
from datetime import date, timedelta, timezone

import pytest

from flows import cadence
from flows.cadence import Schedule, place, plan_for_talk
from flows.coaching.plan import parse_plan
from flows.dates import MAX_AHEAD_DAYS, find_date, parse_date
from flows.engine import Action, Answer, advance, start
from flows.outputs import Prompt
from flows.retro import parse_at_risk
from flows.model import Context
from flows.talk import FLOW
from tests.support.clock import FIXED_NOW
from tests.support.evidence import attempted

PARAMS = {"rep": "Alex", "manager": "Sam", "tz": "Europe/London"}
MON = date(2026, 11, 23)


def _step(state, value):
    return advance(FLOW, state, Answer(value, Action.SUBMIT), FIXED_NOW)


def _prompt(turn) -> Prompt:
    return [o for o in turn.outputs if isinstance(o, Prompt)][-1]


def _at_review():
    t = start(FLOW, PARAMS, FIXED_NOW)
    for value in ("no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.",
                  "", "The territory moved.", "Campaign; shadowing", "Alex: book 5 calls by Friday\nme: join a call in 3 weeks"):
        t = _step(t.state, value)
    assert t.state.step == "review"
    return t


@pytest.mark.parametrize("typed", ["9999-12-31", "2027-06-01", "in 999 weeks", "in 120 months", "Dec 4, 2099"])
def test_a_review_beyond_26_weeks_is_an_error_that_names_the_limit(typed):
    t = _at_review()
    p = _prompt(_step(t.state, typed))
    attempted("review date beyond the limit", p.step_id == "review" and bool(p.errors))
    assert p.step_id == "review" and [e.code for e in p.errors] == ["review_too_far"]
    assert "26 weeks" in p.errors[0].message and "2027" in p.errors[0].message  # the last date allowed


def test_a_review_26_weeks_out_is_still_allowed():
    t = _at_review()
    p = _prompt(_step(t.state, (MON + timedelta(days=MAX_AHEAD_DAYS)).isoformat()))
    assert not p.errors  # only the coaching hint that a review this far off lets momentum fade


@pytest.mark.parametrize("line", ["Alex: book 5 calls by 9999-12-31", "me: join a call in 999 weeks"])
def test_plan_items_and_at_risk_deals_due_beyond_the_limit_are_refused(line):
    _, errors = parse_plan(line, MON, "Alex", "Sam")
    attempted("action item due beyond the limit", [e.code for e in errors] == ["due_too_far"])
    assert [e.code for e in errors] == ["due_too_far"] and "26 weeks" in errors[0].message
    _, errors = parse_at_risk("Acme renewal " + line.split(" ", 1)[1], Context(FIXED_NOW, timezone.utc, {}, {}))
    assert [e.code for e in errors] == ["due_too_far"]


@pytest.mark.parametrize("text", ["10000-01-01", "9999-12-32", "0000-01-01", "31 Feb 9999", "in 999 months"])
def test_dates_at_the_edge_of_the_calendar_do_not_overflow(text):
    near_end = date(9999, 12, 30)
    for today in (near_end, date(1, 1, 2)):
        parse_date(text, today)  # a date or None, never an exception
        find_date(f"call them {text}", today)
    assert parse_date("in 3 days", near_end) is None  # past 9999-12-31: unreadable, not a crash
    assert parse_date("tomorrow", date(9999, 12, 31)) is None


def test_the_nudges_of_one_plan_are_capped_whatever_the_review_date():
    sched = Schedule("America/Los_Angeles")
    items = [{"id": i, "owner": "rep", "due": (MON + timedelta(days=10 + i)).isoformat()} for i in range(12)]
    began = time.perf_counter()
    specs = plan_for_talk(talk_id=1, started=MON, review=date(9999, 12, 30), items=items, schedule=sched)
    took = time.perf_counter() - began
    attempted("review years away schedules unbounded nudges", len(specs) <= cadence.MAX_NUDGES_PER_PLAN)
    assert len(specs) <= cadence.MAX_NUDGES_PER_PLAN and took < 0.5
    kinds = {s.kind for s in specs}
    assert {"checkin_rep", "action_due", "review_pack"} <= kinds  # the cap trims check-ins, not the review
    assert len({s.key for s in specs}) == len(specs)


def test_a_plan_at_the_26_week_limit_fits_under_the_cap_untrimmed():
    sched = Schedule("Europe/London")
    review = MON + timedelta(days=MAX_AHEAD_DAYS)
    items = [{"id": i, "owner": "rep", "due": (MON + timedelta(days=10 + i)).isoformat()} for i in range(12)]
    specs = plan_for_talk(talk_id=1, started=MON, review=review, items=items, schedule=sched)
    checkins = sorted({s.day for s in specs if s.kind == "checkin_rep"})
    assert len(specs) <= cadence.MAX_NUDGES_PER_PLAN
    assert review - checkins[-1] <= timedelta(days=7)  # weekly check-ins run right up to the review


def test_huge_configured_checkin_days_are_ignored_not_looped_over():
    specs = plan_for_talk(talk_id=1, started=MON, review=MON + timedelta(days=30), items=[],
                          schedule=Schedule(), checkin_days=(1, 3, 10**9))
    assert len(specs) <= cadence.MAX_NUDGES_PER_PLAN


def test_placing_a_nudge_past_the_end_of_the_calendar_is_a_clear_error():
    with pytest.raises(ValueError, match="end of the calendar"):
        place(date(9999, 12, 31), Schedule("America/Los_Angeles"), "k", "afternoon")


def test_a_draft_whose_stored_zone_is_not_a_zone_still_advances():
    t = start(FLOW, {**PARAMS, "tz": "Mars/Olympus"}, FIXED_NOW)
    assert _step(t.state, "no").state.step == "observed"
