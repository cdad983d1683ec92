"""Which "Target:" plan lines are the weekly target of new opportunities, and which are action items."""
from __future__ import annotations

import pytest

from flows import prospecting


@pytest.mark.parametrize("line", [
    "Target: 20 cold calls a day, starting Monday",
    "Target: close Globex by 2026-12-18",
    "target - 3 demos booked by Friday",
    "Target: 10 opportunities reviewed with me by Friday",  # opportunities, but a task, not a rate
])
def test_a_target_line_about_something_else_is_an_action_item(line):
    assert not prospecting.is_target_line(line)


@pytest.mark.parametrize("line, value", [
    ("target: 5 new opportunities a week", 5),
    ("Target: 7 opps per week", 7),
    ("weekly target: 4", 4),
    ("target: 6/week", 6),
])
def test_a_count_of_new_opportunities_a_week_is_the_target(line, value):
    assert prospecting.is_target_line(line)
    assert prospecting.parse_target(line) == (value, [])


@pytest.mark.parametrize("line", ["Target: 8 new opportunities a month",
                                  "target: 5 opportunities a week, mostly referrals"])
def test_an_opportunity_target_in_another_form_names_the_form_expected(line):
    assert prospecting.is_target_line(line)
    value, (problem,) = prospecting.parse_target(line)
    assert value is None and problem.code == "target_form"
    assert "“target: 5 new opportunities a week”" in problem.message and "own line" in problem.message
