"""Making user text safe for Slack, and keeping every string inside Slack's limits."""
from __future__ import annotations

# Slack's documented limits for what we send.
SECTION_TEXT = 3000
PLAIN_LABEL = 2000
OPTION_TEXT = 75
PLACEHOLDER = 150
BUTTON_TEXT = 75
MODAL_TITLE = 24
CONTEXT_TEXT = 3000
HEADER_TEXT = 150
BUTTON_VALUE = 2000
PRIVATE_METADATA = 3000
MODAL_BLOCKS = 100
MESSAGE_BLOCKS = 50
INPUT_MAX = 3000


def escape(text: str) -> str:
    """Escape &, < and > so user text can never become a mention, a channel ping or a disguised link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, more: str = "…") -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when cut (never silently dropped)."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - len(more)] + more


def plain(text: str, limit: int = PLAIN_LABEL) -> dict:
    """A plain_text object (Slack shows it literally; no escaping needed), clipped to `limit`."""
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def md(text: str, limit: int = SECTION_TEXT) -> dict:
    """A mrkdwn text object from text that is already escaped where it holds user input."""
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def section(text: str, limit: int = SECTION_TEXT) -> dict:
    """A section block of mrkdwn text (escape user text before calling)."""
    return {"type": "section", "text": md(text, limit)}


def context(text: str) -> dict:
    """A context block of mrkdwn text (escape user text before calling)."""
    return {"type": "context", "elements": [md(text, CONTEXT_TEXT)]}


def long_text_sections(text: str, prefix: str = "") -> list[dict]:
    """User text longer than one section can hold, escaped and split over several sections.

    A cut that would land inside an escape (&amp; &lt; &gt;) moves back to its '&', so none is halved.
    """
    escaped = escape(text)
    chunks: list[str] = []
    room = SECTION_TEXT - len(prefix)
    while len(escaped) > room:
        cut = room
        amp = escaped.rfind("&", max(0, cut - 4), cut)
        if amp != -1 and ";" not in escaped[amp:cut]:
            cut = amp
        chunks.append(escaped[:cut])
        escaped = escaped[cut:]
        room = SECTION_TEXT
    chunks.append(escaped)
    return [section((prefix if i == 0 else "") + c) for i, c in enumerate(chunks)]
