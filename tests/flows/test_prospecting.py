"""Prospecting focus (issue 17.4), pure: when the options step suggests prospecting and opportunity
coaching, how a plan's weekly target is read, and the weekly series drawn against it."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from flows import prospecting
from flows.engine import Action, Answer, advance, start
from flows.outputs import Prompt
from flows.talk import FLOW, summarize

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)


def go(state, value):
    """Submit `value`; where coaching hints hold it back, keep it as it is (hints never block)."""
    turn = advance(FLOW, state, Answer(value), NOW)
    if turn.state.draft is not None:
        turn = advance(FLOW, turn.state, Answer(None, Action.KEEP), NOW)
    return turn


def opp(prepared=(), raised=(), weeks=(), target=None):
    return {"rep": "Alex", "opportunities": prospecting.facts_param(prepared, raised, weeks, target)}


@pytest.mark.parametrize("params, on", [
    (opp(prepared=["opportunities_falling"]), True),
    (opp(raised=["opportunities_below_target"]), True),
    (opp(prepared=["stuck"], raised=["overdue_actions"]), False),
    (opp(weeks=[4, 2, 1]), True),  # falling week on week
    (opp(weeks=[4, None, 2, 1]), True),  # a week with no answer is skipped, not read as 0
    (opp(weeks=[1, 2, 1, 3]), False),
    (opp(weeks=[6, 2, 3], target=5), True),  # the last two answered weeks below the target
    (opp(weeks=[6, 2, 5], target=5), False),
    ({"rep": "Alex"}, False),  # no brief (e.g. a manager the rep hasn't confirmed)
])
def test_the_focus_comes_from_an_opportunities_flag_or_the_weeks(params, on):
    assert prospecting.focus(params) is on
    notes = prospecting.options_notes(params)
    assert bool(notes) is on and bool(prospecting.plan_notes(params)) is on
    if on:
        text = " ".join(line for n in notes for line in n.lines)
        assert "prospecting time" in text and "target list" in text and "referrals" in text
        assert "deal review per open opportunity" in text and "Alex's next important calls" in text


@pytest.mark.parametrize("line, value, code", [
    ("target: 5 new opportunities a week", 5, None),
    ("Weekly target - 12", 12, None),
    ("TARGET: 100 a week", 100, None),
    ("target: 0 a week", None, "target_range"),
    ("target: 101 a week", None, "target_range"),
    ("target: five a week", None, "target_missing"),
    ("target: ٥ a week", None, "target_digits"),  # Arabic-Indic five: the digits 0-9 only
    ("target: 2.5 a week", None, "target_whole"),
    ("target: 5 to 7 a week", None, "target_many"),
])
def test_a_target_line_is_bounded_and_in_ascii_digits(line, value, code):
    assert prospecting.is_target_line(line)
    got, problems = prospecting.parse_target(line)
    assert got == value
    assert [p.code for p in problems] == ([code] if code else [])
    assert all(p.severity == "error" and "target" in p.message for p in problems)


def test_an_ordinary_plan_line_is_not_a_target():
    assert not prospecting.is_target_line("Alex: book 5 discovery calls by Friday")
    assert not prospecting.is_target_line("me: agree the targets with Alex by Friday")


def _to_plan(params):
    turn = start(FLOW, {**params, "manager": "Sam", "tz": "UTC"}, NOW)
    for value in ("no", "In October you booked 2 demos; the team target is 8.",
                  "I haven't joined one of your calls since September, and I want to change that.", None,
                  "My leads moved to the new team.", "Block prospecting time\nDeal reviews with me"):
        turn = go(turn.state, value)
    return FLOW, turn


def test_the_plan_step_takes_a_target_line_and_the_summary_shows_it():
    f, turn = _to_plan(opp(prepared=["opportunities_falling"]))
    prompt = [o for o in turn.outputs if isinstance(o, Prompt)][-1]
    assert prompt.step_id == "plan" and prompt.notes[0].heading == "A weekly target"
    turn = advance(f, turn.state, Answer("Alex: block two prospecting slots by Friday\n"
                                         "me: deal review of each open opportunity by Friday\n"
                                         "target: 5 new opportunities a week"), NOW)
    plan = turn.state.answers["plan"]
    assert prospecting.target_of(plan) == 5 and len(plan) == 3
    assert turn.state.step == "review" and turn.state.draft is None  # no "no date" hint held the target back
    lines = dict((s.heading, s.lines) for s in summarize(turn.state.answers, turn.state.params))["5. Action plan"]
    assert lines[-1] == "Weekly target: 5 new opportunities a week"
    assert not any(line.startswith("Alex: 5 new") for line in lines)


def test_a_bad_target_keeps_the_plan_step_with_a_clear_message():
    f, turn = _to_plan(opp())
    bad = advance(f, turn.state, Answer("Alex: call 10 old accounts by Friday\ntarget: 500 a week"), NOW)
    assert bad.state.step == "plan" and "plan" not in bad.state.answers
    assert "1 to 100 new opportunities a week" in repr(bad.outputs)
    two = advance(f, turn.state, Answer("target: 3\ntarget: 4"), NOW)
    assert two.state.step == "plan" and "two target lines" in repr(two.outputs)


def test_the_series_writes_the_numbers_and_a_dash_for_a_week_with_no_answer():
    weeks = prospecting.weeks_since([(date(2026, 11, 2), 4, "pulse"), (date(2026, 11, 16), 6, "pulse"),
                                     (date(2026, 11, 16), 5, "crm")], date(2026, 11, 4), date(2026, 11, 18))
    assert [w.count for w in weeks] == [4, None, 6]  # the larger of the pulse answer and a partial CRM count
    lines = prospecting.series_lines(weeks, 5)
    assert lines[0] == "New opportunities a week against the target of 5:"
    assert lines[1] == "wk 2 Nov  ████████░░ 4/5"
    assert lines[2] == "wk 9 Nov  ·········· —/5 (no answer)"
    assert lines[3] == "wk 16 Nov  ██████████ 6/5 ✓"
    assert lines[4] == "Target met in 1 of 2 answered weeks."

