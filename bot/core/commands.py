"""Parsing `/coach ...` text into a neutral command; shared by every transport."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

SLACK_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|(?P<name>[^>]*))?>")
AT_HANDLE = re.compile(r"(?<![\w<])@(?P<handle>[A-Za-z][\w.\-]{0,79})")


@dataclass(frozen=True)
class PersonRef:
    """A person named in a command: their platform id and the name shown for them."""

    external_id: str
    name: str


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()
    people: tuple[PersonRef, ...] = ()
    text: str = ""  # everything after the subcommand, mentions included


@dataclass(frozen=True)
class Spec:
    """One `/coach` subcommand: how it is typed and what every transport needs to know about it."""

    name: str
    syntax: str
    summary: str
    examples: tuple[str, ...] = field(default_factory=tuple)
    names_people: bool = False  # bare words after it may be a person's name ("talk Megan Bowen")
    public: bool = False  # its answer may be shown where it was typed; otherwise only to the person
    form_when_bare: bool = False  # typed without arguments, it opens a form where the platform has them


# The one list of subcommands: the service dispatches from it, every transport parses and routes by it,
# and help, the Slack manifest and the Teams command list are checked against it.
COMMANDS = {
    c.name: c
    for c in (
        Spec("help", "help", "show this list", ("/coach help",)),
        Spec("talk", "talk @rep", "prepare and record a difficult conversation with one of your reps, step by step",
             ("/coach talk @alex",), names_people=True),
        Spec("plans", "plans", "open plans: the ones you agreed with your reps, and your own", ("/coach plans",)),
        Spec("close", "close @rep", "close the plan with a rep after the review; its check-ins stop",
             ("/coach close @alex",), names_people=True),
        Spec("lost", "lost <deal> [amount] [@rep]", "log a lost deal; the rep gets a short retrospective to fill in",
             ("/coach lost Acme renewal 12k @alex",), public=True),
        Spec("retro", "retro", "fill in the retrospective waiting for you", ("/coach retro",)),
        Spec("report", "report [30d|90d|quarter]", "why your team's deals were lost: reasons, trend, patterns, "
             "missing retrospectives", ("/coach report 90d",)),
        Spec("team", "team [add|remove @rep ...|accept|decline [@manager]|set @manager @rep|sync]", "your team: who "
             "reports to you, whom you report to; a rep accepts an invitation before their manager sees anything "
             "of theirs (admins: set a line, or sync lines from the manager field of Slack profiles)",
             ("/coach team add @alex @jo", "/coach team accept", "/coach team sync")),
        Spec("checkin", "checkin [@rep]", "as a rep: tell your manager how your plan is going; "
             "as a manager: note that you checked in with a rep", ("/coach checkin", "/coach checkin @alex"),
             names_people=True),
        Spec("signals", "signals", "as a rep: what coachbot tells your manager about you; as a manager: the signals "
             "about your reps (a decline in new opportunities, repeated loss reasons, \u201cstuck\u201d answers...)",
             ("/coach signals",)),
        Spec("settings", "settings", "your time zone, working hours and days (nudges only arrive inside them)",
             ("/coach settings",), form_when_bare=True),
        Spec("pause", "pause <duration|until date>", "no nudges for a while", ("/coach pause 2w",
                                                                                "/coach pause until 2026-12-10")),
        Spec("resume", "resume", "turn nudges back on after a pause", ("/coach resume",)),
        Spec("cancel", "cancel", "stop the conversation you are in; its draft is deleted", ("/coach cancel",)),
    )
}


def spec_of(cmd: Command) -> Spec | None:
    """The registered subcommand a parsed command names, or None when there is no such subcommand."""
    return COMMANDS.get(cmd.name)


def unknown_text(name: str) -> str:
    """The first line of the answer to a subcommand nobody registered (plain text; renderers escape it)."""
    return f"I don't know “{name}”."


def help_text(prefix: str = "/coach") -> str:
    """The list of subcommands with one example each."""
    lines = ["Here is what I can do:"]
    for u in COMMANDS.values():
        lines.append(f"• {prefix} {u.syntax} — {u.summary}" + (f"  (e.g. {u.examples[0]})" if u.examples else ""))
    return "\n".join(lines)


def usage_line(name: str, prefix: str = "/coach") -> str:
    """How to call one subcommand, with an example."""
    u = COMMANDS[name]
    return f"Usage: {prefix} {u.syntax} — e.g. {u.examples[0]}" if u.examples else f"Usage: {prefix} {u.syntax}"


def parse(text: str, *, handles_are_ids: bool = True) -> Command:
    """Split `talk <@U1|alex> ...` or `talk @alex` into a command with its people resolved to refs.

    Slack sends mentions as <@U123|name>; the console and Teams' plain text use @handle, which is
    then both the id and the name.
    """
    text = (text or "").strip()
    if not text:
        return Command("help")
    name, _, rest = text.partition(" ")
    people: list[PersonRef] = []
    for m in SLACK_MENTION.finditer(rest):
        people.append(PersonRef(m["id"], (m["name"] or "").strip() or m["id"]))
    plain = SLACK_MENTION.sub(" ", rest)
    for m in AT_HANDLE.finditer(plain):
        handle = m["handle"].rstrip(".-")
        shown = handle[:1].upper() + handle[1:] if handle.islower() else handle
        people.append(PersonRef(handle.lower() if handles_are_ids else handle, shown))
    args = tuple(a for a in AT_HANDLE.sub(" ", plain).split() if a)
    return Command(name.lower().lstrip("/"), args, tuple(people), rest.strip())
