"""A flow step as a modal: the form for one step, reading its answer back, and the finished summary."""
from __future__ import annotations

import json
from typing import Any

from bot.core.wording import iso_date, yes_no
from bot.slack.mrkdwn import (
    BUTTON_TEXT, MODAL_BLOCKS, MODAL_TITLE, OPTION_TEXT, PLACEHOLDER, clip, context, escape, long_text_sections,
    plain, section, text_sections,
)
from flows.outputs import Done, InputKind, Prompt

FLOW_STEP = "flow_step"
ANSWER_BLOCK = "answer"
ANSWER_ACTION = "value"


def step_meta(p: Prompt) -> str:
    """What a modal must carry so its submission can be matched to the exact step and version."""
    return json.dumps({"sid": p.session_id, "v": p.version, "step": p.step_id, "kind": str(p.kind)})


def prompt_view(p: Prompt, notice: str | None = None) -> dict:
    """One step of a flow as a modal: guidance, hints, the input, and back/discard buttons."""
    blocks: list[dict] = []
    if notice:
        blocks.append(context("⚠️ " + escape(notice)))
    if p.stage:
        blocks.append(context(f"*{escape(p.stage)}* · {escape(p.title)}"))
    blocks += notes_blocks(p)
    if p.guidance:
        blocks.append(section(escape(p.guidance)))
    for hint in p.hints:
        blocks += long_text_sections(hint.message, prefix="💡 ")
    if p.hints:
        blocks.append(context("Revise your answer below, or press *Continue* to keep it as it is."))
    if p.kind == InputKind.INFO:
        blocks.append(section("*" + escape(p.text) + "*"))
    else:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": ANSWER_BLOCK,
            "label": plain(p.text),
            "element": element_for(p),
            "optional": not p.required,
        }
        blocks.append(block)
    meta = step_meta(p)
    buttons = []
    if p.can_go_back:
        buttons.append({"type": "button", "action_id": "flow_back", "text": plain("← Back", BUTTON_TEXT),
                        "value": meta})
    buttons.append({
        "type": "button", "action_id": "flow_discard", "text": plain("Discard draft", BUTTON_TEXT),
        "style": "danger", "value": meta,
        "confirm": {"title": plain("Discard this draft?", 100),
                    "text": plain("Everything entered so far will be deleted. This can't be undone.", 300),
                    "confirm": plain("Discard", 30), "deny": plain("Keep it", 30), "style": "danger"},
    })
    blocks.append({"type": "actions", "block_id": "flow_nav", "elements": buttons})
    blocks.append(context("Closing this window keeps your draft: run the same command again to pick it up."))
    return {
        "type": "modal",
        "callback_id": FLOW_STEP,
        "title": plain(p.flow_title, MODAL_TITLE),
        "submit": plain("Continue" if p.hints else ("Next" if p.kind == InputKind.INFO else "Save & continue"), 24),
        "close": plain("Close", 24),
        "notify_on_close": True,
        "private_metadata": meta,
        "blocks": blocks,
    }


def notes_blocks(p: Prompt) -> list[dict]:
    """The facts a step shows above its question: each part's heading in bold, then its lines (typed
    text in them escaped), packed into sections and never clipped."""
    blocks: list[dict] = []
    for note in p.notes:
        blocks += text_sections([f"*{escape(note.heading)}*"] + [escape(f"• {line}") for line in note.lines])
    if blocks:
        blocks.append({"type": "divider"})
    return blocks


def element_for(p: Prompt) -> dict:
    """The Block Kit input element for a step's input kind, prefilled with the best known value."""
    value = p.value
    if p.kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT):
        el: dict[str, Any] = {"type": "plain_text_input", "action_id": ANSWER_ACTION,
                              "multiline": p.kind == InputKind.LONG_TEXT}
        if p.max_length:
            el["max_length"] = min(p.max_length, 3000)
        if isinstance(value, str) and value:  # a draft longer than the field now allows shows where it was cut
            el["initial_value"] = clip(value, el.get("max_length", 3000))
        if p.placeholder:
            el["placeholder"] = plain(p.placeholder.replace("\n", " · "), PLACEHOLDER)
        return el
    if p.kind in (InputKind.CHOICE, InputKind.YES_NO):
        options = [option(o.value, o.label) for o in p.options] if p.kind == InputKind.CHOICE else \
            [option("yes", "Yes"), option("no", "No")]
        el = {"type": "radio_buttons" if len(options) <= 10 else "static_select", "action_id": ANSWER_ACTION,
              "options": options}
        chosen = yes_no(value) if p.kind == InputKind.YES_NO else value
        initial = next((o for o in options if o["value"] == chosen), None)
        if initial:
            el["initial_option"] = initial
        return el
    if p.kind == InputKind.MULTI_CHOICE:
        options = [option(o.value, o.label) for o in p.options]
        el = {"type": "checkboxes" if len(options) <= 10 else "multi_static_select", "action_id": ANSWER_ACTION,
              "options": options}
        chosen = [o for o in options if isinstance(value, list) and o["value"] in value]
        if chosen:
            el["initial_options"] = chosen
        return el
    if p.kind == InputKind.DATE:
        el = {"type": "datepicker", "action_id": ANSWER_ACTION}
        initial = iso_date(value) or iso_date(p.suggestion)
        if initial:
            el["initial_date"] = initial
        return el
    if p.kind == InputKind.PERSON:
        el = {"type": "users_select", "action_id": ANSWER_ACTION}
        if isinstance(value, str) and value.startswith("<@"):
            el["initial_user"] = value[2:].split("|")[0].rstrip(">")
        return el
    raise ValueError(f"no Slack element for {p.kind}")


def read_answer(values: dict, kind: str) -> Any:
    """The answer a modal submission carries for the step's input kind (None when left empty)."""
    el = (values.get(ANSWER_BLOCK) or {}).get(ANSWER_ACTION) or {}
    t = el.get("type")
    if t == "plain_text_input":
        return el.get("value")
    if t in ("radio_buttons", "static_select"):
        return (el.get("selected_option") or {}).get("value")
    if t in ("checkboxes", "multi_static_select"):
        return [o["value"] for o in el.get("selected_options") or []]
    if t == "datepicker":
        return el.get("selected_date")
    if t == "users_select":
        return f"<@{el['selected_user']}>" if el.get("selected_user") else None
    return None


def done_view(done: Done, dm_sent: bool = True) -> dict:
    """The last screen of a flow: its summary, in the same modal (the whole of it is also sent by DM)."""
    blocks = [section(f"*{escape(done.title)} — summary*")]
    body = summary_blocks(done)
    room = MODAL_BLOCKS - 2
    if len(body) > room:
        left = len(body) - (room - 1)
        body = body[:room - 1] + [context(f"{left} more part{'s' if left != 1 else ''} of this summary "
                                          "didn't fit here: the copy in your DMs has all of it.")]
    blocks += body
    if dm_sent:
        blocks.append(context("A copy of this summary is in your DMs with coachbot."))
    return {"type": "modal", "callback_id": "flow_done", "title": plain(done.title, MODAL_TITLE),
            "close": plain("Done", 24), "blocks": blocks}


def summary_blocks(done: Done) -> list[dict]:
    """Each section of a summary: a bold heading, then the user's words, escaped and split if long."""
    blocks: list[dict] = []
    for s in done.sections:
        body = "\n".join(str(line) for line in s.lines)
        blocks += long_text_sections(body, prefix=f"*{escape(s.heading)}*\n")
    return blocks


def option(value: str, label: str) -> dict:
    """One option of a select, radio button group or checkbox group."""
    return {"text": plain(label, OPTION_TEXT), "value": value}
