"""When to nudge whom: pure rules from a plan or a lost deal to dated, placed nudges.

`plan_*` functions decide which nudges exist and on which local day; `place` turns a local day into
a UTC instant inside the recipient's working hours, on a working day, at a minute that varies per
nudge (seeded by its dedupe key, so every replica computes the same time). Nothing here reads the
clock or the database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from flows.subjects import subject as ref


DEFAULT_CHECKIN_DAYS = (1, 3, 7, 14)
# The most nudges one finished talk may schedule, whatever its review date: a review 26 weeks out
# (the furthest a person may type) with a full plan needs about 70.
MAX_NUDGES_PER_PLAN = 80
MAX_CHECKIN_DAY = 180  # a configured check-in "on working day N after the talk" beyond this is ignored
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ANY_TIME = {"message"}  # replies to something the person just did: not held for working hours
# Never dropped as stale, and retried until delivered while a platform is down, however long; only a
# refusal for good ends it. A "message" carries what someone did or said (a shared plan, a "stuck" alert);
# a "signal" stays true until it is dismissed, snoozed or no longer holds (checked again when it is sent),
# and its flag is told once, so a signal dropped here would never reach the manager.
OWED = frozenset({"message", "signal"})
# How late a nudge may still go out after downtime; later than this it is dropped (never an OWED one).
STALE_AFTER = {
    "checkin_rep": timedelta(hours=20),
    "checkin_manager": timedelta(hours=20),
    "action_due": timedelta(hours=20),
    "review_reminder": timedelta(hours=20),
    "review_pack": timedelta(days=3),
    "retro_reminder": timedelta(days=2),
    "followup_due": timedelta(days=2),
    "digest": timedelta(days=1),
    "pulse": timedelta(days=1),
}


@dataclass(frozen=True)
class Schedule:
    """A person's delivery window: zone, working hours, working days and holidays."""

    tz: str = "UTC"
    start: time = time(9, 0)
    end: time = time(17, 30)
    days: frozenset[int] = frozenset(range(5))  # Monday=0
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, tz: str, work_start: str, work_end: str, work_days: str,
           holidays: Iterable[date] = ()) -> "Schedule":
        """Build from stored strings ("09:00", "17:30", "mon,tue,wed,thu,fri")."""
        days = frozenset(DAY_CODES.index(d) for d in work_days.split(",") if d in DAY_CODES) or frozenset(range(5))
        return cls(tz, time.fromisoformat(work_start), time.fromisoformat(work_end), days, frozenset(holidays))

    def works_on(self, d: date) -> bool:
        """Whether `d` is a working day for this person."""
        return d.weekday() in self.days and d not in self.holidays

    def next_workday(self, d: date) -> date:
        """`d` if it is a working day, else the next one."""
        for _ in range(400):
            if self.works_on(d):
                return d
            d += timedelta(days=1)
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """`n` working days after `d`."""
        for _ in range(n):
            d = self.next_workday(d + timedelta(days=1))
        return d

    def local_today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.tz)).date()


@dataclass(frozen=True)
class NudgeSpec:
    """A nudge to create: who (by role), what, on which local day (or right after an instant)."""

    kind: str
    to: str  # "rep" | "manager"
    day: date
    subject: str  # e.g. "talk:12", "item:4", "retro:7"
    key: str  # dedupe key: the same spec planned twice is stored once
    window: str = "any"  # "morning" | "afternoon" | "any": where in the working day it lands
    payload: dict = field(default_factory=dict)


def place(day: date, schedule: Schedule, key: str, window: str = "any", not_before: datetime | None = None) -> datetime:
    """The UTC instant for a nudge on local `day` (moved to a working day), inside working hours.

    The minute varies with `key` so nudges feel casual rather than robotic, yet every replica places
    the same nudge at the same time. Across a DST change the local wall time is kept; a time that
    does not exist that night (the spring-forward gap) moves forward by the gap.
    """
    try:
        return _place(day, schedule, key, window, not_before)
    except OverflowError:
        raise ValueError(f"{day} is too close to the end of the calendar to place a nudge on") from None


def _place(day: date, schedule: Schedule, key: str, window: str, not_before: datetime | None) -> datetime:
    zone = ZoneInfo(schedule.tz)
    day = schedule.next_workday(day)
    for _ in range(400):
        start_min = schedule.start.hour * 60 + schedule.start.minute
        end_min = schedule.end.hour * 60 + schedule.end.minute
        if window == "morning":
            lo, hi = start_min + 15, min(end_min, start_min + 180)
        elif window == "afternoon":
            lo, hi = max(start_min, end_min - 240), end_min - 30
        else:
            lo, hi = start_min + 15, end_min - 30
        if hi <= lo:
            lo, hi = start_min, max(start_min + 1, end_min)
        minute = lo + _spread(key, hi - lo)
        local = datetime.combine(day, time(minute // 60, minute % 60), zone)
        utc = _resolve(local)
        if not_before is None or utc >= not_before:
            return utc
        # Too early today: later today if the window allows, else the next working day.
        today_end = _resolve(datetime.combine(day, time(end_min // 60, end_min % 60), zone))
        if not_before < today_end - timedelta(minutes=5):
            return not_before + timedelta(minutes=1 + _spread(key, 20))
        day = schedule.next_workday(day + timedelta(days=1))
    raise ValueError("no working day within a year; check the work week and holidays")


def within_hours(at: datetime, schedule: Schedule) -> bool:
    """Whether an instant falls inside the person's working hours on a working day."""
    local = at.astimezone(ZoneInfo(schedule.tz))
    return schedule.works_on(local.date()) and schedule.start <= local.time().replace(tzinfo=None) < schedule.end


def plan_for_talk(*, talk_id: int, started: date, review: date, items: list[dict], schedule: Schedule,
                  checkin_days: tuple[int, ...] = DEFAULT_CHECKIN_DAYS) -> list[NudgeSpec]:
    """Every nudge a finished difficult conversation needs until its review.

    Check-ins are front-loaded: on the given working days after the talk, then weekly until the review;
    the rep gets a check-in question in the morning, the manager a nudge to check in casually in the
    afternoon. Each action item's owner is reminded the working day before it is due; both are reminded
    the day before the review, and on the review day the manager gets the review pack.
    """
    subject = ref("talk", talk_id)
    others: list[NudgeSpec] = []
    for item in items:
        if not item.get("due"):
            continue
        due = date.fromisoformat(item["due"])
        before = _previous_workday(due, schedule)
        day = before if before > started else due
        if day >= started:
            item_ref = ref("item", item["id"])
            others.append(NudgeSpec("action_due", item["owner"], day, item_ref, f"{item_ref}:due", "morning",
                                    {"talk": talk_id}))
    eve = _previous_workday(review, schedule)
    if eve > started:
        for role in ("rep", "manager"):
            others.append(NudgeSpec("review_reminder", role, eve, subject, f"{subject}:review_eve:{role}", "afternoon"))
    others.append(NudgeSpec("review_pack", "manager", review, subject, f"{subject}:review_pack", "morning"))
    others = others[:MAX_NUDGES_PER_PLAN]
    # Check-ins take what the cap leaves (two nudges per point), so the weekly loop stops there too.
    room = (MAX_NUDGES_PER_PLAN - len(others)) // 2
    points = [schedule.add_workdays(started, n) for n in sorted(set(checkin_days)) if 0 < n <= MAX_CHECKIN_DAY][:room]
    last = points[-1] if points else started
    weekly = last + timedelta(days=7)
    while weekly < review and len(points) < room:
        points.append(schedule.next_workday(weekly))
        weekly += timedelta(days=7)
    specs: list[NudgeSpec] = []
    for i, day in enumerate(p for p in sorted(set(points)) if p < review):
        specs.append(NudgeSpec("checkin_rep", "rep", day, subject, f"{subject}:checkin:{i}:rep", "morning",
                               {"point": i}))
        specs.append(NudgeSpec("checkin_manager", "manager", day, subject, f"{subject}:checkin:{i}:manager",
                               "afternoon", {"point": i}))
    return specs + others


def plan_for_retro(*, retro_id: int, opened: date, schedule: Schedule) -> list[NudgeSpec]:
    """Reminders for a retrospective left unfinished: the rep after 2 working days, both after 5."""
    subject = ref("retro", retro_id)
    two, five = schedule.add_workdays(opened, 2), schedule.add_workdays(opened, 5)
    return [
        NudgeSpec("retro_reminder", "rep", two, subject, f"{subject}:remind:2:rep", "morning"),
        NudgeSpec("retro_reminder", "rep", five, subject, f"{subject}:remind:5:rep", "morning"),
        NudgeSpec("retro_reminder", "manager", five, subject, f"{subject}:remind:5:manager", "afternoon"),
    ]


def plan_weekly(*, person_key: str, kind: str, today: date, schedule: Schedule, weekday: int) -> NudgeSpec:
    """The next weekly nudge (manager digest, rep pipeline pulse) on `weekday`, from today on."""
    ahead = (weekday - today.weekday()) % 7
    day = schedule.next_workday(today + timedelta(days=ahead))
    year, week, _ = day.isocalendar()
    return NudgeSpec(kind, "self", day, person_key, f"{kind}:{person_key}:{year}-W{week:02d}",
                     "morning" if kind == "digest" else "afternoon")


def week_start(day: date) -> date:
    """The Monday of `day`'s week: how weekly counts (the pipeline pulse, CRM deals) name a week."""
    return day - timedelta(days=day.weekday())


def is_stale(kind: str, due_at: datetime, now: datetime) -> bool:
    """Whether a nudge this late has lost its point (a "good morning" check-in from days ago)."""
    if kind in OWED:
        return False
    return now - due_at > STALE_AFTER.get(kind, timedelta(days=1))


# How the reason begins when a nudge that is not OWED has used up its tries on passing failures: the
# signals tell such a failure (the outage's, not the manager's) from a refusal for good by it.
GAVE_UP = "gave up after"


def backoff(attempts: int) -> timedelta:
    """How long to wait before retrying a send that failed for a passing reason."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _previous_workday(d: date, schedule: Schedule) -> date:
    d -= timedelta(days=1)
    for _ in range(400):
        if schedule.works_on(d):
            return d
        d -= timedelta(days=1)
    return d


def _spread(key: str, span: int) -> int:
    if span <= 0:
        return 0
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % span


def _resolve(local: datetime) -> datetime:
    """Local wall time → UTC. A time inside a spring-forward gap maps with the offset before the change,
    which lands it after the gap: 02:30 on a night that skips 02:00–03:00 becomes 03:30."""
    return local.astimezone(timezone.utc)


