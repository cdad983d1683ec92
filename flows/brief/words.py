"""Small wording pieces the brief's parts share: dates, lists, quoted typed text, bounded lists."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the signals quote typed text with `clip` too, and the brief's facts import them
    from flows.brief.facts import Brief, OpportunityWeek

MOST_LINES = 8  # per section: more are counted ("3 more not shown"), never dropped silently
MOST_TEXT = 80  # characters of a deal name or plan item quoted in the brief
NOTHING = "nothing recorded yet"


def bounded(lines: list[str]) -> tuple[str, ...]:
    """At most MOST_LINES lines; past that, the last line counts how many more are not shown."""
    if len(lines) <= MOST_LINES:
        return tuple(lines)
    left = len(lines) - (MOST_LINES - 1)
    return tuple(lines[:MOST_LINES - 1]) + (f"…and {left} more not shown.",)


def upper(text: str) -> str:
    """`text` with its first letter in upper case (the rest as it is)."""
    return text[:1].upper() + text[1:]


def clip(text: str) -> str:
    """Typed text on one line, cut to MOST_TEXT characters with an ellipsis when longer."""
    text = " ".join(str(text).split())
    return text if len(text) <= MOST_TEXT else text[:MOST_TEXT - 1] + "…"


def quote(text: str) -> str:
    """Typed text, clipped, in quotation marks."""
    return f"“{clip(text)}”"


def day(d: date, year: bool) -> str:
    """A day as '12 Nov', or '12 Nov 2026' with `year`."""
    return f"{d.day} {d:%b} {d.year}" if year else f"{d.day} {d:%b}"


def days(n: int) -> str:
    """'1 day' or 'n days'."""
    return "1 day" if n == 1 else f"{n} days"


def and_(parts: list[str]) -> str:
    """Parts as one list: 'a, b and c'."""
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def span(b: Brief) -> str:
    """The brief's complete weeks, e.g. "weeks of 2 Nov – 23 Nov 2026"."""
    first, last = b.weeks[0].week_start, b.weeks[-1].week_start
    if len(b.weeks) == 1:
        return f"the week of {day(first, True)}"
    return f"weeks of {day(first, first.year != last.year)} – {day(last, True)}"


def sources(weeks: list[OpportunityWeek], whose: str = "the rep's") -> str:
    """Where the counts came from: the CRM, the weekly pulse answers, or both."""
    found = {w.source for w in weeks}
    if found == {"crm"}:
        return "from the CRM"
    if found == {"pulse"}:
        return f"from {whose} weekly pulse answers"
    return f"from the CRM and {whose} weekly pulse answers"
