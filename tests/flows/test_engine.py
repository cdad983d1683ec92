"""The flow engine on a small flow that uses every input kind."""
from __future__ import annotations

import json

import pytest

from flows.engine import Action, Answer, Flow, FlowState, Step, advance, resume, start
from flows.outputs import Cancelled, Done, Feedback, InputKind, Option, Prompt, Refused, Section
from tests.support.clock import FIXED_NOW


def _no_maybe(value, ctx):
    if "maybe" in value.lower():
        yield Feedback("hint", "maybe", "“maybe” is vague — say what you will do.", "maybe")


def _summary(answers, params):
    return (Section("All", tuple(f"{k}={v}" for k, v in answers.items())),)


TOY = Flow(
    name="toy",
    title="Toy flow",
    steps=(
        Step("intro", InputKind.INFO, "Welcome", "This is a demo for {rep}."),
        Step("name", InputKind.SHORT_TEXT, "Name", "Your name?", max_length=10),
        Step("story", InputKind.LONG_TEXT, "Story", "Tell me more.", checks=(_no_maybe,), required=False),
        Step("colour", InputKind.CHOICE, "Colour", "Pick one",
             options=(Option("red", "Red"), Option("blue", "Blue"))),
        Step("extras", InputKind.MULTI_CHOICE, "Extras", "Pick some",
             options=(Option("a", "Apples"), Option("b", "Bananas"), Option("c", "Cherries"))),
        Step("when", InputKind.DATE, "When", "By when?"),
        Step("buddy", InputKind.PERSON, "Buddy", "Who helps?"),
        Step("more", InputKind.YES_NO, "More?", "Anything else?",
             next=lambda a: "detail" if a.get("more") else None, branches=("detail", None)),
        Step("detail", InputKind.SHORT_TEXT, "Detail", "Which?", next=None),
    ),
    summarize=_summary,
)
PARAMS = {"rep": "Alex", "tz": "Europe/London"}


def go(state, value=None, action=Action.SUBMIT, **kw):
    return advance(TOY, state, Answer(value, action, **kw), FIXED_NOW)


def prompt(turn) -> Prompt:
    prompts = [o for o in turn.outputs if isinstance(o, Prompt)]
    assert prompts, turn.outputs
    return prompts[-1]


def walk_to(step_id: str):
    answers = {"intro": "", "name": "Sam", "story": "A story", "colour": "2", "extras": "1,3",
               "when": "in 2 weeks", "buddy": "@alex", "more": "yes"}
    turn = start(TOY, PARAMS, FIXED_NOW)
    while turn.state.step != step_id:
        turn = go(turn.state, answers[turn.state.step])
    return turn


def test_start_shows_first_prompt_with_params_filled_in():
    turn = start(TOY, PARAMS, FIXED_NOW)
    p = prompt(turn)
    assert p.step_id == "intro" and p.kind == InputKind.INFO
    assert p.text == "This is a demo for Alex."
    assert turn.state.version == 1 and not p.can_go_back


def test_every_input_kind_is_normalised_to_its_stored_value():
    turn = walk_to("detail")
    a = turn.state.answers
    assert a["intro"] is None
    assert a["name"] == "Sam"
    assert a["colour"] == "blue"  # chosen by number
    assert a["extras"] == ["a", "c"]
    assert a["when"] == "2026-12-07"  # 2 weeks after Mon 23 Nov 2026
    assert a["buddy"] == "@alex"
    assert a["more"] is True


@pytest.mark.parametrize("step,bad,code", [
    ("name", "", "empty"),
    ("name", "x" * 11, "too_long"),
    ("colour", "green", "bad_choice"),
    ("extras", "apples, kiwis", "bad_choice"),
    ("extras", "", "empty"),
    ("when", "someday soon", "bad_date"),
    ("when", "04/12", "bad_date"),
    ("buddy", "alex and sam", "bad_person"),
    ("more", "perhaps", "bad_yes_no"),
])
def test_blocking_errors_keep_the_step_and_the_state(step, bad, code):
    turn = walk_to(step)
    after = go(turn.state, bad)
    p = prompt(after)
    assert p.step_id == step
    assert [e.code for e in p.errors] == [code]
    assert after.state == turn.state  # nothing changed, no version bump
    assert p.value == bad  # what they typed is shown back, not lost


def test_too_long_error_says_both_lengths():
    turn = walk_to("name")
    msg = prompt(go(turn.state, "x" * 25)).errors[0].message
    assert "25" in msg and "10" in msg


def test_hint_is_shown_once_then_the_same_answer_goes_through():
    turn = walk_to("story")
    held = go(turn.state, "maybe I will call")
    p = prompt(held)
    assert p.step_id == "story" and [h.code for h in p.hints] == ["maybe"]
    assert held.state.draft == "maybe I will call" and held.state.version == turn.state.version + 1
    again = go(held.state, "maybe I will call")
    assert again.state.step == "colour"
    assert again.state.answers["story"] == "maybe I will call"


def test_keep_accepts_the_held_draft_and_a_revision_is_checked_again():
    turn = walk_to("story")
    held = go(turn.state, "maybe later")
    kept = go(held.state, action=Action.KEEP)
    assert kept.state.step == "colour" and kept.state.answers["story"] == "maybe later"
    revised = go(held.state, "I will call on Friday")
    assert revised.state.answers["story"] == "I will call on Friday"


def test_optional_step_accepts_empty():
    turn = walk_to("story")
    assert go(turn.state, "").state.step == "colour"


def test_branching_follows_the_answer_and_drops_an_abandoned_branch():
    turn = walk_to("more")
    done = go(turn.state, "no")
    assert isinstance(done.outputs[0], Done)
    assert "detail" not in done.outputs[0].answers
    yes = go(turn.state, "yes")
    assert yes.state.step == "detail"
    finished = go(yes.state, "one more thing")
    assert finished.outputs[0].answers["detail"] == "one more thing"
    assert finished.state.status == "done"


def test_back_returns_to_the_previous_step_with_its_answer_prefilled():
    turn = walk_to("colour")
    back = go(turn.state, action=Action.BACK)
    p = prompt(back)
    assert p.step_id == "story" and p.value == "A story"
    forward = go(back.state, "A better story")
    assert forward.state.step == "colour" and forward.state.answers["story"] == "A better story"


def test_back_on_first_step_is_refused_politely():
    turn = start(TOY, PARAMS, FIXED_NOW)
    back = go(turn.state, action=Action.BACK)
    assert isinstance(back.outputs[0], Refused)
    assert back.state == turn.state


def test_stale_version_is_refused_and_state_is_untouched():
    turn = walk_to("name")
    old_version = turn.state.version
    moved = go(turn.state, "Sam", version=old_version)
    assert moved.state.step == "story"
    replay = go(moved.state, "Someone else", version=old_version)
    assert isinstance(replay.outputs[0], Refused)
    assert "out of date" in replay.outputs[0].reason
    assert replay.state == moved.state
    assert prompt(replay).step_id == "story"  # shows where you really are


def test_answer_for_a_different_step_is_refused():
    turn = walk_to("colour")
    stale = go(turn.state, "Sam", step="name")
    assert isinstance(stale.outputs[0], Refused) and stale.state == turn.state


def test_cancel_ends_the_flow_and_later_answers_are_refused():
    turn = walk_to("colour")
    cancelled = go(turn.state, action=Action.CANCEL)
    assert isinstance(cancelled.outputs[0], Cancelled)
    assert cancelled.state.status == "cancelled"
    later = go(cancelled.state, "red")
    assert isinstance(later.outputs[0], Refused) and later.state == cancelled.state


def test_state_survives_a_json_round_trip_and_resumes_where_it_was():
    turn = walk_to("story")
    held = go(turn.state, "maybe")
    stored = json.loads(json.dumps(held.state.to_dict()))
    restored = FlowState.from_dict(stored)
    assert restored == held.state
    again = resume(TOY, restored, FIXED_NOW)
    p = prompt(again)
    assert p.step_id == "story" and p.value == "maybe"  # the held draft is not lost
    assert go(restored, "maybe").state.step == "colour"  # hint already seen before the restart


def test_resume_repairs_a_step_that_no_longer_exists():
    turn = walk_to("colour")
    broken = FlowState.from_dict({**turn.state.to_dict(), "step": "removed_in_new_release"})
    fixed = resume(TOY, broken, FIXED_NOW)
    assert fixed.state.step == "colour" and prompt(fixed).step_id == "colour"


def test_finished_flow_cannot_be_resumed():
    done = go(walk_to("more").state, "no")
    assert isinstance(resume(TOY, done.state, FIXED_NOW).outputs[0], Refused)
