"""A rep's quick check-in on their plan: how it's going, and an optional note."""
from __future__ import annotations

from typing import Any, Mapping

from flows.model import Flow, Step
from flows.outputs import InputKind, Option, Section

NAME = "checkin"
STATUS = (
    Option("on_track", "On track"),
    Option("need_hand", "Could use a hand"),
    Option("stuck", "Stuck"),
)
LABELS = {o.value: o.label for o in STATUS}
NEEDS_MANAGER = {"need_hand", "stuck"}


def summarize(answers: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[Section, ...]:
    """What the rep said, as they and their manager will read it."""
    lines = [LABELS.get(answers.get("status", ""), "—")]
    if answers.get("note"):
        lines.append(str(answers["note"]))
    return (Section("Check-in", tuple(lines)),)


FLOW = Flow(
    name=NAME,
    title="Check-in",
    steps=(
        Step(
            id="status",
            kind=InputKind.CHOICE,
            title="How's it going?",
            prompt="How is your plan with {manager} going this week?",
            guidance="A quick, honest answer helps most. “Could use a hand” and “Stuck” reach {manager} right away.",
            options=STATUS,
        ),
        Step(
            id="note",
            kind=InputKind.LONG_TEXT,
            title="Anything to add?",
            prompt="Anything to add? (optional)",
            placeholder="e.g. Booked 3 of the 5 calls; the Acme contact is away until Monday.",
            required=False,
            max_length=1000,
            next=None,
        ),
    ),
    summarize=summarize,
    cancel_text="Check-in cancelled; nothing was sent.",
)
