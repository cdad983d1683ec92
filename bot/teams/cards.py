"""The step card: one step of a flow as an Adaptive Card form, and reading its answer back.

The other cards (a flow's summary, notices, reports, nudges, the loss prompt) are in `message_cards`.
"""
from __future__ import annotations

from typing import Any

from bot.core.wording import iso_date, yes_no
from bot.teams.adaptive import card, submit, text_block
from bot.teams.markdown import safe, teams_words
from flows.outputs import InputKind, Prompt

ANSWER = "answer"  # the id of a step's input; a submission carries its value under this key
MAX_CHOICES = 100


def step_data(p: Prompt, what: str) -> dict:
    """What a step card's button sends back: which session, step and version it was answering."""
    return {"coachbot": what, "sid": p.session_id, "step": p.step_id, "v": p.version, "kind": str(p.kind)}


def prompt_card(p: Prompt, notice: str | None = None, intro: str | None = None) -> dict:
    """One step of a flow: guidance, errors and hints, the input of the right kind, and the buttons.

    `notice` is a warning (a stale press); `intro` is what the turn said before the step (e.g. that
    the rep joined your team, or that an unfinished draft was picked up).
    """
    body: list[dict] = [text_block(safe(p.flow_title), weight="Bolder", size="Medium")]
    if intro:
        body.append(text_block(safe(teams_words(intro))))
    if notice:
        body.append(text_block("⚠️ " + safe(teams_words(notice)), color="Warning"))
    if p.stage:
        body.append(text_block(f"**{safe(p.stage)}** · {safe(p.title)}", isSubtle=True, spacing="Small"))
    body += notes_blocks(p)
    if p.guidance:
        body.append(text_block(safe(p.guidance)))
    for err in p.errors:
        body.append(text_block("⚠️ " + safe(err.message), color="Attention", weight="Bolder"))
    for hint in p.hints:
        body.append(text_block("💡 " + safe(hint.message), color="Accent"))
    if p.hints:
        body.append(text_block("Revise your answer below, or press **Continue** to keep it as it is.", isSubtle=True))
    if p.kind == InputKind.INFO:
        body.append(text_block(f"**{safe(p.text)}**"))
    else:
        body.append(text_block(safe(p.text), weight="Bolder"))
        body.append(input_for(p))
    go = "Continue" if p.hints else ("Next" if p.kind == InputKind.INFO else "Save & continue")
    actions = [submit(go, step_data(p, "step"), inputs=True, style="positive")]
    if p.can_go_back:
        actions.append(submit("← Back", step_data(p, "back")))
    actions.append(submit("Discard draft", step_data(p, "discard"), style="destructive"))
    body.append(text_block("Every step is saved as you go: type the same command again to pick this up later.",
                           isSubtle=True, size="Small"))
    return card(body, actions)


def notes_blocks(p: Prompt) -> list[dict]:
    """The facts a step shows above its question: a bold heading per part, then its lines (escaped)."""
    blocks = []
    for note in p.notes:
        blocks.append(text_block(f"**{safe(note.heading)}**", spacing="Medium"))
        blocks.append(text_block("\n".join(safe(f"• {line}") for line in note.lines), spacing="Small"))
    return blocks


def input_for(p: Prompt) -> dict:
    """The Adaptive Card input for a step's input kind, prefilled with the best known value."""
    value = p.value
    if p.kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT, InputKind.PERSON):
        el: dict[str, Any] = {"type": "Input.Text", "id": ANSWER, "isMultiline": p.kind == InputKind.LONG_TEXT}
        if p.max_length:
            el["maxLength"] = p.max_length
        if isinstance(value, str) and value:
            el["value"] = value
        if p.placeholder:
            el["placeholder"] = p.placeholder.replace("\n", " · ")[:200]
        return el
    if p.kind in (InputKind.CHOICE, InputKind.YES_NO, InputKind.MULTI_CHOICE):
        options = [(o.value, o.label) for o in p.options] if p.kind != InputKind.YES_NO else [("yes", "Yes"),
                                                                                             ("no", "No")]
        el = {"type": "Input.ChoiceSet", "id": ANSWER, "style": "expanded",
              "choices": [{"title": label, "value": v} for v, label in options[:MAX_CHOICES]]}
        if p.kind == InputKind.MULTI_CHOICE:
            el["isMultiSelect"] = True
            if isinstance(value, list) and value:
                el["value"] = ",".join(str(v) for v in value)
        else:
            chosen = yes_no(value) if p.kind == InputKind.YES_NO else value
            if chosen in {v for v, _ in options}:
                el["value"] = chosen
        return el
    if p.kind == InputKind.DATE:
        el = {"type": "Input.Date", "id": ANSWER}
        initial = iso_date(value) or iso_date(p.suggestion)
        if initial:
            el["value"] = initial
        return el
    raise ValueError(f"no Adaptive Card input for {p.kind}")


def read_answer(value: dict, kind: str) -> Any:
    """The answer a card submission carries for the step's input kind (None when left empty)."""
    raw = value.get(ANSWER)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if kind == InputKind.MULTI_CHOICE else None
    if kind == InputKind.MULTI_CHOICE:
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return [str(v).strip() for v in items if str(v).strip()]
    return raw if isinstance(raw, str) else str(raw)
