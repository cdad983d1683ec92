"""What a person sees of what the app sent Slack, and whom it notifies.

Slack's formatting rules (docs.slack.dev/messaging/formatting-message-text): in mrkdwn text — a
section's text, a context element, a message's top-level `text` — "&", "<" and ">" are control
characters. `<@U123>` mentions a person, `<!channel>`, `<!here>` and `<!everyone>` notify a whole
channel, `<#C123>` names a channel, `<https://x|label>` is a link showing its label, and &amp;, &lt;,
&gt; show as &, <, >. plain_text objects show their text as it is.

So a round trip is right when the text a person typed is what they see again, and the only
notifications are the ones the app meant to send.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CONTROL = re.compile(r"<([^<>]*)>")


@dataclass
class Seen:
    texts: list[str] = field(default_factory=list)  # each text as shown
    mentions: list[str] = field(default_factory=list)  # user ids notified
    broadcasts: list[str] = field(default_factory=list)  # channel, here, everyone
    links: list[str] = field(default_factory=list)

    def shows(self, text: str) -> bool:
        return any(text in t for t in self.texts)

    @property
    def all(self) -> str:
        return "\n".join(self.texts)


def mrkdwn(text: str, seen: Seen) -> str:
    """One mrkdwn string as shown, noting what it notifies."""
    def control(m: re.Match) -> str:
        inside = m.group(1)
        target, _, label = inside.partition("|")
        if target.startswith("@"):
            seen.mentions.append(target[1:])
            return "@" + (label or target[1:])
        if target.startswith("!"):
            what = target[1:].split("^")[0]
            if what in ("channel", "here", "everyone"):
                seen.broadcasts.append(what)
            return "@" + (label or what)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        seen.links.append(target)
        return label or target
    shown = CONTROL.sub(control, text)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def seen_in(payload: Any, seen: Seen | None = None) -> Seen:
    """Everything a message, a view or a list of them shows (its fallback text included)."""
    seen = seen or Seen()
    if isinstance(payload, list):
        for item in payload:
            seen_in(item, seen)
    elif isinstance(payload, dict):
        kind = payload.get("type")
        if kind == "mrkdwn" and isinstance(payload.get("text"), str):
            seen.texts.append(mrkdwn(payload["text"], seen))
        elif kind == "plain_text" and isinstance(payload.get("text"), str):
            seen.texts.append(payload["text"])
        else:
            if isinstance(payload.get("text"), str) and ("blocks" in payload or "channel" in payload):
                seen.texts.append(mrkdwn(payload["text"], seen))  # a message's top-level text is mrkdwn
            for key in ("initial_value",):
                if isinstance(payload.get(key), str):
                    seen.texts.append(payload[key])
            for key, value in payload.items():
                if key != "text" or not isinstance(value, str):
                    seen_in(value, seen)
    return seen
