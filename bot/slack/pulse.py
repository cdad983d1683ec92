"""The pipeline pulse's "6 or more…" in Slack: a modal with a whole-number field, whose submission goes
through the same button ("pulse") as the 0-5 buttons, so the same checks apply (the presser's own pulse,
digits 0..500).

number_input (docs.slack.dev/reference/block-kit/block-elements/number-input-element): is_decimal_allowed
is required; min_value and max_value are strings, min not above max; it lives in an input block of a
modal. Its value comes back as a string under `value` in view.state.values
(docs.slack.dev/reference/interaction-payloads/view-interactions-payload#view_submission).
"""
from __future__ import annotations

from typing import Any

from bot.core.nudge_actions import AskCount
from bot.slack.mrkdwn import MODAL_TITLE, escape, plain, section

PULSE_COUNT = "pulse_count"
COUNT_BLOCK = "count"
TYPE_A_NUMBER = "Type the number of new opportunities, e.g. 7."


def count_view(ask: AskCount) -> dict:
    """The modal asking for the exact count; its private_metadata names the pulse (checked again on submit)."""
    return {"type": "modal", "callback_id": PULSE_COUNT, "private_metadata": str(ask.nudge_id),
            "title": plain("Pipeline pulse", MODAL_TITLE), "submit": plain("Save", MODAL_TITLE),
            "close": plain("Cancel", MODAL_TITLE),
            "blocks": [section(escape(ask.text)),
                       {"type": "input", "block_id": COUNT_BLOCK, "label": plain(ask.label, 2000),
                        "element": {"type": "number_input", "action_id": "value", "is_decimal_allowed": False,
                                    "min_value": "0", "max_value": str(ask.most), "focus_on_load": True}}]}


def submitted_count(view: Any) -> tuple[str, str] | None:
    """(pulse id, what was typed) from a submission of `count_view`, or None when it isn't one's shape."""
    if not isinstance(view, dict):
        return None
    nudge = view.get("private_metadata")
    field = (((view.get("state") or {}).get("values") or {}).get(COUNT_BLOCK) or {}).get("value")
    if not isinstance(nudge, str) or not (nudge.isascii() and nudge.isdigit()) or len(nudge) > 18:
        return None
    if not isinstance(field, dict) or field.get("type") != "number_input":
        return None
    typed = field.get("value")
    return nudge, (typed.strip() if isinstance(typed, str) else "")
