"""Pure parsing of what Teams sends: message text with <at> mentions, and card submissions.

No Agents SDK import: the app passes plain dicts (the activity's entities and value).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Any

from bot.core.commands import Command, PersonRef, parse, spec_of
from bot.core.identity import UNKNOWN_NAME

AT_TAG = re.compile(r"<at[^>]*>(?P<name>.*?)</at>", re.IGNORECASE | re.DOTALL)
TAGS = re.compile(r"<[^>]+>")
MAX_MESSAGE = 4000  # a command is a line; anything longer is refused with a reason, not parsed
SUBMIT_KINDS = ("step", "back", "discard", "retro_start", "nudge")


@dataclass(frozen=True)
class Mention:
    """One @mention entity of a Teams message."""

    id: str
    name: str
    text: str  # as it appears in the message, e.g. "<at>Megan Bowen</at>"


def mentions_of(entities: list[dict] | None) -> list[Mention]:
    """The mention entities of an activity (anything malformed is skipped)."""
    found = []
    for e in entities or []:
        if not isinstance(e, dict) or e.get("type") != "mention":
            continue
        who = e.get("mentioned") or {}
        if isinstance(who, dict) and who.get("id"):
            found.append(Mention(str(who["id"]), str(who.get("name") or ""), str(e.get("text") or "")))
    return found


def parse_message(text: str, entities: list[dict] | None, bot_id: str) -> Command:
    """A Teams message as a command: the bot's own mention dropped, other mentions as people.

    `@name` typed without a real mention (a personal chat cannot mention others) stays a name to
    look up; bare words after talk/close/checkin are treated the same way by the caller.
    """
    mentions = mentions_of(entities)
    people: list[PersonRef] = []
    body = text or ""
    for m in mentions:
        tag = m.text or f"<at>{m.name}</at>"
        if m.id == bot_id or m.id.endswith(":" + bot_id) or m.id.split(":")[-1] == bot_id:
            body = body.replace(tag, " ", 1)
        elif not m.id.startswith(("19:", "28:")):  # a person, not a channel or team (19:) nor another bot (28:)
            body = body.replace(tag, " ", 1)
            people.append(PersonRef(m.id, _clean(m.name) or UNKNOWN_NAME))
        else:
            body = body.replace(tag, " " + _clean(m.name) + " ", 1)
    # Any <at> tag left over without an entity is only text; never trust it as a mention.
    body = AT_TAG.sub(lambda match: _clean(match["name"]), body)
    body = html.unescape(TAGS.sub(" ", body)).replace("\xa0", " ").strip()
    cmd = parse(body, handles_are_ids=False)
    typed = tuple(PersonRef("", p.name) for p in cmd.people)  # names to look up, no ids
    return replace(cmd, people=tuple(people) + typed)


def name_words(cmd: Command) -> str | None:
    """For a command that names people (talk, close, checkin) but names none: the bare words as a name
    ("talk Megan Bowen")."""
    spec = spec_of(cmd)
    if spec is not None and spec.names_people and not cmd.people and cmd.args:
        return " ".join(cmd.args)
    return None


@dataclass(frozen=True)
class Submission:
    """A card button press: what it was, and the data the card carried."""

    kind: str
    data: dict[str, Any]


def parse_submission(value: Any) -> Submission | None:
    """A card's submitted value, if it is one of ours (else None: an old or foreign card)."""
    if not isinstance(value, dict):
        return None
    kind = value.get("coachbot")
    if kind not in SUBMIT_KINDS:
        return None
    return Submission(kind, value)


def as_int(value: Any) -> int | None:
    """An integer from card data (cards may send numbers as strings), or None."""
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a float too large for any id
        return None


def _clean(name: str) -> str:
    return html.unescape(TAGS.sub("", name or "")).strip()
