"""The registry check: every flow's steps are unique, reachable and well-formed — and it catches breakage."""
from __future__ import annotations

from flows.engine import Flow, Step
from flows.outputs import InputKind, Option
from flows.registry import FLOWS, check_all, problems


def _flow(*steps, title="Broken"):
    return Flow(name="broken", title=title, steps=steps, summarize=lambda a, p: ())


def test_every_registered_flow_is_well_formed():
    assert FLOWS, "no flows registered"
    assert check_all() == {name: [] for name in FLOWS}


def test_duplicate_step_ids_are_reported():
    found = problems(_flow(Step("a", InputKind.SHORT_TEXT, "A", "a?"), Step("a", InputKind.SHORT_TEXT, "A", "a?")))
    assert any("used more than once" in p for p in found)


def test_unknown_target_and_unreachable_step_are_reported():
    assert any("unknown step 'zzz'" in p for p in problems(_flow(Step("a", InputKind.SHORT_TEXT, "A", "a?", next="zzz"))))
    found = problems(_flow(Step("a", InputKind.SHORT_TEXT, "A", "a?", next=None), Step("b", InputKind.SHORT_TEXT, "B", "b?")))
    assert found == ["broken.b: cannot be reached from the first step"]


def test_a_loop_with_no_way_out_is_reported():
    found = problems(_flow(Step("a", InputKind.SHORT_TEXT, "A", "a?", next="b"),
                           Step("b", InputKind.SHORT_TEXT, "B", "b?", next="a")))
    assert any("no path from here reaches the end" in p for p in found)


def test_malformed_steps_are_reported():
    found = problems(_flow(
        Step("a", InputKind.CHOICE, "A", "a?", options=(Option("x", "X"),)),
        Step("b", InputKind.INFO, "B", "b?", checks=(lambda v, c: [],)),
        Step("c", InputKind.SHORT_TEXT, "A title that is far too long for Slack", "c?"),
        Step("d", InputKind.YES_NO, "D", "d?", next=lambda a: None),
        title="A flow title that is much too long",
    ))
    text = "\n".join(found)
    assert "title must be 1-24 characters" in text
    assert "at least two options" in text
    assert "info step takes no input" in text
    assert "title longer than 24" in text
    assert "must declare its possible targets" in text
