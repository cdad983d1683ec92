"""Prospecting focus: when a rep is short of opportunities, more (and better) prospecting plus coaching
on each opportunity they do have.

Too few opportunities is nearly always what sits under a failing rep's numbers. Asking for more
activity alone rarely fixes it: a rep who avoids prospecting usually isn't confident at it, so the
manager both sets a clear weekly expectation and gives the help (time, a list, words to use, company
on calls). And while the pipeline is thin every deal counts double, so each one gets coached.

Pure: what the talk knows comes in its params; weeks and `today` come in as arguments.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from flows.outputs import Feedback, Section
from flows.signals.facts import WeekCount, week_counts

KINDS = frozenset({"opportunities_falling", "opportunities_below_target"})
TARGET_MIN, TARGET_MAX = 1, 100
FALLING_WEEKS = 3  # answered weeks in a row, each lower than the one before
BAR_WIDTH = 10
NO_ANSWER = "—"

PROSPECTING = (
    "Block prospecting time in the calendar (e.g. two 90-minute slots a week) and treat it like a meeting.",
    "Build a target list together: 30–50 named accounts that fit, so the time starts with dialling, not searching.",
    "Go back to old ground: closed-lost deals from 6–12 months ago, dormant customers, and referrals from happy ones.",
    "Practise the opening together: a short call and email script {rep} is comfortable saying out loud.",
)
COACHING = (
    "A short deal review per open opportunity with you: next step, who decides, what could stall it.",
    "Join (or prepare) {rep}'s next important calls, so each new opportunity gets the best shot.",
)
TARGET_HINT = ("Add a weekly target as its own line, e.g. “target: 5 new opportunities a week”. The check-ins "
               "and the review then show each week's count against it.")
TARGET_LINE = re.compile(r"^\s*(?:weekly\s+)?target\s*[:\-–]\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
TARGET_FORM = "“target: 5 new opportunities a week”"
# Besides its number, a weekly target line may say only that it counts new opportunities a week; a
# "target:" line about anything else (calls a day, closing a deal) is an ordinary action item.
_TARGET_WORDS = frozenset({"new", "opportunity", "opportunities", "opp", "opps", "a", "per", "each", "every",
                           "week", "wk", "weekly", "pw", "to", "or", "and", "at", "least"})
_NUMBER_WORDS = frozenset("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
                          "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
                          "eighty ninety hundred dozen".split())
_NEW_OPPORTUNITIES = re.compile(r"\bnew\s+(?:opportunit(?:y|ies)|opps?)\b", re.IGNORECASE)
_OPPORTUNITIES = re.compile(r"\b(?:opportunit(?:y|ies)|opps?)\b", re.IGNORECASE)
_RATE = re.compile(r"\b(?:a|an|per|each|every)\s+(?:day|week|wk|month|quarter|year)\b|\b(?:daily|weekly|monthly|"
                   r"quarterly|yearly)\b|/\s*(?:day|week|wk|month|quarter|year)\b", re.IGNORECASE)


def _only_a_weekly_count(rest: str) -> bool:
    # Digits of any script count as a number here, so "٥ a week" is a target written in the wrong digits.
    for word in re.findall(r"\w+(?:[.,]\w+)*", rest.lower()):
        if not (any(c.isdigit() for c in word) or word in _NUMBER_WORDS or word in _TARGET_WORDS):
            return False
    return True


def _about_opportunities(rest: str) -> bool:
    return _NEW_OPPORTUNITIES.search(rest) is not None or (
        _OPPORTUNITIES.search(rest) is not None and _RATE.search(rest) is not None)


def facts_param(prepared: Iterable[str], raised: Iterable[str], weeks: Iterable[int | None],
                target: int | None) -> dict[str, Any]:
    """What the talk needs to know about the rep's opportunities, as JSON for its params."""
    return {"prepared": sorted({k for k in prepared if k in KINDS}), "raised": sorted({k for k in raised if k in KINDS}),
            "weeks": [w if isinstance(w, int) else None for w in weeks], "target": target}


def focus(params: Mapping[str, Any]) -> bool:
    """Whether this talk is about too few opportunities: prepared from (or facing) an opportunities flag,
    or the brief's weeks fall week on week or sit below the rep's target."""
    opp = params.get("opportunities")
    if not isinstance(opp, Mapping):
        return False
    if any(k in KINDS for k in (*(opp.get("prepared") or ()), *(opp.get("raised") or ()))):
        return True
    known = [w for w in opp.get("weeks") or () if isinstance(w, int) and not isinstance(w, bool)]
    tail = known[-FALLING_WEEKS:]
    if len(tail) == FALLING_WEEKS and all(a > b for a, b in zip(tail, tail[1:])):
        return True
    target = opp.get("target")
    return isinstance(target, int) and len(known) >= 2 and all(w < target for w in known[-2:])


def options_notes(params: Mapping[str, Any]) -> tuple[Section, ...]:
    """Ideas for the options step when the talk is about too few opportunities; nothing otherwise."""
    if not focus(params):
        return ()
    rep = str(params.get("rep", "the rep"))
    return (Section("Ideas: more prospecting, and better", tuple(x.format(rep=rep) for x in PROSPECTING)),
            Section("Ideas: coaching each opportunity", tuple(x.format(rep=rep) for x in COACHING)))


def plan_notes(params: Mapping[str, Any]) -> tuple[Section, ...]:
    """The weekly-target tip for the plan step, when the talk is about too few opportunities."""
    return (Section("A weekly target", (TARGET_HINT,)),) if focus(params) else ()


def is_target_line(line: str) -> bool:
    """Whether a plan line sets the weekly target of new opportunities ("target: 5 new opportunities a
    week"), as opposed to an action item that happens to start with "Target:"."""
    m = TARGET_LINE.match(line)
    return m is not None and (_only_a_weekly_count(m.group("rest")) or _about_opportunities(m.group("rest")))


def parse_target(line: str) -> tuple[int | None, list[Feedback]]:
    """The weekly target on a "target: ..." line (1..100, written in digits 0-9), or what is wrong with it."""
    m = TARGET_LINE.match(line)
    rest = m.group("rest").strip() if m else line.strip()
    example = f"e.g. {TARGET_FORM}"
    if not _only_a_weekly_count(rest):
        return None, [Feedback("error", "target_form", f"“{rest[:60]}” isn't a weekly target I can read. A target "
                               f"line holds only the number of new opportunities a week, written as {TARGET_FORM} "
                               f"(1 to {TARGET_MAX}); put anything else on its own line as an action item.",
                               rest[:40])]
    if re.search(r"\d", rest, re.ASCII) is None and re.search(r"\d", rest):
        return None, [Feedback("error", "target_digits", f"Write the weekly target with the digits 0–9 ({example}).",
                               rest[:40])]
    numbers = re.findall(r"\d+(?:[.,]\d+)?", rest, re.ASCII)
    if not numbers:
        words = [w for w in re.findall(r"\w+", rest.lower()) if w in _NUMBER_WORDS]
        missing = (f"Write “{words[0]}” in digits: how many new opportunities a week, {example}." if words else
                   f"The target line has no number. Say how many new opportunities a week, {example}.")
        return None, [Feedback("error", "target_missing", missing, rest[:40])]
    if len(numbers) > 1:
        return None, [Feedback("error", "target_many", f"“{rest[:60]}” has more than one number; give one weekly "
                               f"target, {example}.", rest[:40])]
    if not numbers[0].isdigit():
        return None, [Feedback("error", "target_whole", f"“{numbers[0]}” isn't a whole number; a weekly target "
                               f"counts opportunities, {example}.", rest[:40])]
    value = int(numbers[0])
    if not TARGET_MIN <= value <= TARGET_MAX:
        return None, [Feedback("error", "target_range", f"A weekly target of {value} is out of range; pick "
                               f"{TARGET_MIN} to {TARGET_MAX} new opportunities a week.", rest[:40])]
    return value, []


def target_of(items: Iterable[Mapping[str, Any]]) -> int | None:
    """The weekly target among the plan's items, if one was set."""
    for item in items:
        if isinstance(item.get("target"), int):
            return item["target"]
    return None


def target_text(target: int) -> str:
    """The target as people read it."""
    return f"{target} new opportunit{'y' if target == 1 else 'ies'} a week"


@dataclass(frozen=True)
class Week:
    start: date  # a Monday
    count: int | None  # None: nobody answered that week (not zero)
    source: str | None = None  # "crm" when the CRM's count is the week's, else the rep's pulse answer


def weeks_since(counts: Iterable[tuple[date, int, str]], first: date, last: date,
                crm_from: date | None = None) -> tuple[Week, ...]:
    """One entry per week from `first`'s Monday to `last`'s (today's), each counted as the signals count it
    (flows.signals.facts.week_counts): None for a week with no answer, 0 for a finished week without a deal
    once the CRM reports every new deal (from the Monday `crm_from`)."""
    found = week_counts((WeekCount(w, c, src) for w, c, src in counts if w.weekday() == 0), today=last,
                        crm_from=crm_from)
    monday = first - timedelta(days=first.weekday())
    end = last - timedelta(days=last.weekday())
    out = []
    while monday <= end:
        week = found.get(monday)
        out.append(Week(monday, week.count, week.source) if week else Week(monday, None))
        monday += timedelta(weeks=1)
    return tuple(out)


def series_lines(weeks: Iterable[Week], target: int) -> tuple[str, ...]:
    """Text bars of each week's new opportunities against the target, with the numbers written out;
    a week with no answer shows "—", never 0."""
    weeks = tuple(weeks)
    lines = [f"New opportunities a week against the target of {target}:"]
    for w in weeks:
        label = f"wk {w.start.day} {w.start:%b}"
        if w.count is None:
            lines.append(f"{label}  {'·' * BAR_WIDTH} {NO_ANSWER}/{target} (no answer)")
            continue
        full = min(BAR_WIDTH, round(BAR_WIDTH * w.count / target)) if target else 0
        mark = " ✓" if w.count >= target else ""
        lines.append(f"{label}  {'█' * full}{'░' * (BAR_WIDTH - full)} {w.count}/{target}{mark}")
    met = sum(1 for w in weeks if w.count is not None and w.count >= target)
    answered = sum(1 for w in weeks if w.count is not None)
    if answered:
        lines.append(f"Target met in {met} of {answered} answered week{'s' if answered != 1 else ''}.")
    return tuple(lines)
