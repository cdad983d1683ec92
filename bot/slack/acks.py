"""What a modal submission is answered with: the next view, or errors Slack shows under the fields."""
from __future__ import annotations

import json
from typing import Any

import orjson

from bot.slack import blocks

def view_ack(**body: Any) -> str:
    """A view_submission acknowledgement as JSON text.

    Bolt passes an acknowledgement that is a single string starting with "{" through as the JSON
    body; serialising the modal here with orjson instead of letting Bolt run json.dumps over it is
    most of the cost of acknowledging a step.
    """
    return orjson.dumps(body).decode()


FIELD_ERROR_MAX = 1000  # a message under a field longer than this is shown above the form instead


def errors_ack(submitted: dict, errors: dict[str, str]) -> str:
    """Messages for the fields of the view Slack handed in: `errors` when each names an input block
    of that view (the only blocks Slack accepts there), else the same view with the messages on top."""
    inputs = {b.get("block_id") for b in submitted.get("blocks") or [] if b.get("type") == "input"}
    if errors and all(key in inputs for key in errors) and all(len(v) <= FIELD_ERROR_MAX for v in errors.values()):
        return view_ack(response_action="errors", errors=errors)
    # Not about an input, or too long to read under a field: shown whole above the same form.
    return view_ack(response_action="update", view=blocks.with_notice(submitted, " ".join(errors.values())))


def step_meta_of(raw: str | None) -> dict | None:
    """The step a modal was showing, from its private_metadata (None when it is not a step's)."""
    try:
        meta = json.loads(raw or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(meta, dict) or not meta.get("sid") or not isinstance(meta["sid"], str):
        return None
    # Written by `blocks.step_meta`; anything else in them (a forged form) is not a step of ours.
    version, step, kind = meta.get("v"), meta.get("step"), meta.get("kind", "")
    if (version is not None and (not isinstance(version, int) or isinstance(version, bool))) \
            or not isinstance(step, (str, type(None))) or not isinstance(kind, str):
        return None
    return meta
