"""Adaptive Card building blocks: a text block, a button, a card that declares the lowest version it needs.

Pure dicts: nothing here imports the Agents SDK (`bot.teams.activities` wraps a card into an activity).
"""
from __future__ import annotations

import re
from typing import Any

from bot.teams.markdown import paragraphs

# The Adaptive Card version each element and property needs (adaptivecards.io/explorer): a card
# declares the lowest version its content uses, so older clients (Teams mobile) still render it.
ELEMENT_VERSION = {"ActionSet": "1.2", "Table": "1.5", "Action.Execute": "1.4", "Input.Time": "1.0"}
PROPERTY_VERSION = {
    ("Action.Submit", "associatedInputs"): "1.3", ("Action.Submit", "style"): "1.2",
    ("Action.Submit", "isEnabled"): "1.5", ("Action.Submit", "mode"): "1.5", ("Action.Submit", "tooltip"): "1.5",
    ("Container", "style"): "1.0", ("Container", "minHeight"): "1.2", ("Container", "bleed"): "1.2",
    ("Column", "minHeight"): "1.2", ("Column", "bleed"): "1.2", ("TextBlock", "fontType"): "1.2",
    ("TextBlock", "style"): "1.5", ("Input.Text", "label"): "1.3", ("Input.ChoiceSet", "label"): "1.3",
    ("Input.Date", "label"): "1.3", ("Input.Text", "isRequired"): "1.3", ("Input.Text", "errorMessage"): "1.3",
    ("Input.ChoiceSet", "wrap"): "1.2", ("Input.Text", "inlineAction"): "1.2",
}
CONTAINER_STYLE_VERSION = {"good": "1.2", "attention": "1.2", "warning": "1.2", "accent": "1.2"}


def text_block(text: str, **extra) -> dict:
    """A wrapping TextBlock (text must already be escaped where it holds user input)."""
    return {"type": "TextBlock", "text": paragraphs(text) or " ", "wrap": True, **extra}


def submit(title: str, data: dict, *, inputs: bool = False, style: str | None = None) -> dict:
    """An Action.Submit; `inputs=False` sends none of the card's inputs (back, discard, buttons)."""
    action = {"type": "Action.Submit", "title": title[:80], "data": data,
              "associatedInputs": "auto" if inputs else "none"}
    if style:
        action["style"] = style
    return action


def card(body: list[dict], actions: list[dict] | None = None, *, fallback: str | None = None) -> dict:
    """An Adaptive Card with the given body and actions, declaring the lowest version it needs, with a
    plain fallback text (what a client that cannot render it shows, and the notification line)."""
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                           "version": "1.0", "body": body or [text_block(" ")]}
    if actions:
        out["actions"] = actions
    out["version"] = needed_version(out)
    out["fallbackText"] = fallback or plain_words(out)
    return out


def needed_version(node: Any) -> str:
    """The highest Adaptive Card version any element or property in `node` needs."""
    found = "1.0"
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str):
            found = max(found, ELEMENT_VERSION.get(kind, "1.0"))
            for key in node:
                found = max(found, PROPERTY_VERSION.get((kind, key), "1.0"))
            if kind == "Container":
                found = max(found, CONTAINER_STYLE_VERSION.get(node.get("style", ""), "1.0"))
        for value in node.values():
            found = max(found, needed_version(value))
    elif isinstance(node, list):
        for value in node:
            found = max(found, needed_version(value))
    return found


def plain_words(node: Any, limit: int = 300) -> str:
    """The first words of a card as plain text (markdown escapes and markers dropped)."""
    texts: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if n.get("type") == "TextBlock" and isinstance(n.get("text"), str) and n["text"].strip():
                texts.append(n["text"])
            for key in ("body", "items", "columns"):
                for child in n.get(key) or []:
                    walk(child)
    walk(node)
    words = re.sub(r"\\(.)", r"\1", re.sub(r"\*\*|\s+", " ", " ".join(texts))).strip()
    return words if len(words) <= limit else words[:limit - 1] + "…"
