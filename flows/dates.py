"""Due dates from the phrases managers actually type ("by Friday", "in 2 weeks", "4 Dec").

Everything is relative to a `today` passed in, so the same phrase gives the same date in tests.
Ambiguous numeric forms like 04/12 are deliberately not guessed: they read differently in the US
and in Europe, and a wrong due date is worse than a question.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY_RE = r"(mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?"
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTH_RE = (
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
    r"(?:uary|ruary|ch|il|e|y|ust|ember|tember|ober)?"
)
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "few": 3,
}
NUM_RE = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple of|few)"

# The furthest ahead a typed date may lie (a review, a due date, a check-by date). Half a year is the
# longest stretch a coaching plan stays one plan, and it bounds what a single answer can schedule.
MAX_AHEAD_WEEKS = 26
MAX_AHEAD_DAYS = MAX_AHEAD_WEEKS * 7

_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    ("dmy", rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{MONTH_RE})\.?(?:,?\s+(?P<y>\d{{4}}))?"),
    ("mdy", rf"(?P<mon>{MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?"),
    ("rel", rf"in\s+(?P<n>{NUM_RE})\s+(?P<unit>business\s+days?|working\s+days?|days?|weeks?|months?)"),
    ("fortnight", r"in\s+a\s+fortnight"),
    ("eoX", r"(?:the\s+)?end\s+of\s+(?:the\s+)?(?P<which>this\s+|next\s+)?(?P<unit>week|month|quarter)"),
    ("eoabbr", r"(?P<abbr>eow|eom|eoq)"),
    ("nextweek", r"(?P<which>next|this)\s+week"),
    ("nextmonth", r"next\s+month"),
    ("weekday", rf"(?P<which>this\s+|next\s+|coming\s+)?(?P<wd>{WEEKDAY_RE})"),
    ("dayafter", r"(?:the\s+)?day\s+after\s+tomorrow"),
    ("today", r"today|tonight|end\s+of\s+(?:the\s+)?day|eod"),
    ("tomorrow", r"tomorrow|tmrw|tmr"),
]
_COMPILED = [(name, re.compile(rf"\b(?:{rx})\b", re.IGNORECASE)) for name, rx in _PATTERNS]
_LEAD = re.compile(r"^\s*(?:by|on|due|before|until|for|no\s+later\s+than)\s+", re.IGNORECASE)


def parse_date(text: str, today: date) -> date | None:
    """The date a whole answer names ("by Friday", "2026-12-04"), or None if it names none."""
    cleaned = _LEAD.sub("", text.strip()).strip(" .!")
    for name, rx in _COMPILED:
        m = rx.fullmatch(cleaned)
        if m:
            return _resolve(name, m, today)
    return None


def find_date(text: str, today: date) -> tuple[date | None, str | None]:
    """The first date mentioned inside a longer sentence, with the phrase that named it."""
    best: tuple[int, date, str] | None = None
    for name, rx in _COMPILED:
        for m in rx.finditer(text):
            if name == "weekday" and _is_part_of_other(text, m):
                continue
            found = _resolve(name, m, today)
            if found is not None and (best is None or m.start() < best[0]):
                best = (m.start(), found, m.group(0))
            break
    if best is None:
        return None, None
    return best[1], best[2]


def add_business_days(start: date, n: int, workdays: frozenset[int] = frozenset(range(5))) -> date:
    """`n` working days after `start` (Monday=0 ... Sunday=6 in `workdays`)."""
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() in workdays:
            n -= 1
    return d


def next_workday(d: date, workdays: frozenset[int] = frozenset(range(5))) -> date:
    """`d` itself if it is a working day, else the next one."""
    while d.weekday() not in workdays:
        d += timedelta(days=1)
    return d


def _is_part_of_other(text: str, m: re.Match) -> bool:
    # "mar" in "market" is excluded by \b already; "sat" as in "sat with" is a real risk.
    return m.group(0).lower() in ("sat", "sun", "wed")


def _resolve(name: str, m: re.Match, today: date) -> date | None:
    try:
        if name == "iso":
            return date(int(m["y"]), int(m["m"]), int(m["d"]))
        if name in ("dmy", "mdy"):
            month = MONTHS.index(m["mon"][:3].lower()) + 1
            day = int(m["d"])
            if m["y"]:
                return date(int(m["y"]), month, day)
            candidate = date(today.year, month, day)
            # "3 Nov" typed in late November most likely means the past date, which the caller
            # should reject, not a date eleven months away; only roll over for dates well past.
            if (today - candidate).days > 60:
                candidate = date(today.year + 1, month, day)
            return candidate
        if name == "rel":
            n = NUMBER_WORDS.get(m["n"].lower(), None) or int(m["n"])
            unit = m["unit"].lower()
            if unit.startswith(("business", "working")):
                return add_business_days(today, n)
            if unit.startswith("day"):
                return today + timedelta(days=n)
            if unit.startswith("week"):
                return today + timedelta(weeks=n)
            return _add_months(today, n)
        if name == "fortnight":
            return today + timedelta(days=14)
        if name == "eoX":
            return _end_of(m["unit"].lower(), today, nxt=bool(m["which"] and "next" in m["which"].lower()))
        if name == "eoabbr":
            return _end_of({"eow": "week", "eom": "month", "eoq": "quarter"}[m["abbr"].lower()], today)
        if name == "nextweek":
            friday = today + timedelta(days=(4 - today.weekday()) % 7)
            if m["which"].lower() == "next":
                return friday + timedelta(days=7) if today.weekday() <= 4 else friday
            return friday if today.weekday() <= 4 else None
        if name == "nextmonth":
            return _end_of("month", _add_months(today.replace(day=1), 1))
        if name == "weekday":
            return _weekday(m, today)
        if name == "dayafter":
            return today + timedelta(days=2)
        if name == "today":
            return today
        if name == "tomorrow":
            return today + timedelta(days=1)
    except (ValueError, OverflowError):  # 31 Feb; a date past 9999-12-31 or before year 1
        return None
    return None


def _weekday(m: re.Match, today: date) -> date:
    target = [w[:3] for w in WEEKDAYS].index(m["wd"][:3].lower())
    which = (m["which"] or "").strip().lower()
    ahead = (target - today.weekday()) % 7
    if which == "this":
        return today + timedelta(days=ahead)
    if which == "next":
        # "next Friday" is the Friday of next week, not the coming one.
        monday_next = today + timedelta(days=7 - today.weekday())
        return monday_next + timedelta(days=target)
    return today + timedelta(days=ahead or 7)


def _end_of(unit: str, today: date, nxt: bool = False) -> date:
    if unit == "week":
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return friday + timedelta(days=7) if nxt else friday
    if unit == "month":
        base = _add_months(today.replace(day=1), 1 if nxt else 0)
        return _add_months(base, 1) - timedelta(days=1)
    q_start_month = 3 * ((today.month - 1) // 3) + 1
    base = _add_months(date(today.year, q_start_month, 1), 3 if nxt else 0)
    return _add_months(base, 3) - timedelta(days=1)


def _add_months(d: date, n: int) -> date:
    month = d.month - 1 + n
    year = d.year + month // 12
    month = month % 12 + 1
    days_in = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30,
               31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(d.day, days_in))


def format_day(d: date | str) -> str:
    """A date as people read it: "Mon 7 Dec 2026"."""
    if isinstance(d, str):
        d = date.fromisoformat(d)
    return f"{d:%a} {d.day} {d:%b %Y}"


def known_zone(name: str | None) -> str | None:
    """`name` when it is an IANA time zone this machine knows ("Europe/Berlin"), else None."""
    if not name or not isinstance(name, str) or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" names a folder of zones
        return None
    return name


_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,30}(?:/[A-Za-z0-9_+\-]{1,30}){0,2}")
