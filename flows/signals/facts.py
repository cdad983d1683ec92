"""The dated facts about one rep that signals are computed from, as plain values (no storage types)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

SOURCES = ("pulse", "crm")
ANSWER_STATUSES = ("on_track", "need_hand", "stuck")  # flows/checkin.py STATUS
NEEDS_HAND = frozenset({"need_hand", "stuck"})
OWNERS = ("rep", "manager")


def week_of(d: date) -> date:
    """The Monday that starts the ISO week holding `d`."""
    return d - timedelta(days=d.weekday())


def _monday(d: date, what: str) -> None:
    if d.weekday() != 0:
        raise ValueError(f"{what} must be a Monday (the start of an ISO week), not {d:%a} {d.isoformat()}")


@dataclass(frozen=True)
class WeekCount:
    """New opportunities a rep opened in one week: their pulse answer, or the CRM's count."""

    week_start: date
    count: int
    source: str = "pulse"  # pulse | crm

    def __post_init__(self) -> None:
        _monday(self.week_start, "week_start")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValueError(f"count must be a whole number of 0 or more, not {self.count!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {self.source!r}")


@dataclass(frozen=True)
class Loss:
    """A lost deal. `cause` is the retrospective's main reason code (None while it is unfinished)."""

    on: date
    deal: str
    cause: str | None = None
    buyer_confirmed: bool | None = None  # the buyer told us (True), our own read (False), not asked yet (None)


@dataclass(frozen=True)
class CheckinAnswer:
    """A rep's answer to a check-in: on_track | need_hand | stuck."""

    on: date
    status: str

    def __post_init__(self) -> None:
        if self.status not in ANSWER_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ANSWER_STATUSES)}, not {self.status!r}")


@dataclass(frozen=True)
class CheckinAsked:
    """A check-in the bot sent the rep (a sent checkin_rep nudge)."""

    on: date


@dataclass(frozen=True)
class ActionDue:
    """A dated commitment from a plan, by the rep or by the manager; dropped items are left out."""

    owner: str  # rep | manager
    due: date
    done_on: date | None = None

    def __post_init__(self) -> None:
        if self.owner not in OWNERS:
            raise ValueError(f"owner must be rep or manager, not {self.owner!r}")

    def overdue_on(self, day: date) -> bool:
        """Past its due date and not done by the end of `day`."""
        return self.due < day and (self.done_on is None or self.done_on > day)


@dataclass(frozen=True)
class ManagerCheckin:
    """The rep's manager noted that they checked in with the rep."""

    on: date


@dataclass(frozen=True)
class RepFacts:
    """Everything stored about one rep that the signals read. `since` is the first day the facts cover
    (when the reporting line was confirmed); no manager check-in since then is counted from it. From
    `crm_from` on, a finished week with no CRM deal and no answer had no new deal (0), not "no answer"."""

    rep: int
    opportunities: tuple[WeekCount, ...] = ()
    losses: tuple[Loss, ...] = ()
    answers: tuple[CheckinAnswer, ...] = ()
    asked: tuple[CheckinAsked, ...] = ()
    actions: tuple[ActionDue, ...] = ()
    manager_checkins: tuple[ManagerCheckin, ...] = ()
    since: date | None = None
    crm_from: date | None = None  # the Monday from which the CRM reported every new deal of the rep's

    def opportunity_weeks(self, today: date | None = None) -> dict[date, WeekCount]:
        """One count per week (see `week_counts`); with `today`, a finished week since `crm_from` is 0."""
        return week_counts(self.opportunities, today=today, crm_from=self.crm_from)


def week_counts(counts: Iterable[WeekCount], *, today: date | None = None,
                crm_from: date | None = None) -> dict[date, WeekCount]:
    """One count per week: the larger of the rep's last pulse answer and the CRM's count. Once the CRM
    reports every new deal (`crm_from`, a Monday), a week finished before `today` with neither is 0."""
    answered: dict[date, WeekCount] = {}
    crm: dict[date, WeekCount] = {}
    for c in counts:
        (crm if c.source == "crm" else answered)[c.week_start] = c
    out: dict[date, WeekCount] = {}
    for week in sorted({*answered, *crm}):
        pulse, deals = answered.get(week), crm.get(week)
        # Both are counts of real deals and either may miss some: while the CRM doesn't report every deal it
        # sends only some of them, and a rep answers the pulse before the week is over. The larger is the
        # nearer to the truth, and a decline is never made of a partial count (one CRM deal in a week the rep
        # answered 4 stays 4). A tie keeps the rep's own answer.
        out[week] = pulse if deals is None or (pulse is not None and pulse.count >= deals.count) else deals
    if crm_from is not None and today is not None:
        _monday(crm_from, "crm_from")
        week = crm_from
        while week < week_of(today):  # the week in progress is never a zero: it may yet bring deals
            out.setdefault(week, WeekCount(week, 0, "crm"))
            week += timedelta(days=7)
    return dict(sorted(out.items()))


def pulse_count(answer: str | None) -> int | None:
    """The number in a pulse answer ("4"), or None for anything else (the old ranges such as "1-2")."""
    text = (answer or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None  # "²" is no count
