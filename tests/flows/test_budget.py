"""The message budget's pure rules: half-days in the person's zone, the next slot, what goes now."""
from datetime import date, datetime, time, timezone

from flows import budget
from flows.cadence import Schedule

NY = Schedule(tz="America/New_York")  # 09:00-17:30, Monday to Friday
MON = date(2026, 3, 2)


def at(day: date, hh: int, mm: int = 0, tz: str = "America/New_York") -> datetime:
    from zoneinfo import ZoneInfo
    return datetime.combine(day, time(hh, mm), ZoneInfo(tz)).astimezone(timezone.utc)


def test_morning_runs_to_noon_in_the_persons_zone():
    assert budget.half_day_of(at(MON, 9, 20), NY) == (MON, budget.MORNING)
    assert budget.half_day_of(at(MON, 11, 59), NY) == (MON, budget.MORNING)
    assert budget.half_day_of(at(MON, 12, 0), NY) == (MON, budget.AFTERNOON)


def test_noon_outside_the_hours_splits_them_in_the_middle():
    late = Schedule(tz="UTC", start=time(13, 0), end=time(21, 0))
    assert budget.noon_of(late) == 17 * 60
    assert budget.half_day_of(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc), late)[1] == budget.MORNING
    assert budget.half_day_of(datetime(2026, 3, 2, 17, 30, tzinfo=timezone.utc), late)[1] == budget.AFTERNOON


def test_a_held_morning_nudge_goes_in_the_afternoon_and_an_afternoon_one_next_working_morning():
    after = budget.next_slot(at(MON, 9, 30), NY, "k", fewer=False)
    assert budget.half_day_of(after, NY) == (MON, budget.AFTERNOON)
    friday = date(2026, 3, 6)
    monday = budget.next_slot(at(friday, 14, 0), NY, "k", fewer=False)
    assert budget.half_day_of(monday, NY) == (date(2026, 3, 9), budget.MORNING)
    assert budget.bounds(date(2026, 3, 9), budget.MORNING, NY)[0] < monday


def test_fewer_messages_moves_to_the_next_working_morning_and_counts_the_whole_day():
    nxt = budget.next_slot(at(MON, 9, 30), NY, "k", fewer=True)
    assert budget.half_day_of(nxt, NY) == (date(2026, 3, 3), budget.MORNING)
    start, end = budget.budget_window(at(MON, 15, 0), NY, fewer=True)
    assert start == at(MON, 0, 0) and end == at(date(2026, 3, 3), 0, 0)


def test_the_slot_is_inside_working_hours_whatever_the_key():
    for key in ("a", "b", "checkin:1", "pulse:x"):
        slot = budget.next_slot(at(MON, 10, 0), NY, key, fewer=False)
        local = slot.astimezone(__import__("zoneinfo").ZoneInfo(NY.tz)).time()
        assert time(12, 0) <= local < time(17, 30)


def test_plan_sends_up_to_the_limit_now_and_moves_the_rest():
    plan = budget.plan_budget([1, 2, 3, 4, 5, 6], already_sent=False)
    assert plan.now == (1, 2, 3, 4) and plan.later == (5, 6) and plan.reason == budget.REASON_FULL
    assert budget.plan_budget([1, 2, 3], already_sent=False) == budget.Plan((1, 2, 3), (), "")


def test_plan_holds_everything_once_the_half_day_had_its_message():
    assert budget.plan_budget([7, 8], already_sent=True) == budget.Plan((), (7, 8), budget.REASON)
    assert budget.plan_budget([7], already_sent=True, fewer=True).reason == budget.REASON_FEWER
