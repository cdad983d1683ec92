"""Block Kit as Slack checks it: the rules the strict double applies to every message, view and ack.

Each rule names the Slack page that states it. Where Slack's documentation states a limit but not the
error text, the text is the one Slack was seen answering with (marked OBS, with the evidence).
Problems come back the way Slack words them: "<detail> [json-pointer:/blocks/0/text/text]".

Sources (docs.slack.dev unless a full URL is given):
  BLOCKS   /reference/block-kit/blocks                         50 blocks per message, 100 per modal or Home tab
  SECTION  /reference/block-kit/blocks/section-block           text <= 3000; fields <= 10, each <= 2000
  HEADER   /reference/block-kit/blocks/header-block            plain_text <= 150
  CONTEXT  /reference/block-kit/blocks/context-block           <= 10 elements
  ACTIONS  /reference/block-kit/blocks/actions-block           <= 25 elements
  INPUT    /reference/block-kit/blocks/input-block             label, hint plain_text <= 2000; block_id <= 255,
                                                                unique per message/view
  BUTTON   /reference/block-kit/block-elements/button-element  text plain_text <= 75, value <= 2000, url <= 3000,
                                                                action_id <= 255 and unique within its block
  TEXTIN   /reference/block-kit/block-elements/plain-text-input-element  placeholder <= 150,
                                                                min_length 0..3000, max_length 1..3000
  NUMBER   /reference/block-kit/block-elements/number-input-element  is_decimal_allowed required (boolean);
                                                                initial_value, min_value, max_value strings;
                                                                min_value not greater than max_value; decimals
                                                                only when is_decimal_allowed is true
  RADIO    /reference/block-kit/block-elements/radio-button-group-element  <= 10 options
  CHECKS   /reference/block-kit/block-elements/checkboxes-element          <= 10 options
  SELECT   /reference/block-kit/block-elements/select-menu-element         <= 100 options
  OPTION   /reference/block-kit/composition-objects/option-object          text <= 75, value <= 150,
                                                                            description <= 75; plain_text
                                                                            only in selects and overflow menus
                                                                            (mrkdwn in radio buttons, checkboxes)
  IMAGE    /reference/block-kit/blocks/image-block               image_url <= 3000, alt_text <= 2000 (required)
  CONFIRM  /reference/block-kit/composition-objects/confirmation-dialog-object  title 100, text 300,
                                                                            confirm 30, deny 30, style primary|danger
  TEXTOBJ  /reference/block-kit/composition-objects/text-object   type plain_text or mrkdwn, at least 1 character
  MODAL    /reference/views/modal-views                         title/submit/close plain_text <= 24;
                                                                private_metadata <= 3000; callback_id <= 255;
                                                                submit required with an input block
  HOME     /reference/views/home-tab-views (api.slack.com/reference/surfaces/views)  100 blocks,
                                                                private_metadata <= 3000
  SUBMIT   /surfaces/modals#handling_submissions                response_action errors/update/push/clear;
                                                                errors are keyed by the block_id of an input block
  POST     /reference/methods/chat.postMessage                  text is the notification fallback when blocks
                                                                are sent; not enforced, so a missing one is only
                                                                a warning (slack_sdk itself logs one)
  OBS      action_id duplicate: "`action_id` "X" already exists" (github.com/fabro-sh/fabro/issues/251);
           list too long: "no more than N items allowed" (github.com/adobe/spacecat-api-service/issues/176);
           text too long: "must be less than N+1 characters"; empty text: "must be more than 0 characters";
           views report these as invalid_arguments, messages as invalid_blocks
           (github.com/slackapi/node-slack-sdk/pull/875)
  NOT DOCUMENTED: whether an initial_value longer than max_length is refused. The double refuses it,
           because the person could not submit the form unchanged anyway.
"""
from __future__ import annotations

import re
from typing import Any

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100  # BLOCKS
ID_MAX = 255  # INPUT, BUTTON
TITLE_MAX = 24  # MODAL
PRIVATE_METADATA_MAX = 3000  # MODAL, HOME
MESSAGE_TEXT_MAX = 40_000  # POST: longer text is cut and a message_truncated warning comes back
BLOCK_TYPES = {"section", "actions", "context", "header", "divider", "input", "image", "rich_text"}
INPUT_ELEMENTS = {"plain_text_input", "radio_buttons", "checkboxes", "static_select", "multi_static_select",
                  "datepicker", "timepicker", "users_select", "multi_users_select", "conversations_select",
                  "channels_select", "number_input", "email_text_input", "url_text_input"}
OPTION_LIMITS = {"radio_buttons": 10, "checkboxes": 10, "static_select": 100, "multi_static_select": 100,
                 "overflow": 5}  # RADIO, CHECKS, SELECT
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WHOLE = re.compile(r"^-?\d+$")  # NUMBER
DECIMAL = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")


class Check:
    """Collects problems with their JSON pointers, worded as Slack words them."""

    def __init__(self, root: str):
        self.root = root
        self.problems: list[str] = []

    def add(self, path: str, detail: str) -> None:
        self.problems.append(f"{detail} [json-pointer:{self.root}{path}]")

    def length(self, path: str, value: Any, most: int, *, least: int = 1) -> None:
        if not isinstance(value, str):
            self.add(path, "must be a string")
        elif len(value) > most:
            self.add(path, f"must be less than {most + 1} characters")
        elif len(value) < least:
            self.add(path, f"must be more than {least - 1} characters")

    def count(self, path: str, items: Any, most: int) -> None:
        if not isinstance(items, list):
            self.add(path, "must be an array")
        elif len(items) > most:
            self.add(path, f"no more than {most} items allowed")

    def text(self, path: str, obj: Any, most: int, *, plain_only: bool = False) -> None:
        """A text object (TEXTOBJ): plain_text or mrkdwn, 1..most characters."""
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.add(path, "failed to match all allowed schemas")
            return
        if plain_only and obj["type"] != "plain_text":
            self.add(path + "/type", "must be plain_text")
        self.length(path + "/text", obj.get("text"), most)


def check_blocks(blocks: Any, *, most: int, root: str = "/blocks", surface: str = "message") -> list[str]:
    """Problems with a blocks array on a surface (message, modal or home)."""
    c = Check(root)
    c.count("", blocks, most)
    if not isinstance(blocks, list):
        return c.problems
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        _block(c, f"/{i}", block, block_ids, surface)
    return c.problems


def _block(c: Check, at: str, block: Any, block_ids: set[str], surface: str) -> None:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        c.add(at, "failed to match all allowed schemas")
        return
    kind = block["type"]
    if "block_id" in block:
        c.length(at + "/block_id", block["block_id"], ID_MAX)
        if block["block_id"] in block_ids:
            c.add(at + "/block_id", f"`block_id` \"{block['block_id']}\" already exists")
        block_ids.add(block["block_id"])
    action_ids: set[str] = set()
    if kind == "section":
        if "text" not in block and "fields" not in block:
            c.add(at, "must provide text or fields")
        if "text" in block:
            c.text(at + "/text", block["text"], 3000)  # SECTION
        if "fields" in block:
            c.count(at + "/fields", block["fields"], 10)
            for j, f in enumerate(block.get("fields") or []):
                c.text(f"{at}/fields/{j}", f, 2000)
        if "accessory" in block:
            _element(c, at + "/accessory", block["accessory"], action_ids)
    elif kind == "header":
        c.text(at + "/text", block.get("text"), 150, plain_only=True)  # HEADER
    elif kind == "context":
        c.count(at + "/elements", block.get("elements"), 10)  # CONTEXT
        for j, el in enumerate(block.get("elements") or []):
            if isinstance(el, dict) and el.get("type") == "image":
                continue
            c.text(f"{at}/elements/{j}", el, 3000)
    elif kind == "actions":
        c.count(at + "/elements", block.get("elements"), 25)  # ACTIONS
        for j, el in enumerate(block.get("elements") or []):
            _element(c, f"{at}/elements/{j}", el, action_ids)
    elif kind == "image":
        c.length(at + "/image_url", block.get("image_url"), 3000)  # IMAGE
        c.length(at + "/alt_text", block.get("alt_text"), 2000)
    elif kind == "input":
        if surface == "message":  # OBS: github.com/slackapi/python-slack-sdk/issues/1257
            c.add(at, "input blocks are not allowed in messages")
        c.text(at + "/label", block.get("label"), 2000, plain_only=True)  # INPUT
        if "hint" in block:
            c.text(at + "/hint", block["hint"], 2000, plain_only=True)
        element = block.get("element")
        if not isinstance(element, dict) or element.get("type") not in INPUT_ELEMENTS:
            c.add(at + "/element", "failed to match all allowed schemas")
        else:
            _element(c, at + "/element", element, action_ids)


def _element(c: Check, at: str, el: Any, action_ids: set[str]) -> None:
    if not isinstance(el, dict) or "type" not in el:
        c.add(at, "failed to match all allowed schemas")
        return
    kind = el["type"]
    if "action_id" in el:
        c.length(at + "/action_id", el["action_id"], ID_MAX)
        if el["action_id"] in action_ids:  # BUTTON: unique within the containing block (OBS wording)
            c.add(at + "/action_id", f"`action_id` \"{el['action_id']}\" already exists")
        action_ids.add(el["action_id"])
    if "placeholder" in el:
        c.text(at + "/placeholder", el["placeholder"], 150, plain_only=True)  # TEXTIN, SELECT
    if kind == "button":
        c.text(at + "/text", el.get("text"), 75, plain_only=True)  # BUTTON
        if "value" in el:
            c.length(at + "/value", el["value"], 2000)
        if "url" in el:
            c.length(at + "/url", el["url"], 3000)
        if el.get("style") not in (None, "primary", "danger"):
            c.add(at + "/style", "must be one of primary, danger")
        if "confirm" in el:
            _confirm(c, at + "/confirm", el["confirm"])
    elif kind == "plain_text_input":
        most = el.get("max_length", 3000)
        if not isinstance(most, int) or not 1 <= most <= 3000:  # TEXTIN
            c.add(at + "/max_length", "must be between 1 and 3000")
            most = 3000
        least = el.get("min_length", 0)
        if not isinstance(least, int) or not 0 <= least <= 3000:
            c.add(at + "/min_length", "must be between 0 and 3000")
        if "initial_value" in el:
            c.length(at + "/initial_value", el["initial_value"], most, least=0)  # NOT DOCUMENTED (see top)
    elif kind in OPTION_LIMITS:
        options = el.get("options")
        c.count(at + "/options", options, OPTION_LIMITS[kind])
        values = []
        for j, o in enumerate(options or []):
            _option(c, f"{at}/options/{j}", o, plain_only=kind not in ("radio_buttons", "checkboxes"))
            values.append(o.get("value") if isinstance(o, dict) else None)
        for key in ("initial_option",):
            if key in el and (not isinstance(el[key], dict) or el[key] not in options):
                c.add(f"{at}/{key}", "must match one of the options")
        for j, o in enumerate(el.get("initial_options") or []):
            if o not in (options or []):
                c.add(f"{at}/initial_options/{j}", "must match one of the options")
    elif kind == "number_input":
        _number_input(c, at, el)
    elif kind == "datepicker" and "initial_date" in el:
        if not ISO_DAY.match(str(el["initial_date"])):
            c.add(at + "/initial_date", "must be a date in YYYY-MM-DD form")
    elif kind == "timepicker" and "initial_time" in el:
        if not HH_MM.match(str(el["initial_time"])):
            c.add(at + "/initial_time", "must be a time in HH:mm form")


def _number_input(c: Check, at: str, el: dict) -> None:
    """NUMBER: the flag is required and boolean; bounds and initial value are numbers written as strings."""
    decimals = el.get("is_decimal_allowed")
    if not isinstance(decimals, bool):
        c.add(at + "/is_decimal_allowed", "must be a boolean" if "is_decimal_allowed" in el else "is required")
    numbers: dict[str, float] = {}
    for key in ("initial_value", "min_value", "max_value"):
        if key not in el:
            continue
        value = el[key]
        if not isinstance(value, str):
            c.add(f"{at}/{key}", "must be a string")
            continue
        number = DECIMAL.match(value) if decimals else WHOLE.match(value)
        if not number:
            c.add(f"{at}/{key}", "must be a number" + ("" if decimals else " without decimals"))
            continue
        numbers[key] = float(value)
    if "min_value" in numbers and "max_value" in numbers and numbers["min_value"] > numbers["max_value"]:
        c.add(at + "/min_value", "cannot be greater than max_value")


def _option(c: Check, at: str, o: Any, *, plain_only: bool) -> None:
    if not isinstance(o, dict):
        c.add(at, "failed to match all allowed schemas")
        return
    c.text(at + "/text", o.get("text"), 75, plain_only=plain_only)  # OPTION
    c.length(at + "/value", o.get("value"), 150)
    if "description" in o:
        c.text(at + "/description", o["description"], 75)


def _confirm(c: Check, at: str, confirm: Any) -> None:
    if not isinstance(confirm, dict):
        c.add(at, "failed to match all allowed schemas")
        return
    for key, most in (("title", 100), ("text", 300), ("confirm", 30), ("deny", 30)):  # CONFIRM: all required
        c.text(f"{at}/{key}", confirm.get(key), most)
    if confirm.get("style") not in (None, "primary", "danger"):
        c.add(at + "/style", "must be one of primary, danger")


def check_view(view: Any, *, root: str = "/view") -> list[str]:
    """Problems with a modal or Home tab view (MODAL, HOME)."""
    c = Check(root)
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        c.add("/type", "must be modal or home")
        return c.problems
    if "private_metadata" in view:
        c.length("/private_metadata", view["private_metadata"], PRIVATE_METADATA_MAX, least=0)
    if "callback_id" in view:
        c.length("/callback_id", view["callback_id"], ID_MAX)
    if "external_id" in view:
        c.length("/external_id", view["external_id"], ID_MAX)
    blocks = view.get("blocks")
    surface = view["type"]
    if surface == "modal":
        c.text("/title", view.get("title"), TITLE_MAX, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                c.text(f"/{key}", view[key], TITLE_MAX, plain_only=True)
        inputs = [i for i, b in enumerate(blocks or []) if isinstance(b, dict) and b.get("type") == "input"]
        if inputs and "submit" not in view:
            c.add(f"/blocks/{inputs[0]}", "must define `submit` to use an `input` block in modals")
    return c.problems + check_blocks(blocks, most=VIEW_BLOCKS, root=root + "/blocks", surface=surface)


def check_message(body: dict) -> tuple[list[str], list[str]]:
    """(problems, warnings) for a message sent by chat.postMessage, chat.postEphemeral or a response_url."""
    problems: list[str] = []
    warnings: list[str] = []
    blocks, text = body.get("blocks"), body.get("text")
    if blocks is None and not text and not body.get("attachments"):
        return ["no_text"], warnings
    if blocks is not None:
        problems += check_blocks(blocks, most=MESSAGE_BLOCKS)
        if not text:
            warnings.append("missing_text_fallback: blocks were sent without a top-level text for notifications")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        warnings.append("message_truncated")
    return problems, warnings


def input_block_ids(view: dict) -> set[str]:
    """The block_ids of a view's input blocks: the only keys a response_action errors may use."""
    return {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"}


def check_submission_ack(ack: Any, submitted: dict, stack_depth: int = 1) -> list[str]:
    """Problems with what the app answered to a view_submission (SUBMIT)."""
    if ack in (None, "", {}):
        return []
    if not isinstance(ack, dict):
        return ["the acknowledgement is not a JSON object"]
    action = ack.get("response_action")
    if action == "errors":
        errors = ack.get("errors")
        if not isinstance(errors, dict) or not errors:
            return ["errors must be an object keyed by block_id"]
        inputs = input_block_ids(submitted)
        return [f"errors names block \"{key}\", which is not an input block of the submitted view"
                for key in errors if key not in inputs]
    if action in ("update", "push"):
        if action == "push" and stack_depth >= 3:
            return ["push_limit_reached"]
        return check_view(ack.get("view"))
    if action == "clear":
        return []
    return [f"unknown response_action {action!r}"]
