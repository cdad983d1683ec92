"""The pipeline pulse's "6 or more…" in Teams: a card with a whole-number field whose Save sends the same
button ("pulse") as the 0-5 buttons with the number typed, so the same checks apply.

Input.Number (adaptivecards.io/explorer/Input.Number.html, Adaptive Cards 1.0): `id`, `min`, `max`,
`placeholder`; Action.Submit sends the card's inputs merged into its data, keyed by their ids.
"""
from __future__ import annotations

from typing import Any

from bot.core.nudge_actions import AskCount
from bot.teams.adaptive import card, submit, text_block
from bot.teams.markdown import safe

COUNT_INPUT = "count"


def count_card(ask: AskCount) -> dict:
    """The card asking for the exact count (the pulse it answers is checked again when it comes back)."""
    field = {"type": "Input.Number", "id": COUNT_INPUT, "min": 0, "max": ask.most, "placeholder": "e.g. 7"}
    return card([text_block(safe(ask.text)), field],
                [submit("Save", {"coachbot": "nudge", "action": "pulse", "value": str(ask.nudge_id)}, inputs=True)])


def button_value(data: dict[str, Any]) -> str:
    """A nudge button's value; a count card's Save adds the number typed (Teams may send it as text or a number)."""
    value = str(data.get("value", ""))
    if COUNT_INPUT not in data or data.get("action") != "pulse":
        return value
    typed = data[COUNT_INPUT]
    if isinstance(typed, bool) or not isinstance(typed, (str, int, float)):
        typed = ""
    text = str(typed).strip()
    if isinstance(typed, float) and typed.is_integer():
        text = str(int(typed))
    # Too long to be a count: passed on as something that is not one (refused), never cut to a number.
    return f"{value.partition(':')[0]}:{text if len(text) <= 32 else 'too-long'}"
