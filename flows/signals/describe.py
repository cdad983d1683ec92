"""A flag as plain, calm facts with dates and numbers: for the manager, and as the rep reads it.

The text is plain; a renderer escapes it for its platform (deal names are typed by people).
"""
from __future__ import annotations

from datetime import date

from flows.brief.words import clip
from flows.checkin import LABELS as ANSWER_LABELS
from flows.retro import REASON_LABELS
from flows.signals.facts import week_of
from flows.signals.flags import Flag

WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
TOLD = "Your manager was told: "


def describe(flag: Flag, rep_name: str) -> str:
    """What the manager is told about `rep_name`, e.g. "Alex: 4, 2, 1, 0 new opportunities in the four weeks of …"."""
    return f"{rep_name}: {_body(flag, to_rep=False)}"


def describe_for_rep(flag: Flag) -> str:
    """The same facts as the manager hears them, phrased to the rep."""
    return TOLD + _body(flag, to_rep=True)


def _body(f: Flag, *, to_rep: bool) -> str:
    n = f.measure
    if f.kind in ("opportunities_falling", "opportunities_below_target"):
        counts = ", ".join(str(c.count) for c in f.facts)
        when = _weeks(f.facts[0].week_start, f.facts[-1].week_start, len(f.facts))
        text = (f"your new opportunities were {counts} in {when}" if to_rep
                else f"{counts} new opportunities in {when}")
        if f.kind == "opportunities_below_target":
            text += f", below the plan's {f.target} a week"
        return f"{text} ({_source(f, to_rep)})."
    if f.kind == "repeated_loss_cause":
        label = REASON_LABELS.get(f.cause or "", f.cause or "")
        deals = _and([f"{clip(loss.deal)} on {_day(loss.on, loss.on.year != f.facts[-1].on.year)}" for loss in f.facts])
        heard = sum(loss.buyer_confirmed is True for loss in f.facts)
        whose = f"{n} of your lost deals had" if to_rep else f"{n} lost deals with"
        return (f"{whose} the same main reason (“{label}”) within {_count_weeks(_window_weeks(f))}: {deals} "
                f"{f.facts[-1].on.year}; the buyer confirmed it for {heard} of the {n}.")
    if f.kind == "stuck":
        said = _and([f"“{ANSWER_LABELS[a.status]}” on {_day(a.on, a.on.year != f.facts[-1].on.year)}" for a in f.facts])
        who = "you" if to_rep else "they"
        return (f"{who} answered “Stuck” or “Could use a hand” {_times(n)} within "
                f"{_count_weeks(_window_weeks(f))}: {said} {f.facts[-1].on.year}.")
    if f.kind == "overdue_actions":
        whose = "your" if to_rep else "their"
        return f"{n} of {whose} actions {_past_due(n)} ({_dates('due', [a.due for a in f.facts])})."
    if f.kind == "manager_commitments_missed":
        whose = "their commitments to you" if to_rep else "your commitments to them"
        return f"{n} of {whose} {_past_due(n)} ({_dates('due', [a.due for a in f.facts])})."
    if f.kind == "silent":
        whose = "your last" if to_rep else "the last"
        what = f"{whose} {n} check-ins went" if n != 1 else f"{whose} check-in went"
        return f"{what} unanswered ({_dates('sent', [a.on for a in f.facts])})."
    if f.kind == "manager_absent":
        if f.facts:
            whose = "their last check-in with you" if to_rep else "your last check-in with them"
            return f"{n} days since {whose} ({_day(f.first, True)})."
        who = "them" if to_rep else "you"
        return f"no check-in from {who} yet in the {n} days since {_day(f.first, True)}."
    raise ValueError(f"no wording for a {f.kind!r} flag")


def _window_weeks(f: Flag) -> int:
    # The facts lie inside the window by construction; the weeks named are those they span, at least one.
    return (week_of(f.facts[-1].on) - week_of(f.facts[0].on)).days // 7 + 1


def _source(f: Flag, to_rep: bool) -> str:
    sources = {c.source for c in f.facts}
    your = "your" if to_rep else "their"
    if sources == {"crm"}:
        return "from the CRM"
    if sources == {"pulse"}:
        return f"from {your} weekly pulse answers"
    return f"from the CRM and {your} weekly pulse answers"


def _past_due(n: int) -> str:
    return "is past its due date" if n == 1 else "are past their due date"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _count_weeks(n: int) -> str:
    return "one week" if n == 1 else f"{_word(n)} weeks"


def _word(n: int) -> str:
    return WORDS[n] if 0 <= n < len(WORDS) else str(n)


def _day(d: date, year: bool) -> str:
    return f"{d.day} {d:%b} {d.year}" if year else f"{d.day} {d:%b}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _dates(verb: str, days: list[date]) -> str:
    """ "due 2 Nov, 9 Nov and 16 Nov 2026": the year once at the end, unless the dates cross a year."""
    last = len(days) - 1
    return f"{verb} " + _and([_day(d, d.year != days[-1].year or i == last) for i, d in enumerate(days)])


def _weeks(first: date, last: date, n: int) -> str:
    if n == 1:
        return f"the week of {_day(first, True)}"
    return f"the {_word(n)} weeks of {_day(first, first.year != last.year)} – {_day(last, True)}"
