"""What a modal submission must carry before a listener reads it: every field of the form, each of the
kind its element sends. Only Slack sends view_submission payloads, but anyone holding a signed request
can craft one, so a field that is missing or of the wrong type is answered with a message under the
field (or a notice) instead of a crash.

The shape checked is Slack's: `view.state.values[block_id][action_id]` is an object with the
element's `type` and its value under a key that depends on the element (plain_text_input: `value`;
timepicker: `selected_time`, "HH:mm"; datepicker: `selected_date`, "YYYY-MM-DD"; users_select:
`selected_user`; radio_buttons/static_select: `selected_option`; checkboxes/multi_static_select:
`selected_options`, a list of options with a `value` each) — see
https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload#view_submission and
each element's page under https://docs.slack.dev/reference/block-kit/block-elements/. The errors are
`response_action: "errors"` keyed by the block_id of an input block of the view
(https://docs.slack.dev/surfaces/modals#displaying_errors); a block the view doesn't have can't hold one.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, NamedTuple

from bot.slack import blocks, pulse
from bot.slack.acks import errors_ack, view_ack

_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_USER = re.compile(r"[A-Z0-9]{2,64}")


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _option(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("value"), str)


def _options(value: Any) -> bool:
    return isinstance(value, list) and all(_option(o) for o in value)


# Each element's value key, and what a value (when not null: an optional field left empty) must be.
ELEMENTS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "plain_text_input": ("value", _text),
    "timepicker": ("selected_time", lambda v: isinstance(v, str) and bool(_TIME.fullmatch(v))),
    "datepicker": ("selected_date", lambda v: isinstance(v, str) and bool(_DATE.fullmatch(v))),
    "users_select": ("selected_user", lambda v: isinstance(v, str) and bool(_USER.fullmatch(v))),
    "radio_buttons": ("selected_option", _option),
    "static_select": ("selected_option", _option),
    "checkboxes": ("selected_options", _options),
    "multi_static_select": ("selected_options", _options),
    # number_input's value is the typed number as a string (docs.slack.dev/reference/interaction-payloads/
    # view-interactions-payload#view_submission); its range is checked where the count is read.
    "number_input": ("value", _text),
}


class Field(NamedTuple):
    """An input block of a form: the element types it may hold (under the action id "value"), and
    whether it may be left empty (its value null)."""
    kinds: tuple[str, ...]
    optional: bool = False


# The input blocks of each modal with a fixed form (bot/slack/blocks/forms.py), by block_id.
# A flow step's one input depends on its step (`step_fields`).
FORMS: dict[str, dict[str, Field]] = {
    blocks.SETTINGS: {"tz": Field(("plain_text_input",), optional=True), "work_start": Field(("timepicker",)),
                      "work_end": Field(("timepicker",)), "work_days": Field(("checkboxes",))},
    blocks.PICK_REP: {"rep": Field(("users_select",))},
    blocks.LOST_DEAL: {"deal": Field(("plain_text_input",)), "amount": Field(("plain_text_input",), optional=True),
                       "rep": Field(("users_select",))},
    pulse.PULSE_COUNT: {pulse.COUNT_BLOCK: Field(("number_input",))},
}

# A step's input kind (`flows.outputs.InputKind`, in the step's private_metadata) -> the elements it may be.
STEP_ELEMENTS = {"short_text": ("plain_text_input",), "long_text": ("plain_text_input",),
                 "choice": ("radio_buttons", "static_select"), "yes_no": ("radio_buttons", "static_select"),
                 "multi_choice": ("checkboxes", "multi_static_select"), "date": ("datepicker",),
                 "person": ("users_select",)}

EMPTY = "Please fill this in."
MISSING = "This field didn't come through with the form, so nothing was saved. Please fill it in again."
WRONG = "This field came through in a form I can't read, so nothing was saved. Please fill it in again."
INCOMPLETE = ("This form came back without some of its fields, so nothing was saved. Please close it and "
              "open it again from coachbot.")


def field_errors(values: Any, fields: dict[str, Field]) -> dict[str, str] | None:
    """What is wrong with each field of a submission's `state.values`, by block_id, or None when the
    values are not even an object."""
    if not isinstance(values, dict):
        return None
    errors: dict[str, str] = {}
    for block_id, field in fields.items():
        entry = values.get(block_id)
        if entry is None:
            errors[block_id] = MISSING
            continue
        element = entry.get(blocks.ANSWER_ACTION) if isinstance(entry, dict) else None
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in field.kinds or kind not in ELEMENTS:
            errors[block_id] = WRONG
            continue
        key, valid = ELEMENTS[kind]
        if element.get(key) is None:
            if not field.optional:
                errors[block_id] = EMPTY  # Slack refuses to submit a required field left empty; a forged form can
        elif not valid(element[key]):
            errors[block_id] = WRONG
    return errors


def form_problem(view: Any, fields: dict[str, Field]) -> str | None:
    """The acknowledgement for a submission whose fields are missing or malformed, or None when it is
    fine to read. Extra blocks are left alone: nothing reads them."""
    if not isinstance(view, dict):
        return view_ack(response_action="update", view=blocks.notice_view("Form incomplete", INCOMPLETE))
    state = view.get("state")
    errors = field_errors(state.get("values") if isinstance(state, dict) else None, fields)
    inputs = _input_blocks(view)  # read again by any later answer with errors (`errors_ack`)
    if errors == {} and inputs is not None:
        return None
    if errors is None or inputs is None or any(block not in inputs for block in errors):
        # Slack takes errors only under input blocks the view has: else the whole form is replaced by a notice.
        return view_ack(response_action="update", view=blocks.notice_view("Form incomplete", INCOMPLETE))
    return errors_ack(view, errors)


def _input_blocks(view: dict) -> set[str] | None:
    """The block ids of the view's input blocks, or None when its blocks are not Slack's shape."""
    found = view.get("blocks")
    if not isinstance(found, list) or not all(isinstance(b, dict) for b in found):
        return None
    return {b["block_id"] for b in found if b.get("type") == "input" and isinstance(b.get("block_id"), str)}


def fewer_choice(values: dict) -> bool | None:
    """The settings modal's "fewer messages" box: ticked or not, or None from a modal opened before it had
    one (or a malformed one), which leaves the setting as it was."""
    element = (values.get("fewer") or {}).get(blocks.ANSWER_ACTION) if isinstance(values.get("fewer"), dict) else None
    chosen = element.get("selected_options") if isinstance(element, dict) else None
    if not isinstance(chosen, list):
        return None
    return any(isinstance(o, dict) and o.get("value") == "fewer" for o in chosen)


def form_check(view: Any, callback_id: str) -> str | None:
    """`form_problem` for one of the fixed forms."""
    return form_problem(view, FORMS[callback_id])


def step_fields(meta: dict) -> dict[str, Field]:
    """The input a flow step's modal holds, from its metadata (none for a step that only informs)."""
    kinds = STEP_ELEMENTS.get(str(meta.get("kind", "")))
    # Whether a step needs an answer is the engine's to say (with its own words): empty passes here.
    return {blocks.ANSWER_BLOCK: Field(kinds, optional=True)} if kinds else {}


def metadata(view: dict) -> dict[str, str]:
    """The text fields of a form's private_metadata (a JSON object we wrote); anything else is left out."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in meta.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(meta, dict) else {}


def user_name(body: dict) -> str:
    """The submitter's user name as Slack sent it ("" when a forged request leaves it out)."""
    user = body.get("user")
    name = user.get("name") if isinstance(user, dict) else None
    return name if isinstance(name, str) else ""
