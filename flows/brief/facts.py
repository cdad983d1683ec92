"""The facts a brief is made of: the last plan as stored, the weeks' numbers, and `build_brief`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flows.signals.facts import CheckinAnswer, Loss, RepFacts, week_of
from flows.signals.weekly import last_manager_checkin, unanswered_asks

WEEKS = 4  # complete weeks of numbers shown; losses and check-ins are read over the same stretch


@dataclass(frozen=True)
class PlanItemFact:
    """One item of the last plan as stored: whose, what, by when, and what became of it."""

    owner: str  # rep | manager
    text: str
    due: date | None
    status: str  # open | done | dropped
    done_on: date | None = None


@dataclass(frozen=True)
class LastPlan:
    """The last plan this manager agreed with the rep, and how it ended (closed, or still open)."""

    held_on: date
    review_on: date
    closed_on: date | None
    items: tuple[PlanItemFact, ...] = ()


@dataclass(frozen=True)
class Commitment:
    """One of the manager's own plan items to the rep that was missed or done after its date."""

    due: date
    done_on: date | None
    text: str | None = None  # None when the item is known only by its date

    def days_late(self, today: date) -> int:
        """Days past the due date: to when it was done, or to today while it is still not done."""
        return ((self.done_on or today) - self.due).days


@dataclass(frozen=True)
class OpportunityWeek:
    week_start: date
    count: int | None  # None: no answer that week, which is not zero (0 once the CRM reports every deal)
    source: str | None


@dataclass(frozen=True)
class Brief:
    """The dated facts about one rep, as of `today`, that the talk opens with."""

    rep: str
    today: date
    start: date  # the first day the brief covers (a Monday)
    weeks: tuple[OpportunityWeek, ...]  # complete weeks, oldest first
    this_week: OpportunityWeek | None  # the week in progress, when it already has a count
    losses: tuple[Loss, ...]
    answers: tuple[CheckinAnswer, ...]
    unanswered: tuple[date, ...]  # check-ins sent that got no answer
    plan: LastPlan | None
    last_checkin: date | None  # the manager's last noted check-in with the rep


def build_brief(facts: RepFacts, plan: LastPlan | None, rep: str, today: date, weeks: int = WEEKS) -> Brief:
    """The brief for `rep` as of `today`: the last `weeks` complete weeks and this one so far."""
    this = week_of(today)
    start = this - timedelta(weeks=weeks)
    counts = facts.opportunity_weeks(today)

    def week(monday: date) -> OpportunityWeek:
        c = counts.get(monday)
        return OpportunityWeek(monday, c.count if c else None, c.source if c else None)

    now = week(this)
    return Brief(
        rep=rep, today=today, start=start,
        weeks=tuple(week(start + timedelta(weeks=i)) for i in range(weeks)),
        this_week=now if now.count is not None else None,
        losses=tuple(sorted((x for x in facts.losses if start <= x.on <= today), key=lambda x: x.on)),
        answers=tuple(sorted((a for a in facts.answers if start <= a.on <= today), key=lambda a: a.on)),
        unanswered=tuple(a.on for a in unanswered_asks(facts, today) if a.on >= start),
        plan=plan,
        last_checkin=last_manager_checkin(facts, today),
    )
