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


def unescape(text: str) -> str:
    """Text as the person typed it, from text Slack handed in escaped (commands, messages): &lt; → <.

    The reverse of `escape`, done once at the edge so that stored text is plain and is escaped
    exactly once again on its way out (&amp; last, so "&amp;lt;" becomes "&lt;", not "<").
    """
    return str(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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
    """User text longer than one section can hold, escaped and split over several sections."""
    return text_sections([prefix + escape(text)] if prefix else [escape(text)])


def text_sections(lines: list[str], limit: int = SECTION_TEXT) -> list[dict]:
    """Lines of mrkdwn (user text in them already escaped) packed into as few sections as they fit.

    A line longer than a section is split over several; nothing is ever dropped or clipped.
    """
    chunks: list[str] = []
    current = ""
    for line in lines:
        for piece in _pieces(line, limit):
            joined = f"{current}\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                chunks.append(current)
                current = piece
    if current or not chunks:
        chunks.append(current)
    return [section(c) for c in chunks]


def _pieces(escaped: str, room: int) -> list[str]:
    """Escaped text cut into parts of at most `room` characters, never inside &amp; &lt; &gt;."""
    parts = []
    while len(escaped) > room:
        cut = room
        amp = escaped.rfind("&", max(0, cut - 4), cut)
        if amp != -1 and ";" not in escaped[amp:cut]:
            cut = amp
        newline = escaped.rfind("\n", room // 2, cut)
        if newline != -1:
            cut = newline + 1
        parts.append(escaped[:cut].rstrip("\n"))
        escaped = escaped[cut:]
    parts.append(escaped)
    return parts


def fallback(text: str, limit: int = 3000) -> str:
    """A message's top-level text (the notification line): escaped once, and never cut inside an escape."""
    return _pieces(escape(text), limit - 1)[0] + ("…" if len(escape(text)) > limit - 1 else "")
