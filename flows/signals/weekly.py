"""One rep's numbers for one ISO week, from the stored facts (a missing pulse is no answer, not zero; a
finished week without a deal is 0 once the CRM reports every new deal)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from flows.signals.facts import NEEDS_HAND, CheckinAsked, RepFacts, week_of

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class RepWeek:
    """A rep's week in numbers. Counts of states (overdue, days since) are as of the week's last day,
    or today for the week in progress (`complete` is False then)."""

    week_start: date
    complete: bool
    new_opportunities: int | None  # None: no answer that week (not zero)
    opportunities_source: str | None  # pulse | crm
    losses: int
    loss_causes: tuple[tuple[str, int], ...]  # finished retrospectives' main reasons, most frequent first
    answers: int
    stuck_answers: int  # "stuck" or "could use a hand"
    checkins_asked: int
    checkins_unanswered: int
    overdue_actions: int
    manager_missed_commitments: int
    manager_checkins: int
    days_since_manager_checkin: int | None  # None: never, and no known start of the reporting line


def weekly_signals(facts: RepFacts, week_start: date, today: date) -> RepWeek:
    """The rep's numbers for the ISO week starting `week_start` (a Monday, not after today)."""
    if week_start.weekday() != 0:
        raise ValueError(f"week_start must be a Monday, not {week_start:%a} {week_start.isoformat()}")
    if week_start > today:
        raise ValueError(f"the week of {week_start.isoformat()} has not begun on {today.isoformat()}")
    end = week_start + timedelta(days=6)
    as_of = min(end, today)

    def inside(d: date) -> bool:
        return week_start <= d <= as_of

    count = facts.opportunity_weeks(today).get(week_start)
    losses = [loss for loss in facts.losses if inside(loss.on)]
    answers = [a for a in facts.answers if inside(a.on)]
    asked = [a for a in facts.asked if inside(a.on)]
    unanswered = {a for a in unanswered_asks(facts, today) if inside(a.on)}
    causes = Counter(loss.cause for loss in losses if loss.cause)
    return RepWeek(
        week_start=week_start,
        complete=end < today,
        new_opportunities=count.count if count else None,
        opportunities_source=count.source if count else None,
        losses=len(losses),
        loss_causes=tuple(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))),
        answers=len(answers),
        stuck_answers=sum(a.status in NEEDS_HAND for a in answers),
        checkins_asked=len(asked),
        checkins_unanswered=len(unanswered),
        overdue_actions=sum(a.owner == "rep" and a.overdue_on(as_of) for a in facts.actions),
        manager_missed_commitments=sum(a.owner == "manager" and a.overdue_on(as_of) for a in facts.actions),
        manager_checkins=sum(inside(c.on) for c in facts.manager_checkins),
        days_since_manager_checkin=days_since_manager_checkin(facts, as_of),
    )


def recent_weeks(facts: RepFacts, today: date, weeks: int = 4) -> list[RepWeek]:
    """The last `weeks` ISO weeks up to and including this one, oldest first."""
    this_week = week_of(today)
    return [weekly_signals(facts, this_week - WEEK * back, today) for back in range(weeks - 1, -1, -1)]


def last_manager_checkin(facts: RepFacts, day: date) -> date | None:
    """The day of the manager's last check-in on or before `day`."""
    return max((c.on for c in facts.manager_checkins if c.on <= day), default=None)


def days_since_manager_checkin(facts: RepFacts, day: date) -> int | None:
    """Days from the manager's last check-in (or the start of the reporting line) to `day`."""
    # A line that started after the last check-in (a new manager) counts from its start.
    known = [d for d in (last_manager_checkin(facts, day), facts.since) if d is not None and d <= day]
    return (day - max(known)).days if known else None


def unanswered_asks(facts: RepFacts, today: date) -> list[CheckinAsked]:
    """Check-ins sent before today with no answer before the next one was sent, oldest first. One sent
    today is not counted yet: the rep has not had the day to answer."""
    asks = sorted({a.on for a in facts.asked if a.on <= today})
    answered_on = sorted({a.on for a in facts.answers})
    out = []
    for i, on in enumerate(asks):
        if on >= today:
            break
        until = asks[i + 1] if i + 1 < len(asks) else today + timedelta(days=1)
        if not any(on <= d < until for d in answered_on):
            out.append(CheckinAsked(on))
    return out
