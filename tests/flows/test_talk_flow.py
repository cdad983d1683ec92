"""The difficult conversation, driven through the pure engine as a manager would go through it."""
from __future__ import annotations

from datetime import date

import pytest

from flows.coaching.plan import check_plan, parse_plan
from flows.engine import Action, Answer, advance, start
from flows.outputs import Done, Prompt
from flows.talk import FLOW
from tests.support.clock import FIXED_NOW

PARAMS = {"rep": "Alex", "manager": "Sam", "tz": "Europe/London"}
MON = date(2026, 11, 23)


def step(state, value=None, action=Action.SUBMIT):
    return advance(FLOW, state, Answer(value, action), FIXED_NOW)


def last_prompt(turn) -> Prompt:
    return [o for o in turn.outputs if isinstance(o, Prompt)][-1]


def test_six_steps_in_order_with_guidance():
    stages = [s.stage for s in FLOW.steps if s.stage]
    assert sorted(set(stages)) == [f"Step {i} of 6" for i in range(1, 7)]
    for s in FLOW.steps:
        if s.stage:
            assert s.prompt and (s.guidance or s.placeholder)


def test_whole_conversation_to_a_summary():
    t = start(FLOW, PARAMS, FIXED_NOW)
    t = step(t.state, "yes")
    assert t.state.step == "last_time"
    t = step(t.state, "14 Oct: 10 new contacts a week")
    t = step(t.state, "In October you booked 2 demos; the team target is 8.")
    t = step(t.state, "I haven't joined one of your calls since September.")
    assert last_prompt(t).text.startswith("Hand the conversation to Alex")
    t = step(t.state, "")
    t = step(t.state, "My old leads moved to the new team in September.")
    t = step(t.state, "Prospecting campaign to old accounts\nShadow Sam's discovery calls")
    t = step(t.state, "Alex: book 5 discovery calls by Friday\nme: join two of Alex's calls in 2 weeks")
    review = last_prompt(t)
    assert review.step_id == "review" and review.suggestion == "2026-12-07"  # two weeks out, a Monday
    t = step(t.state, review.suggestion)
    t = step(t.state, "yes")
    done = t.outputs[0]
    assert isinstance(done, Done) and t.state.status == "done"
    text = "\n".join(f"{s.heading}: {' | '.join(s.lines)}" for s in done.sections)
    assert "Raised before: 14 Oct: 10 new contacts a week" in text
    assert "1. What you saw: In October you booked 2 demos" in text
    assert "Alex: book 5 discovery calls by Friday — due Fri 27 Nov 2026" in text
    assert "Sam: join two of Alex's calls in 2 weeks — due Mon 7 Dec 2026" in text
    assert "6. Review: Mon 7 Dec 2026" in text
    assert done.answers["plan"][1]["owner"] == "manager"


def test_step_one_hint_quotes_the_phrase_and_can_be_overruled():
    t = start(FLOW, PARAMS, FIXED_NOW)
    t = step(t.state, "no")
    t = step(t.state, "Alex never follows up after demos and is lazy.")
    hints = last_prompt(t).hints
    assert {h.code for h in hints} == {"absolute", "label", "no_specifics"}
    assert any("“never follows up after”" in h.message for h in hints)
    kept = step(t.state, action=Action.KEEP)
    assert kept.state.step == "own_part"


def test_plan_without_manager_item_or_date_gets_specific_hints():
    t = start(FLOW, PARAMS, FIXED_NOW)
    for value in ("no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.",
                  "", "The territory moved.", "Campaign; shadowing"):
        t = step(t.state, value)
    t = step(t.state, "book 5 discovery calls by Friday\nupdate the CRM")
    p = last_prompt(t)
    assert p.step_id == "plan"
    messages = [h.message for h in p.hints]
    assert any("“update the CRM” has no date" in m for m in messages)
    assert any("Every item here is for Alex" in m and "me:" in m for m in messages)


def test_a_past_due_date_blocks_the_plan():
    items, errors = parse_plan("Alex: send the proposal by 2026-11-02", MON, "Alex")
    assert [e.code for e in errors] == ["past_due"]
    assert "Mon 2 Nov 2026" in errors[0].message


@pytest.mark.parametrize("line,owner,text", [
    ("me: join two calls", "manager", "join two calls"),
    ("Manager - review the territory split", "manager", "review the territory split"),
    ("I'll sit in on Tuesday's call", "manager", "I'll sit in on Tuesday's call"),
    ("We will agree weekly targets", "manager", "We will agree weekly targets"),
    ("Alex: book 5 calls", "rep", "book 5 calls"),
    ("@alex: book 5 calls", "rep", "book 5 calls"),
    ("you: update the CRM", "rep", "update the CRM"),
    ("book 5 calls", "rep", "book 5 calls"),
    ("Note: check the CRM", "rep", "Note: check the CRM"),
])
def test_plan_owner_detection(line, owner, text):
    items, errors = parse_plan(line, MON, "Alex", "Sam")
    assert not errors
    assert (items[0]["owner"], items[0]["text"]) == (owner, text)


def test_plan_limits_and_vague_items():
    items, errors = parse_plan("\n".join(f"item {i} by Friday" for i in range(13)), MON, "Alex")
    assert [e.code for e in errors] == ["too_many"]
    items, _ = parse_plan("Alex: try to do more calls by Friday\nme: coach on calls by Friday", MON, "Alex")
    assert [h.code for h in check_plan(items, "Alex")] == ["vague"]
    items, _ = parse_plan("Alex: make 40 more calls by Friday\nme: coach on calls by Friday", MON, "Alex")
    assert check_plan(items, "Alex") == []


def _to_review(plan="Alex: book 5 calls by Friday\nme: join a call in 3 weeks"):
    t = start(FLOW, PARAMS, FIXED_NOW)
    for value in ("no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.",
                  "", "The territory moved.", "Campaign; shadowing", plan):
        t = step(t.state, value)
    assert t.state.step == "review", last_prompt(t)
    return t


@pytest.mark.parametrize("value", ["today", "2026-11-20", "yesterday"])
def test_review_date_must_be_in_the_future(value):
    t = _to_review()
    after = step(t.state, value)
    p = last_prompt(after)
    assert p.step_id == "review" and p.errors, p
    if value != "yesterday":
        assert p.errors[0].code == "not_future"


def test_review_is_required():
    t = _to_review()
    p = last_prompt(step(t.state, ""))
    assert p.errors[0].code == "empty"


def test_review_before_an_item_is_due_gets_a_hint():
    t = _to_review()
    p = last_prompt(step(t.state, "in 2 weeks"))
    assert [h.code for h in p.hints] == ["review_before_due"]
    assert "“join a call in 3 weeks”" in p.hints[0].message


def test_back_and_cancel_inside_the_talk():
    t = _to_review()
    back = step(t.state, action=Action.BACK)
    assert last_prompt(back).step_id == "plan"
    assert "book 5 calls" in last_prompt(back).value
    cancelled = step(back.state, action=Action.CANCEL)
    assert cancelled.state.status == "cancelled"
