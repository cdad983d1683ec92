"""What a turn shows is decided once (`screen_of`), and every transport can render every output the
service returns — none falls back to printing a Python object."""
from __future__ import annotations

from datetime import date

import pytest

from bot.console.render import render
from bot.core.screen import NOTHING, screen_of
from bot.core.views import LossPrompt, Plans, SettingsView, Team
from bot.slack import blocks
from flows.outputs import Cancelled, Done, Feedback, InputKind, Notify, Prompt, Refused, Say, Section


def prompt(step="situation", errors=()):
    return Prompt("talk", "Difficult conversation", "s1", 3, step, InputKind.LONG_TEXT, "Title", "What happened?",
                  errors=tuple(Feedback("error", "empty", m) for m in errors))


def test_an_error_on_the_answered_step_stays_on_that_step():
    screen = screen_of([prompt(errors=["Say what happened."])], answered_step="situation")
    assert screen.errors == "Say what happened." and screen.prompt is not None


def test_errors_shown_on_another_step_or_after_a_refusal_are_a_new_screen_not_field_errors():
    assert screen_of([prompt(errors=["x"])], answered_step="impact").errors is None
    screen = screen_of([Refused("This step was answered elsewhere."), prompt(errors=["x"])], answered_step="situation")
    assert screen.errors is None and screen.note == "This step was answered elsewhere."


def test_words_before_a_step_introduce_it_and_are_not_sent_twice():
    screen = screen_of([Say("Picking up your draft."), prompt()])
    assert screen.note == "Picking up your draft." and screen.messages == ()


def test_a_finished_flow_shows_its_summary_and_sends_the_rest_where_it_belongs():
    done = Done("talk", "Plan agreed", (Section("Plan", ("call 5 leads",)),))
    note = Notify(2, "Alex", Say("Sam shared a plan with you."), "U2")
    loss = LossPrompt(1, "Acme", None, "Alex", "U2", "C1")
    screen = screen_of([done, note, loss, Say("Saved.")])
    assert screen.done is done and screen.messages == (done, Say("Saved."))
    assert screen.notices == (note,) and screen.posts == (loss,)


def test_nothing_to_show_says_why():
    assert screen_of([Refused("That draft was discarded.")]).nothing == "That draft was discarded."
    assert screen_of([]).nothing == NOTHING
    assert screen_of([Cancelled("talk", "Draft deleted.")]).discarded == "Draft deleted."


EVERY_OUTPUT = [
    Say("hello"), Refused("no"), Cancelled("talk", "gone"), Done("talk", "T", (Section("H", ("x",)),)),
    Plans(1, (), date(2026, 11, 23)), Team("Sam", ("Alex",)), Team("Sam", ()),
    SettingsView("UTC", "UTC", None, "09:00", "17:30", ("mon",), None),
    LossPrompt(1, "Acme", 1200.0, "Alex", "U2", "C1"),
]


@pytest.mark.parametrize("output", EVERY_OUTPUT, ids=lambda o: type(o).__name__)
def test_slack_and_the_console_render_every_output(output):
    assert blocks.messages(output)[0]["blocks"]
    assert render(output) and not any("(" + type(output).__name__ in text for text, _ in render(output))


@pytest.mark.parametrize("render_it", [blocks.messages, render], ids=["slack", "console"])
def test_an_output_nobody_renders_is_an_error_not_a_printed_object(render_it):
    with pytest.raises(TypeError):
        render_it(object())
