"""Cadence rules with fixed dates: time zones, work weeks, holidays and both DST transitions."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from flows import cadence
from flows.cadence import Schedule, place, plan_for_retro, plan_for_talk, within_hours

LA = Schedule("America/Los_Angeles")
KOLKATA = Schedule("Asia/Kolkata", time(10, 0), time(18, 30), frozenset({6, 0, 1, 2, 3}))  # Sunday–Thursday
SYDNEY = Schedule("Australia/Sydney", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))


def local(dt: datetime, schedule: Schedule) -> datetime:
    return dt.astimezone(ZoneInfo(schedule.tz))


@pytest.mark.parametrize("schedule", [LA, KOLKATA, SYDNEY], ids=["LA", "Kolkata", "Sydney"])
def test_every_placed_nudge_is_inside_working_hours_on_a_working_day(schedule):
    start = date(2026, 11, 2)
    for offset in range(120):
        day = start + timedelta(days=offset)
        for window in ("morning", "afternoon", "any"):
            at = place(day, schedule, f"k{offset}{window}", window)
            assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
            assert within_hours(at, schedule), (day, window, local(at, schedule))
            assert local(at, schedule).date() >= day


def test_the_minute_varies_by_nudge_but_is_the_same_on_every_replica():
    day = date(2026, 11, 24)
    minutes = {place(day, LA, f"talk:1:checkin:{i}:rep", "morning").minute for i in range(20)}
    assert len(minutes) > 5  # casual, not robotic
    assert place(day, LA, "same-key") == place(day, LA, "same-key")


def test_days_off_and_holidays_move_to_the_next_working_day():
    friday = date(2026, 11, 27)
    assert local(place(friday, KOLKATA, "x"), KOLKATA).date() == date(2026, 11, 29)  # Fri, Sat off → Sunday
    assert local(place(date(2026, 12, 25), SYDNEY, "x"), SYDNEY).date() == date(2026, 12, 29)  # holiday, weekend, holiday


def test_dst_spring_forward_and_fall_back_keep_the_local_wall_time():
    sched = Schedule("America/Los_Angeles", time(9, 0), time(9, 31))  # a window that pins the local time
    before, after = date(2026, 3, 6), date(2026, 3, 9)  # the change is on Sunday 8 March 2026
    a, b = place(before, sched, "k"), place(after, sched, "k")
    assert local(a, sched).time() == local(b, sched).time()
    assert (b - a) == timedelta(days=3) - timedelta(hours=1)  # the same wall time is an hour closer in UTC
    c, d = place(date(2026, 10, 30), sched, "k"), place(date(2026, 11, 2), sched, "k")  # back on 1 November
    assert local(c, sched).time() == local(d, sched).time()
    assert (d - c) == timedelta(days=3) + timedelta(hours=1)


def test_a_time_in_the_spring_forward_gap_moves_past_it():
    night = Schedule("Europe/Berlin", time(2, 0), time(2, 59), frozenset(range(7)))
    at = place(date(2026, 3, 29), night, "gap")  # 02:00-03:00 does not exist that night in Berlin
    assert local(at, night).hour == 3


def test_not_before_moves_a_nudge_later_that_day_or_to_the_next_working_day():
    day = date(2026, 11, 24)
    noon_la = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)  # 12:00 in LA
    at = place(day, LA, "k", "morning", not_before=noon_la)
    assert at > noon_la and within_hours(at, LA)
    evening = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)  # 19:00 in LA, after hours
    at = place(day, LA, "k", "morning", not_before=evening)
    assert local(at, LA).date() == date(2026, 11, 25) and within_hours(at, LA)


def test_a_talk_plans_front_loaded_checkins_reminders_and_the_review_pack():
    started, review = date(2026, 11, 23), date(2026, 12, 21)  # a Monday; review four weeks later
    items = [{"id": 1, "owner": "rep", "due": "2026-11-27"}, {"id": 2, "owner": "manager", "due": "2026-12-07"},
             {"id": 3, "owner": "rep", "due": None}]
    specs = plan_for_talk(talk_id=9, started=started, review=review, items=items, schedule=LA)
    rep_checkins = [s.day for s in specs if s.kind == "checkin_rep"]
    assert rep_checkins[:4] == [date(2026, 11, 24), date(2026, 11, 26), date(2026, 12, 2), date(2026, 12, 11)]
    assert rep_checkins[4:] == [date(2026, 12, 18)]  # then weekly until the review
    assert len([s for s in specs if s.kind == "checkin_manager"]) == len(rep_checkins)
    due = {s.subject: (s.to, s.day) for s in specs if s.kind == "action_due"}
    assert due == {"item:1": ("rep", date(2026, 11, 26)), "item:2": ("manager", date(2026, 12, 4))}
    assert {(s.to, s.day) for s in specs if s.kind == "review_reminder"} == {("rep", date(2026, 12, 18)),
                                                                             ("manager", date(2026, 12, 18))}
    assert [(s.to, s.day) for s in specs if s.kind == "review_pack"] == [("manager", review)]
    assert len({s.key for s in specs}) == len(specs)  # every nudge has its own dedupe key


def test_a_sunday_to_thursday_week_counts_working_days_its_own_way():
    specs = plan_for_talk(talk_id=1, started=date(2026, 11, 26), review=date(2026, 12, 31), items=[],
                          schedule=KOLKATA, checkin_days=(1, 3))
    days = [s.day for s in specs if s.kind == "checkin_rep"]
    assert days[:2] == [date(2026, 11, 29), date(2026, 12, 1)]  # Thu → Sun is one working day
    assert all(KOLKATA.works_on(d) for d in days)


def test_unfinished_retrospective_reminders():
    specs = plan_for_retro(retro_id=4, opened=date(2026, 12, 23), schedule=SYDNEY)
    assert [(s.to, s.day) for s in specs] == [("rep", date(2026, 12, 29)), ("rep", date(2027, 1, 1)),
                                              ("manager", date(2027, 1, 1))]


def test_staleness_and_backoff():
    due = datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc)
    assert not cadence.is_stale("checkin_rep", due, due + timedelta(hours=2))
    assert cadence.is_stale("checkin_rep", due, due + timedelta(days=3))  # a "good morning" from days ago
    assert not cadence.is_stale("review_pack", due, due + timedelta(days=2))
    # a message is what someone did or said (a shared plan, a "stuck" alert): owed however late
    assert not cadence.is_stale("message", due, due + timedelta(days=30))
    assert [cadence.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert cadence.backoff(20) == timedelta(hours=1)
