"""When a rep is flagged: each kind of decline checked against the workspace's thresholds.

A flag's episode starts on a known day (`first`); its key (kind, rep, the week it started) stays the
same while the episode lasts, so a dismissed or snoozed flag is not raised again for it, and a new
episode gets a new key. An episode found to reach back further than first seen (an older week answered
late) keeps the key it was recorded under. Nothing here reads the clock: `today` is an argument.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Callable, Iterable, TypeVar

from flows.signals.facts import NEEDS_HAND, ActionDue, RepFacts, WeekCount, week_of
from flows.signals.thresholds import Thresholds
from flows.signals.weekly import WEEK, days_since_manager_checkin, unanswered_asks

KINDS = ("stuck", "repeated_loss_cause", "opportunities_falling", "opportunities_below_target", "overdue_actions",
         "silent", "manager_absent", "manager_commitments_missed")
STRONG, WEAK = "strong", "weak"
AT_ONCE = frozenset({"opportunities_falling", "repeated_loss_cause", "stuck"})
IGNORED_CAUSES = frozenset({"other"})  # two "something else" losses are not one cause repeated
T = TypeVar("T")


@dataclass(frozen=True)
class Flag:
    """One reason a rep may need their manager's time, with the dated facts behind it (oldest first).
    `measure` is what was compared with `threshold` (weeks, deals, answers, actions, check-ins or days)."""

    kind: str
    rep: int
    strength: str  # strong: told within a working day; weak: waits for the weekly digest
    first: date  # the first day of the episode
    measure: int
    threshold: int
    facts: tuple[Any, ...]
    as_of: date
    cause: str | None = None  # repeated_loss_cause: the reason code
    target: int | None = None  # opportunities_below_target: new opportunities a week
    recorded: date | None = None  # the week this episode was first recorded from, when it now reaches back further

    @property
    def started(self) -> date:
        """The Monday of the week the episode started."""
        return week_of(self.first)

    @property
    def key(self) -> str:
        """Stable for one episode: kind, rep and the week it started, or was first recorded from (and the
        cause, for losses)."""
        key = f"{self.kind}:{self.rep}:{(self.recorded or self.started).isoformat()}"
        return f"{key}:{self.cause}" if self.cause else key


def flags(history: RepFacts, thresholds: Thresholds, today: date, known: Iterable[str] = ()) -> list[Flag]:
    """Every flag the rep's facts raise as of `today`, strong ones first. `known` are the keys already
    recorded for the rep: an episode that holds one of them is still that episode (see `_as_recorded`)."""
    found = [*_falling(history, thresholds, today), *_below_target(history, thresholds, today),
             *_repeated_causes(history, thresholds, today), *_stuck(history, thresholds, today),
             *_overdue(history, "rep", "overdue_actions", thresholds.overdue_actions, today),
             *_overdue(history, "manager", "manager_commitments_missed", thresholds.manager_missed_commitments, today),
             *_silent(history, thresholds, today), *_absent(history, thresholds, today)]
    keys = set(known)
    episodes = [e for e in map(_episode, keys) if e is not None]
    found = [_as_recorded(f, keys, episodes, today) for f in found]
    return sorted(found, key=lambda f: (f.strength != STRONG, KINDS.index(f.kind), f.cause or ""))


def _episode(key: str) -> tuple[str, int, date, str | None] | None:
    """A key's kind, rep, week and cause; None for a key this version can't read."""
    try:
        kind, rep, week, *cause = key.split(":", 3)
        return kind, int(rep), date.fromisoformat(week), cause[0] if cause else None
    except ValueError:
        return None


def _as_recorded(f: Flag, keys: set[str], episodes: list[tuple[str, int, date, str | None]], today: date) -> Flag:
    """`f` under the key of a recorded episode of the same kind that started inside it (between the week `f`
    starts and this one): the same decline seen reaching back further, as when an older week is answered
    late. One that started before `f` ended before it began, so a decline after a recovery is a new one."""
    if f.key in keys:
        return f
    inside = [w for k, r, w, c in episodes if (k, r, c) == (f.kind, f.rep, f.cause) and f.started < w <= week_of(today)]
    return replace(f, recorded=min(inside)) if inside else f


def _flag(kind: str, facts: RepFacts, first: date, measure: int, threshold: int, evidence: Iterable[Any],
          today: date, step: int = 1, **extra: Any) -> Flag:
    # A decline the method says to act on at once (opportunities falling, the same loss cause again, "stuck"
    # answers) is strong at its threshold: the manager hears it within a working day. The softer ones are
    # weak at the threshold (the weekly digest) and strong one step past it (one more item, or a week of days).
    past = 0 if kind in AT_ONCE else step
    strength = STRONG if measure >= threshold + past else WEAK
    return Flag(kind, facts.rep, strength, first, measure, threshold, tuple(evidence), today, **extra)


def _recent_run(history: RepFacts, today: date,
                keeps: Callable[[WeekCount, WeekCount | None], bool]) -> list[WeekCount]:
    """The weeks with a count in a row, ending with the latest (this week's or last week's), that `keeps`
    accepts; a week with no answer ends the run, so silence never makes a series. The week in progress is
    in it only once the rep answered its pulse: till its end a CRM count is a tally of the days so far."""
    weeks = history.opportunity_weeks(today)
    this_week = week_of(today)
    if not any(c.week_start == this_week and c.source == "pulse" for c in history.opportunities):
        weeks.pop(this_week, None)
    latest = max((w for w in weeks if w <= this_week), default=None)
    if latest is None or latest < this_week - WEEK:
        return []
    run: list[WeekCount] = []
    week = latest
    while week in weeks and keeps(weeks[week], run[0] if run else None):
        run.insert(0, weeks[week])
        week -= WEEK
    return run


def _falling(history: RepFacts, th: Thresholds, today: date) -> list[Flag]:
    run = _recent_run(history, today, lambda c, after: after is None or c.count > after.count)
    falls = len(run) - 1
    if falls < th.falling_weeks:
        return []
    return [_flag("opportunities_falling", history, run[0].week_start, falls, th.falling_weeks, run, today)]


def _below_target(history: RepFacts, th: Thresholds, today: date) -> list[Flag]:
    target = th.min_weekly_opportunities
    if target is None:
        return []
    run = _recent_run(history, today, lambda c, _after: c.count < target)
    if len(run) < th.below_target_weeks:
        return []
    return [_flag("opportunities_below_target", history, run[0].week_start, len(run), th.below_target_weeks, run,
                  today, target=target)]


def _window(items: Iterable[T], day_of: Callable[[T], date], weeks: int, today: date) -> tuple[list[T], date | None]:
    """The items in the last `weeks` ISO weeks (this one included), and the first day of their episode: the
    earliest item reached back through items less than `weeks` weeks apart."""
    past = sorted((i for i in items if day_of(i) <= today), key=day_of)
    start = week_of(today) - WEEK * (weeks - 1)
    inside = [i for i in past if day_of(i) >= start]
    if not inside:
        return [], None
    first = day_of(inside[0])
    for earlier in reversed([i for i in past if day_of(i) < first]):
        if week_of(first) - week_of(day_of(earlier)) >= WEEK * weeks:
            break
        first = day_of(earlier)
    return inside, first


def _repeated_causes(history: RepFacts, th: Thresholds, today: date) -> list[Flag]:
    out = []
    for cause in sorted({loss.cause for loss in history.losses if loss.cause and loss.cause not in IGNORED_CAUSES}):
        same = [loss for loss in history.losses if loss.cause == cause]
        inside, first = _window(same, lambda loss: loss.on, th.same_cause_window_weeks, today)
        if first is not None and len(inside) >= th.same_cause_losses:
            out.append(_flag("repeated_loss_cause", history, first, len(inside), th.same_cause_losses, inside, today,
                             cause=cause))
    return out


def _stuck(history: RepFacts, th: Thresholds, today: date) -> list[Flag]:
    asked_for_help = [a for a in history.answers if a.status in NEEDS_HAND]
    inside, first = _window(asked_for_help, lambda a: a.on, th.stuck_window_weeks, today)
    if first is None or len(inside) < th.stuck_answers:
        return []
    return [_flag("stuck", history, first, len(inside), th.stuck_answers, inside, today)]


def _overdue(history: RepFacts, owner: str, kind: str, threshold: int, today: date) -> list[Flag]:
    mine = [a for a in history.actions if a.owner == owner]
    late = sorted((a for a in mine if a.overdue_on(today)), key=lambda a: a.due)
    if len(late) < threshold:
        return []
    return [_flag(kind, history, _since_at_least(mine, threshold, today), len(late), threshold, late, today)]


def _since_at_least(actions: list[ActionDue], threshold: int, today: date) -> date:
    """The first day of the unbroken stretch up to today with at least `threshold` of `actions` overdue."""
    earliest = min(a.due for a in actions) + timedelta(days=1)  # nothing is overdue before this day
    day = today
    while day > earliest and sum(a.overdue_on(day - timedelta(days=1)) for a in actions) >= threshold:
        day -= timedelta(days=1)
    return day


def _silent(history: RepFacts, th: Thresholds, today: date) -> list[Flag]:
    unanswered = set(unanswered_asks(history, today))
    counted = sorted({a.on for a in history.asked if a.on < today})
    run = []
    for on in reversed(counted):  # the latest check-ins in a row that went unanswered
        if not any(u.on == on for u in unanswered):
            break
        run.insert(0, on)
    if len(run) < th.unanswered_checkins:
        return []
    evidence = sorted((u for u in unanswered if u.on in run), key=lambda u: u.on)
    return [_flag("silent", history, run[0], len(run), th.unanswered_checkins, evidence, today)]


def _absent(history: RepFacts, th: Thresholds, today: date) -> list[Flag]:
    days = days_since_manager_checkin(history, today)
    if days is None or days < th.days_since_manager_checkin:
        return []
    origin = today - timedelta(days=days)
    evidence = [c for c in history.manager_checkins if c.on == origin][:1]
    return [_flag("manager_absent", history, origin, days, th.days_since_manager_checkin, evidence, today, step=7)]
