"""Team loss reports: reason counts and shares, the trend, per-rep patterns — pure functions of counts."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

from flows.retro import REASON_LABELS

MIN_GROUP = 5  # below this many reps, a report for anyone but their own manager shows no breakdown
PATTERN_MIN_LOSSES = 3
PATTERN_MIN_SHARE = 0.5
PERIODS = ("30d", "90d", "quarter")


@dataclass(frozen=True)
class Period:
    label: str
    start: date  # inclusive
    end: date  # exclusive
    previous_start: date
    previous_end: date


@dataclass(frozen=True)
class ReasonLine:
    reason: str
    label: str
    count: int
    share: float
    previous_count: int
    previous_share: float

    @property
    def trend_points(self) -> float:
        """Change in share since the previous period, in percentage points."""
        return round((self.share - self.previous_share) * 100, 1)


@dataclass(frozen=True)
class Pattern:
    rep_id: int
    rep_name: str
    reason: str
    count: int
    total: int


@dataclass(frozen=True)
class Report:
    period: Period
    scope: str  # "team" (the manager's own reps) or "aggregate" (anyone else)
    total: int
    previous_total: int
    reasons: tuple[ReasonLine, ...]
    patterns: tuple[Pattern, ...]
    missing: tuple[tuple[str, int], ...]
    reps_counted: int
    suppressed: bool = False  # too few reps this period: no number at all is shown
    earlier_suppressed: bool = False  # too few reps in the period before: no trend, no earlier numbers


def period(spec: str, today: date) -> Period | None:
    """The reporting window for "30d", "90d" or "quarter" (this calendar quarter so far), and the one before."""
    spec = (spec or "30d").lower()
    if spec in ("30d", "90d"):
        days = int(spec[:-1])
        end = today + timedelta(days=1)
        start = end - timedelta(days=days)
        return Period(f"last {days} days", start, end, start - timedelta(days=days), start)
    if spec == "quarter":
        q_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        prev_month = q_start.month - 3
        prev_start = date(q_start.year - (prev_month < 1), (prev_month - 1) % 12 + 1, 1)
        return Period(f"Q{(q_start.month - 1) // 3 + 1} {q_start.year} so far", q_start, today + timedelta(days=1),
                      prev_start, q_start)
    return None


def build(
    p: Period,
    current: Iterable[tuple[str | None, int, int]],
    previous: Iterable[tuple[str | None, int, int]],
    missing: Iterable[tuple[int, int]],
    names: Mapping[int, str],
    *,
    own_team: bool,
    min_group: int = MIN_GROUP,
) -> Report:
    """A report from (reason, rep id, count) rows of this and the previous period and (rep id, count) missing."""
    current, previous = list(current), list(previous)
    now_by_reason, before_by_reason = _by_reason(current), _by_reason(previous)
    total, previous_total = sum(now_by_reason.values()), sum(before_by_reason.values())
    reps = {rep for _, rep, n in current if n}
    missing_list = tuple(sorted(((names.get(r, "?"), n) for r, n in missing if n), key=lambda x: (-x[1], x[0])))
    # The minimum group holds for every number shown to anyone but the reps' own manager: a total, a count
    # of people or an earlier period's figures from three reps points at them as much as a breakdown does.
    if not own_team and len(reps) < min_group:
        return Report(p, "aggregate", 0, 0, (), (), (), 0, suppressed=True)
    earlier_suppressed = not own_team and len({rep for _, rep, n in previous if n}) < min_group
    if earlier_suppressed:
        before_by_reason, previous_total = {}, 0
    lines = tuple(sorted(
        (ReasonLine(r, REASON_LABELS.get(r, r), n, n / total if total else 0.0, before_by_reason.get(r, 0),
                    before_by_reason.get(r, 0) / previous_total if previous_total else 0.0)
         for r, n in now_by_reason.items()),
        key=lambda line: (-line.count, line.label)))
    patterns = _patterns(current, names) if own_team else ()
    return Report(p, "team" if own_team else "aggregate", total, previous_total, lines, patterns,
                  missing_list if own_team else (), len(reps), earlier_suppressed=earlier_suppressed)


def _by_reason(rows: list[tuple[str | None, int, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for reason, _rep, n in rows:
        out[reason or "other"] += n
    return dict(out)


def _patterns(rows: list[tuple[str | None, int, int]], names: Mapping[int, str]) -> tuple[Pattern, ...]:
    per_rep: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for reason, rep, n in rows:
        per_rep[rep][reason or "other"] += n
    found = []
    for rep, reasons in per_rep.items():
        total = sum(reasons.values())
        reason, count = max(reasons.items(), key=lambda kv: (kv[1], kv[0]))
        if total >= PATTERN_MIN_LOSSES and count / total >= PATTERN_MIN_SHARE:
            found.append(Pattern(rep, names.get(rep, "?"), reason, count, total))
    return tuple(sorted(found, key=lambda pt: (-pt.count, pt.rep_name)))


def lines(report: Report) -> list[str]:
    """The report as plain lines of text (console, chat fallback, tests)."""
    p = report.period
    head = f"Loss reasons — {'your team' if report.scope == 'team' else 'the team'}, {p.label} " \
           f"({p.start:%d %b} – {(p.end - timedelta(days=1)):%d %b %Y})"
    if report.suppressed:
        return [head, f"Too few people lost deals in this period to show any figures without pointing at someone; "
                      f"they are shown once at least {MIN_GROUP} reps are counted."]
    out = [head + f": {report.total} lost deal{'' if report.total == 1 else 's'} with a retrospective"]
    if not report.reasons:
        out.append("No finished retrospectives in this period yet.")
    if report.earlier_suppressed:
        out.append(f"No trend: too few people lost deals in the period before to compare without pointing at "
                   f"someone (at least {MIN_GROUP} reps).")
    for r in report.reasons:
        trend = "" if report.earlier_suppressed else _trend(r, report.previous_total)
        out.append(f"  {r.label:<28} {r.count:>4}  {r.share * 100:>3.0f}%  {trend}")
    if report.patterns:
        out.append("Patterns worth a coaching conversation:")
        for pt in report.patterns:
            out.append(f"  {pt.rep_name}: {pt.count} of {pt.total} losses on {REASON_LABELS.get(pt.reason, pt.reason).lower()}")
    if report.missing:
        out.append("Retrospectives still missing: " + ", ".join(f"{name} {n}" for name, n in report.missing))
    return out


def _trend(r: ReasonLine, previous_total: int) -> str:
    if not previous_total:
        return "(no earlier data)"
    pts = r.trend_points
    arrow = "▲" if pts > 0 else "▼" if pts < 0 else "="
    return f"{arrow} {pts:+.0f} pts (was {r.previous_count} of {previous_total})"
