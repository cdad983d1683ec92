"""Reading what Slack hands in: command text and message text arrive escaped, mentions as <@U123|name>.

Everything here returns plain text (as the person typed it) and platform ids, so the service
stores plain text and the renderers escape it exactly once on the way out.
"""
from __future__ import annotations

import re
from bot.core.commands import SLACK_MENTION, Command, PersonRef
from bot.slack.mrkdwn import unescape

HANDLE = re.compile(r"^@[A-Za-z][\w.\-]*$")
CONTROL = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")  # what Slack made of a mention, channel, group or link


def readable(text: str) -> str:
    """Slack's markup turned back into what the person typed, still escaped: <#C1|deals> → #deals,
    <!here> → @here, <!subteam^S1|@sales> → @sales, <https://x|label> → label, <https://x> → https://x,
    <@U1|alex> → @alex. Raw < and > only ever come from Slack (typed ones arrive as &lt; &gt;)."""
    def plain(m: re.Match) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith(("@", "!")):
            shown = label or target[1:].split("^")[0]
            return shown if shown.startswith("@") else "@" + shown
        return label or target.removeprefix("mailto:")
    return CONTROL.sub(plain, text)


def parse_command(text: str) -> Command:
    """A /coach command from Slack's text: people are the mentions Slack made (<@U123|name>), read
    while the text is still escaped, so a typed "<@U999>" (sent as "&lt;@U999&gt;") stays text;
    the rest is unescaped once. A plain "@alex" is text too: see `loose_handles`."""
    text = (text or "").strip()
    name, _, rest = text.partition(" ")
    if not name:
        return Command("help")
    people = tuple(PersonRef(m["id"], unescape((m["name"] or "").strip()) or m["id"])
                   for m in SLACK_MENTION.finditer(rest))
    loose = {f"@{h}" for h in loose_handles(text)}
    args = tuple(unescape(w) for w in readable(SLACK_MENTION.sub(" ", rest)).split() if w not in loose)
    return Command(unescape(name).lower().lstrip("/"), args, people, unescape(readable(rest.strip())))


def loose_handles(text: str) -> list[str]:
    """Words typed as "@alex" that Slack did not turn into a mention: they name nobody Slack knows."""
    _, _, rest = (text or "").strip().partition(" ")
    return [w[1:] for w in SLACK_MENTION.sub(" ", rest).split() if HANDLE.match(w)]


def deal_from_message(text: str) -> tuple[str, str]:
    """A deal name and amount guessed from a CRM bot's post ("Deal *Acme* moved to Closed Lost — $12,000").

    `text` is the message as Slack hands it over (escaped mrkdwn); the result is plain text.
    """
    text = readable(text or "")
    amount = re.search(r"[$€£]\s?\d[\d,]*(?:\.\d+)?\s?[kKmM]?\b", text)
    bold = re.search(r"\*([^*\n]{2,120})\*", text)
    if bold:
        deal = bold.group(1)
    else:
        first = text.strip().splitlines()[0] if text.strip() else ""
        deal = re.sub(r"(?i)^\W*(?:deal\s+)?(?:closed[\s-]*lost|lost\s+deal|deal\s+lost)\W*", "", first)
        deal = re.split(r"\s[—–-]\s|\s\(", deal)[0]
    return unescape(deal.strip(" :*_")), (amount.group(0).replace(" ", "") if amount else "")
