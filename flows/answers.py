"""Reading a typed answer: what the user wrote becomes the value stored for the step's kind.

An answer that cannot be read comes back as error feedback saying what is wrong and how to fix it.
"""
from __future__ import annotations

import re
from typing import Any

from flows.dates import parse_date
from flows.model import Context, Step
from flows.outputs import Feedback, InputKind, Option

YES_WORDS = {"yes", "y", "yeah", "yep", "sure", "ok", "true", "1"}
NO_WORDS = {"no", "n", "nope", "false", "2"}
MENTION = re.compile(r"^(?:<@(?P<uid>[A-Z0-9]+)(?:\|(?P<label>[^>]*))?>|@(?P<handle>[\w.\-]+))$")


def normalise(step: Step, raw: Any, ctx: Context) -> tuple[Any, list[Feedback]]:
    """Turn a raw answer into the stored value for the step's kind, or say what is wrong with it."""
    kind = step.kind
    if kind == InputKind.INFO:
        return None, []
    if kind == InputKind.MULTI_CHOICE:
        return _multi_choice(step, raw)
    text = "" if raw is None else (raw if isinstance(raw, str) else str(raw))
    if isinstance(raw, bool) and kind == InputKind.YES_NO:
        return raw, []
    text = text.strip()
    if not text:
        if step.required:
            return None, [_error("empty", _empty_message(step))]
        return None, []
    limit = step.limit
    if limit and len(text) > limit:
        return None, [
            _error(
                "too_long",
                f"That is {len(text):,} characters; this answer can hold {limit:,}. "
                "Please shorten it (a summary is enough here).",
            )
        ]
    if kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT):
        if step.parse:
            value, problems = step.parse(text, ctx)
            return value, problems
        return text, []
    if kind == InputKind.CHOICE:
        option = _match_option(step.options, text)
        if option is None:
            return None, [_error("bad_choice", f"“{_clip(text)}” is not one of the choices: {_labels(step)}.")]
        return option.value, []
    if kind == InputKind.YES_NO:
        word = text.lower().rstrip(".!")
        if word in YES_WORDS:
            return True, []
        if word in NO_WORDS:
            return False, []
        return None, [_error("bad_yes_no", f"Please answer yes or no (you wrote “{_clip(text)}”).")]
    if kind == InputKind.DATE:
        parsed = parse_date(text, ctx.today)
        if parsed is None:
            return None, [
                _error(
                    "bad_date",
                    f"I couldn't read “{_clip(text)}” as a date. Try “2026-12-04”, “4 Dec”, "
                    "“Friday”, “next Tuesday” or “in 2 weeks”.",
                )
            ]
        return parsed.isoformat(), []
    if kind == InputKind.PERSON:
        match = MENTION.match(text)
        if not match:
            return None, [_error("bad_person", f"Mention one person, like @alex (you wrote “{_clip(text)}”).")]
        return text, []
    raise ValueError(f"unknown input kind {kind}")


def _multi_choice(step: Step, raw: Any) -> tuple[Any, list[Feedback]]:
    if raw is None or raw == "":
        items: list[str] = []
    elif isinstance(raw, (list, tuple)):
        items = [str(x).strip() for x in raw]
    else:
        items = [p.strip() for p in re.split(r"[,;]", str(raw))]
    items = [i for i in items if i]
    chosen: list[str] = []
    for item in items:
        option = _match_option(step.options, item)
        if option is None:
            return None, [_error("bad_choice", f"“{_clip(item)}” is not one of the choices: {_labels(step)}.")]
        if option.value not in chosen:
            chosen.append(option.value)
    if step.required and not chosen:
        return None, [_error("empty", "Pick at least one of the choices.")]
    return chosen, []


def _match_option(options: tuple[Option, ...], text: str) -> Option | None:
    t = text.strip().lower()
    if t.isascii() and t.isdigit() and 1 <= int(t) <= len(options):  # '²' is a digit int() refuses
        return options[int(t) - 1]
    for o in options:
        if t in (o.value.lower(), o.label.lower()):
            return o
    return None


def _labels(step: Step) -> str:
    return ", ".join(f"{i}) {o.label}" for i, o in enumerate(step.options, 1))


def _empty_message(step: Step) -> str:
    if step.kind == InputKind.DATE:
        return "A date is needed here — for example “in 2 weeks” or “2026-12-04”."
    if step.kind == InputKind.CHOICE:
        return f"Pick one of the choices: {_labels(step)}."
    if step.kind == InputKind.YES_NO:
        return "Please answer yes or no."
    return "This step needs an answer before you can go on."


def _error(code: str, message: str) -> Feedback:
    return Feedback("error", code, message)


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

