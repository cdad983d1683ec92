"""Due-date phrases, relative to a fixed today (Monday 23 Nov 2026) and the user's time zone."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from flows.dates import add_business_days, find_date, format_day, parse_date
from flows.engine import Context

MON = date(2026, 11, 23)
FRI = date(2026, 11, 27)


@pytest.mark.parametrize("phrase,expected", [
    ("2026-12-04", date(2026, 12, 4)),
    ("by 2026-12-04", date(2026, 12, 4)),
    ("4 Dec", date(2026, 12, 4)),
    ("4th of December", date(2026, 12, 4)),
    ("Dec 4", date(2026, 12, 4)),
    ("December 4th, 2027", date(2027, 12, 4)),
    ("10 Jan", date(2027, 1, 10)),  # well past this year: next year's
    ("3 Nov", date(2026, 11, 3)),  # just past: stays in the past so it can be refused
    ("today", MON),
    ("tomorrow", date(2026, 11, 24)),
    ("the day after tomorrow", date(2026, 11, 25)),
    ("Friday", FRI),
    ("by Friday", FRI),
    ("by fri", FRI),
    ("this Friday", FRI),
    ("next Friday", date(2026, 12, 4)),
    ("Monday", date(2026, 11, 30)),  # a plain weekday never means today
    ("this Monday", MON),
    ("next Tuesday", date(2026, 12, 1)),
    ("in 2 weeks", date(2026, 12, 7)),
    ("in two weeks", date(2026, 12, 7)),
    ("in a week", date(2026, 11, 30)),
    ("in 3 days", date(2026, 11, 26)),
    ("in 5 business days", date(2026, 11, 30)),
    ("in a fortnight", date(2026, 12, 7)),
    ("in 1 month", date(2026, 12, 23)),
    ("end of the week", FRI),
    ("end of next week", date(2026, 12, 4)),
    ("end of month", date(2026, 11, 30)),
    ("EOM", date(2026, 11, 30)),
    ("end of the quarter", date(2026, 12, 31)),
    ("next week", date(2026, 12, 4)),
    ("next month", date(2026, 12, 31)),
])
def test_phrases(phrase, expected):
    assert parse_date(phrase, MON) == expected


@pytest.mark.parametrize("phrase", ["soon", "asap", "04/12", "12/04/2026", "2026-02-30", "31 Feb", "whenever", ""])
def test_unreadable_or_ambiguous_phrases_give_none(phrase):
    assert parse_date(phrase, MON) is None


def test_weekday_from_a_friday_means_next_week():
    assert parse_date("Friday", FRI) == date(2026, 12, 4)
    assert parse_date("this Friday", FRI) == FRI


def test_year_end_rollover():
    assert parse_date("in 2 weeks", date(2026, 12, 24)) == date(2027, 1, 7)
    assert parse_date("end of next month", date(2026, 12, 10)) == date(2027, 1, 31)
    assert parse_date("next Monday", date(2026, 12, 30)) == date(2027, 1, 4)


@pytest.mark.parametrize("sentence,expected,phrase", [
    ("book 5 discovery calls by Friday", FRI, "Friday"),
    ("join two calls in 2 weeks", date(2026, 12, 7), "in 2 weeks"),
    ("send the Acme proposal on 2026-12-04 at the latest", date(2026, 12, 4), "2026-12-04"),
    ("update the CRM", None, None),
    ("sat with the Acme team", None, None),  # "sat" is a verb here, not Saturday
    ("call 20 prospects", None, None),
])
def test_dates_inside_sentences(sentence, expected, phrase):
    found, matched = find_date(sentence, MON)
    assert found == expected
    assert matched == phrase


def test_today_depends_on_the_users_time_zone():
    # 23:30 UTC on Monday is already Tuesday in Sydney and still Monday in Los Angeles.
    now = datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)
    sydney = Context(now, ZoneInfo("Australia/Sydney"), {}, {})
    la = Context(now, ZoneInfo("America/Los_Angeles"), {}, {})
    assert sydney.today == date(2026, 11, 24)
    assert la.today == date(2026, 11, 23)
    assert parse_date("tomorrow", sydney.today) == date(2026, 11, 25)
    assert parse_date("tomorrow", la.today) == date(2026, 11, 24)


def test_business_days_skip_weekends_and_custom_weeks():
    assert add_business_days(FRI, 1) == date(2026, 11, 30)
    sun_to_thu = frozenset({6, 0, 1, 2, 3})
    assert add_business_days(date(2026, 11, 26), 1, sun_to_thu) == date(2026, 11, 29)


def test_format_day():
    assert format_day("2026-12-07") == "Mon 7 Dec 2026"
