"""The message budget: at most one scheduled message per person per half-day (per day for someone who asked
for fewer messages), with the nudges due in that half-day merged into it.

Half-days are in the person's own zone: the morning runs from the start of their working hours to noon
(or to the middle of their hours when noon is outside them), the afternoon the rest. Pure: every
instant comes in as an argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Hashable, Sequence
from zoneinfo import ZoneInfo

from flows.cadence import Schedule, _spread

MORNING, AFTERNOON = 0, 1
# The most items one merged message carries: each brings its own text and buttons, and past four a
# message reads like a to-do list rather than a nudge (and nears Slack's 50 blocks with long ones).
MAX_ITEMS = 4
REASON = "message budget: one scheduled message per half-day"
REASON_FEWER = "message budget: one scheduled message per day (fewer messages)"
REASON_FULL = "message budget: more than one message holds; the rest go in the next one"


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def noon_of(schedule: Schedule) -> int:
    """Where the morning ends, in minutes after local midnight: noon, or the middle of the working hours
    when noon is not inside them."""
    start, end = _minutes(schedule.start), _minutes(schedule.end)
    return 12 * 60 if start < 12 * 60 < end else (start + end) // 2


def half_day_of(at: datetime, schedule: Schedule) -> tuple[date, int]:
    """The person's local day and half (MORNING or AFTERNOON) an instant falls in."""
    local = at.astimezone(ZoneInfo(schedule.tz))
    return local.date(), MORNING if _minutes(local.time()) < noon_of(schedule) else AFTERNOON


def bounds(day: date, half: int, schedule: Schedule) -> tuple[datetime, datetime]:
    """The UTC start and end of a half-day (the morning from midnight, the afternoon to midnight, so a
    message sent just outside the hours still counts in the half it belongs to)."""
    zone = ZoneInfo(schedule.tz)
    noon = noon_of(schedule)
    cut = datetime.combine(day, time(noon // 60, noon % 60), zone).astimezone(timezone.utc)
    if half == MORNING:
        return datetime.combine(day, time(0), zone).astimezone(timezone.utc), cut
    return cut, datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)


def budget_window(at: datetime, schedule: Schedule, fewer: bool) -> tuple[datetime, datetime]:
    """The span in which one scheduled message is allowed: the half-day of `at`, or its whole day."""
    day, half = half_day_of(at, schedule)
    if fewer:
        return bounds(day, MORNING, schedule)[0], bounds(day, AFTERNOON, schedule)[1]
    return bounds(day, half, schedule)


def next_slot(at: datetime, schedule: Schedule, key: str, fewer: bool) -> datetime:
    """When a held nudge goes instead: early in the next half-day inside working hours (the next working
    morning for someone who asked for fewer messages), at a minute that varies with `key`."""
    zone = ZoneInfo(schedule.tz)
    day, half = half_day_of(at, schedule)
    start, end = _minutes(schedule.start), _minutes(schedule.end)
    if half == MORNING and not fewer and schedule.works_on(day):
        lo = max(noon_of(schedule), start)
    else:
        day = schedule.next_workday(day + timedelta(days=1))
        lo = start
    minute = lo + 5 + _spread(key, max(1, min(40, end - lo - 10)))
    minute = min(minute, end - 1)
    return datetime.combine(day, time(minute // 60, minute % 60), zone).astimezone(timezone.utc)


@dataclass(frozen=True)
class Plan:
    """What to do with one person's scheduled nudges due in this half-day."""

    now: tuple[Hashable, ...]  # go out now, as one message, in this order
    later: tuple[Hashable, ...]  # move to the next slot
    reason: str = ""  # why the later ones wait


def plan_budget(due: Sequence[Hashable], *, already_sent: bool, fewer: bool = False,
                limit: int = MAX_ITEMS) -> Plan:
    """Which of a person's due scheduled nudges go now as one merged message and which move on."""
    if already_sent:
        return Plan((), tuple(due), REASON_FEWER if fewer else REASON)
    return Plan(tuple(due[:limit]), tuple(due[limit:]), REASON_FULL if len(due) > limit else "")
