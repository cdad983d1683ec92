"""Signals and flags about a rep, from dated facts: every kind at, just below and just above its threshold,
silence never read as zero, stable keys per episode, per-workspace thresholds, and the words people read."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from flows.brief import MOST_TEXT
from flows.brief.words import clip
from flows.signals import (ActionDue, CheckinAnswer, CheckinAsked, Loss, ManagerCheckin, RepFacts, Thresholds,
                           ThresholdError, WeekCount, describe, describe_for_rep, flags, pulse_count, recent_weeks,
                           week_of, weekly_signals)

REP = 7
NOV2 = date(2026, 11, 2)  # a Monday
TODAY = date(2026, 11, 26)  # Thursday of the week of 23 Nov
DEFAULT = Thresholds()


def weeks(*counts, start=NOV2, source="pulse"):
    """Weekly counts from `start` on; None is a week with no answer."""
    return tuple(WeekCount(start + timedelta(weeks=i), c, source) for i, c in enumerate(counts) if c is not None)


def facts(**kw) -> RepFacts:
    return RepFacts(rep=REP, **kw)


def raised(f: RepFacts, today=TODAY, th=DEFAULT, kind=None, known=()):
    found = flags(f, th, today, known)
    return [x for x in found if kind is None or x.kind == kind]


def one(f: RepFacts, kind: str, today=TODAY, th=DEFAULT, known=()):
    found = raised(f, today, th, kind, known)
    assert len(found) == 1, found
    return found[0]


# --- weeks and facts -------------------------------------------------------------------------------------------

def test_weeks_start_on_monday_across_a_year_boundary():
    assert week_of(date(2026, 11, 2)) == date(2026, 11, 2)
    assert week_of(date(2026, 11, 8)) == date(2026, 11, 2)  # Sunday
    assert week_of(date(2027, 1, 1)) == date(2026, 12, 28)  # ISO week 53 of 2026


@pytest.mark.parametrize("make, message", [
    (lambda: WeekCount(date(2026, 11, 3), 1), "must be a Monday"),
    (lambda: WeekCount(NOV2, -1), "0 or more"),
    (lambda: WeekCount(NOV2, True), "whole number"),
    (lambda: WeekCount(NOV2, 2, "email"), "pulse, crm"),
    (lambda: CheckinAnswer(NOV2, "fine"), "on_track, need_hand, stuck"),
    (lambda: ActionDue("team", NOV2), "rep or manager"),
])
def test_facts_that_cannot_be_true_are_refused_with_the_reason(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_week_counts_the_larger_of_the_pulse_answer_and_the_crm_count_and_the_last_pulse_answer():
    f = facts(opportunities=(WeekCount(NOV2, 5, "crm"), WeekCount(NOV2, 1), WeekCount(NOV2 + timedelta(7), 2),
                             WeekCount(NOV2 + timedelta(7), 3), WeekCount(NOV2 + timedelta(14), 4),
                             WeekCount(NOV2 + timedelta(14), 1, "crm")))
    assert {w: (c.count, c.source) for w, c in f.opportunity_weeks().items()} == {
        NOV2: (5, "crm"), NOV2 + timedelta(7): (3, "pulse"), NOV2 + timedelta(14): (4, "pulse")}


def test_one_crm_deal_in_a_week_the_rep_answered_does_not_make_a_decline_of_their_numbers():
    # The CRM doesn't report every deal (no crm_from): the rep's 6, 5, 4, 4 stay theirs when one deal arrives.
    f = facts(opportunities=(*weeks(6, 5, 4, 4), WeekCount(date(2026, 11, 23), 1, "crm")))
    assert raised(f, th=Thresholds(falling_weeks=2)) == []
    assert weekly_signals(f, date(2026, 11, 23), TODAY).new_opportunities == 4


def test_once_the_crm_reports_every_deal_a_finished_week_without_one_is_zero_and_no_earlier_week_is():
    crm_from = date(2026, 11, 16)
    f = facts(opportunities=weeks(5, 3, 1, source="crm"), crm_from=crm_from)  # 2, 9 and 16 Nov; then nothing
    today = date(2026, 12, 1)  # Tuesday: the weeks of 23 Nov finished, that of 30 Nov hasn't
    counts = {w: (c.count, c.source) for w, c in f.opportunity_weeks(today).items()}
    assert counts == {NOV2: (5, "crm"), NOV2 + timedelta(7): (3, "crm"), crm_from: (1, "crm"),
                      date(2026, 11, 23): (0, "crm")}
    flag = one(f, "opportunities_falling", today=today)
    assert describe(flag, "Alex") == ("Alex: 5, 3, 1, 0 new opportunities in the four weeks of 2 Nov – 23 Nov 2026 "
                                      "(from the CRM).")
    assert [w.new_opportunities for w in recent_weeks(f, today, 3)] == [1, 0, None]  # this week: not yet
    # Before the CRM reported every deal, a week without a count is still no answer, never a zero.
    early = facts(opportunities=weeks(5, None, 3, source="crm"), crm_from=date(2026, 11, 23))
    assert NOV2 + timedelta(7) not in early.opportunity_weeks(today)
    with pytest.raises(ValueError, match="must be a Monday"):
        facts(crm_from=date(2026, 11, 18)).opportunity_weeks(today)


def test_the_week_in_progress_joins_a_run_only_once_the_rep_answered_its_pulse():
    monday = date(2026, 11, 23)
    crm = facts(opportunities=weeks(5, 4, 3, 1, source="crm"), crm_from=NOV2)  # 1: Monday's first deal
    assert raised(crm, today=monday) == []  # 5, 4, 3 is two falls; the week that just began isn't a week yet
    assert one(crm, "opportunities_falling", today=monday + timedelta(days=7)).measure == 3  # once it's over
    two = one(crm, "opportunities_falling", today=monday, th=Thresholds(falling_weeks=2))
    assert [c.count for c in two.facts] == [5, 4, 3]
    answered = facts(opportunities=weeks(5, 4, 3, 1))  # the rep said 1 for this week themselves
    assert [c.count for c in one(answered, "opportunities_falling", today=monday).facts] == [5, 4, 3, 1]


@pytest.mark.parametrize("answer, count", [("4", 4), (" 12 ", 12), ("0", 0), ("1-2", None), ("6+", None),
                                           ("", None), (None, None), ("-1", None), ("99999", None),
                                           ("²", None), ("٣", None)])
def test_a_pulse_answer_is_a_number_or_nothing(answer, count):
    assert pulse_count(answer) == count


# --- new opportunities falling ----------------------------------------------------------------------------------

def test_falling_three_weeks_running_is_flagged_strong_at_the_threshold():
    flag = one(facts(opportunities=weeks(4, 2, 1, 0)), "opportunities_falling")
    assert (flag.strength, flag.measure, flag.threshold) == ("strong", 3, 3)
    assert [c.count for c in flag.facts] == [4, 2, 1, 0]
    assert flag.key == "opportunities_falling:7:2026-11-02"


def test_falling_two_weeks_running_is_not_flagged():
    assert raised(facts(opportunities=weeks(None, 2, 1, 0))) == []
    assert raised(facts(opportunities=weeks(2, 2, 1, 0))) == []  # level is not falling


def test_falling_four_weeks_running_is_strong():
    flag = one(facts(opportunities=weeks(5, 4, 2, 1, 0, start=NOV2 - timedelta(7))), "opportunities_falling")
    assert (flag.strength, flag.measure, flag.first) == ("strong", 4, date(2026, 10, 26))


def test_a_week_with_no_answer_is_silence_not_zero_and_makes_no_series():
    assert raised(facts(opportunities=weeks(4, None, 1, 0))) == []
    # This week's pulse not in yet: last week is the latest answer, and 4, 2, 1 is two falls.
    assert raised(facts(opportunities=weeks(4, 2, 1)), today=date(2026, 11, 30)) == []
    assert raised(facts(opportunities=weeks(4, 2, 1, 0)), today=date(2026, 11, 30))  # a zero is an answer


def test_a_series_that_stopped_weeks_ago_raises_nothing_now():
    assert raised(facts(opportunities=weeks(4, 2, 1, 0)), today=date(2026, 12, 10)) == []


def test_a_falling_flag_keeps_its_key_while_the_episode_lasts_and_a_new_episode_gets_a_new_one():
    first = one(facts(opportunities=weeks(6, 4, 2, 1)), "opportunities_falling")
    later = one(facts(opportunities=weeks(6, 4, 2, 1, 0)), "opportunities_falling", today=date(2026, 12, 3))
    assert first.key == later.key and (first.measure, later.measure) == (3, 4)
    again = one(facts(opportunities=weeks(6, 4, 2, 1, 3, 2, 1, 0)), "opportunities_falling", today=date(2026, 12, 24))
    assert again.key == "opportunities_falling:7:2026-11-30" != first.key


def test_a_decline_found_to_reach_back_further_keeps_the_key_it_was_recorded_under():
    told = one(facts(opportunities=weeks(4, 2, 1, 0)), "opportunities_falling")  # recorded from 2 Nov
    longer = facts(opportunities=weeks(6, 4, 2, 1, 0, start=NOV2 - timedelta(7)))  # 26 Oct answered late: 6
    assert one(longer, "opportunities_falling").key == "opportunities_falling:7:2026-10-26"  # nothing recorded
    again = one(longer, "opportunities_falling", known=[told.key, "opportunities_falling:8:2026-11-09", "odd:key"])
    assert again.key == told.key and again.measure == 4 and again.first == date(2026, 10, 26)
    # A recorded episode that began before this one ended before it: a decline after a recovery is new.
    after = facts(opportunities=weeks(4, 2, 1, 0, 5, 3, 2, 1))
    new = one(after, "opportunities_falling", today=date(2026, 12, 24), known=[told.key])
    assert new.key == "opportunities_falling:7:2026-11-30"
    # Losses too: a retrospective filed late for an older loss of the same cause.
    lost = (Loss(date(2026, 11, 17), "Acme", "price"), Loss(date(2026, 11, 24), "Globex", "price"))
    first = one(facts(losses=lost), "repeated_loss_cause")
    earlier = facts(losses=(Loss(date(2026, 11, 10), "Initech", "price"), *lost))
    assert one(earlier, "repeated_loss_cause", known=[first.key]).key == first.key != \
        one(earlier, "repeated_loss_cause").key


def test_falling_across_the_new_year_is_described_with_both_years():
    f = facts(opportunities=weeks(3, 2, 1, 0, start=date(2026, 12, 14)))
    flag = one(f, "opportunities_falling", today=date(2027, 1, 7))
    assert flag.key == "opportunities_falling:7:2026-12-14"
    assert describe(flag, "Alex") == ("Alex: 3, 2, 1, 0 new opportunities in the four weeks of 14 Dec 2026 – "
                                      "4 Jan 2027 (from their weekly pulse answers).")


def test_a_workspace_may_flag_after_two_falling_weeks():
    th = Thresholds.from_settings({"falling_weeks": 2})
    assert one(facts(opportunities=weeks(None, 2, 1, 0)), "opportunities_falling", th=th).strength == "strong"
    assert raised(facts(opportunities=weeks(None, 2, 1, 0))) == []  # two drops: below the default three


def test_falling_described_to_the_manager_and_to_the_rep():
    flag = one(facts(opportunities=weeks(4, 2, 1, 0, source="crm")), "opportunities_falling", today=date(2026, 11, 30))
    assert describe(flag, "Alex") == ("Alex: 4, 2, 1, 0 new opportunities in the four weeks of 2 Nov – 23 Nov 2026 "
                                      "(from the CRM).")
    assert describe_for_rep(flag) == ("Your manager was told: your new opportunities were 4, 2, 1, 0 in the four "
                                      "weeks of 2 Nov – 23 Nov 2026 (from the CRM).")


# --- below the plan's target ------------------------------------------------------------------------------------

TARGET = Thresholds(min_weekly_opportunities=3)


def test_no_target_means_no_below_target_flag_even_at_zero():
    assert raised(facts(opportunities=weeks(0, 0, 0, 0))) == []


def test_below_target_at_just_below_and_above_its_threshold():
    at = one(facts(opportunities=weeks(5, 5, 1, 2)), "opportunities_below_target", th=TARGET)
    assert (at.strength, at.measure, at.target, at.key) == ("weak", 2, 3, "opportunities_below_target:7:2026-11-16")
    assert raised(facts(opportunities=weeks(5, 5, 3, 1)), th=TARGET) == []  # the target itself is not below it
    assert one(facts(opportunities=weeks(5, 1, 2, 0)), "opportunities_below_target", th=TARGET).strength == "strong"
    assert raised(facts(opportunities=weeks(1, None, 5, 1)), th=TARGET) == []  # silence breaks the run


def test_below_target_described():
    flag = one(facts(opportunities=weeks(5, 5, 1, 2)), "opportunities_below_target", th=TARGET)
    assert describe(flag, "Sam") == ("Sam: 1, 2 new opportunities in the two weeks of 16 Nov – 23 Nov 2026, below "
                                     "the plan's 3 a week (from their weekly pulse answers).")
    one_week = one(facts(opportunities=weeks(5, 5, 5, 0)), "opportunities_below_target",
                   th=Thresholds(min_weekly_opportunities=3, below_target_weeks=1))
    assert "in the week of 23 Nov 2026, below" in describe(one_week, "Sam")


# --- repeated loss cause ----------------------------------------------------------------------------------------

def loss(day, cause="price", deal="Acme", buyer=None):
    return Loss(on=day, deal=deal, cause=cause, buyer_confirmed=buyer)


def test_two_losses_with_the_same_cause_in_two_weeks_is_flagged_strong():
    f = facts(losses=(loss(date(2026, 11, 17), buyer=True), loss(date(2026, 11, 24), deal="Globex", buyer=False)))
    flag = one(f, "repeated_loss_cause")
    assert (flag.strength, flag.measure, flag.cause) == ("strong", 2, "price")
    assert flag.key == "repeated_loss_cause:7:2026-11-16:price"
    assert describe(flag, "Alex") == ("Alex: 2 lost deals with the same main reason (“Price”) within two weeks: "
                                      "Acme on 17 Nov and Globex on 24 Nov 2026; the buyer confirmed it for 1 of "
                                      "the 2.")
    assert describe_for_rep(flag).startswith("Your manager was told: 2 of your lost deals had the same main reason")


def test_long_deal_names_are_shortened_in_a_signal_as_in_the_brief():
    long = "Acme " + "expansion " * 19 + "deal"  # 199 characters, as a CRM may send
    f = facts(losses=(loss(date(2026, 11, 17), deal=long), loss(date(2026, 11, 24), deal="Globex")))
    text = describe(one(f, "repeated_loss_cause"), "Alex")
    assert f"“Price”) within two weeks: {clip(long)} on 17 Nov and Globex on 24 Nov 2026;" in text
    assert len(clip(long)) == MOST_TEXT and long not in text


@pytest.mark.parametrize("losses", [
    (loss(date(2026, 11, 10)), loss(date(2026, 11, 24))),  # the first is outside the two weeks
    (loss(date(2026, 11, 17)), loss(date(2026, 11, 24), cause="timing")),
    (loss(date(2026, 11, 17), cause=None), loss(date(2026, 11, 24), cause=None)),  # retrospectives unfinished
    (loss(date(2026, 11, 17), cause="other"), loss(date(2026, 11, 24), cause="other")),
    (loss(date(2026, 11, 24)), loss(date(2026, 11, 27))),  # the second is after today
])
def test_losses_that_do_not_repeat_a_cause_within_the_window_are_not_flagged(losses):
    assert raised(facts(losses=losses)) == []


def test_two_causes_repeated_get_two_flags_with_two_keys():
    f = facts(losses=(loss(date(2026, 11, 16)), loss(date(2026, 11, 18)), loss(date(2026, 11, 23)),
                      loss(date(2026, 11, 17), "timing"), loss(date(2026, 11, 24), "timing")))
    found = raised(f, kind="repeated_loss_cause")
    assert [(x.cause, x.measure, x.strength) for x in found] == [("price", 3, "strong"), ("timing", 2, "strong")]
    assert len({x.key for x in found}) == 2


def test_a_loss_cause_episode_keeps_its_key_as_the_window_slides_and_a_later_one_starts_anew():
    f = facts(losses=(loss(date(2026, 11, 10)), loss(date(2026, 11, 17)), loss(date(2026, 11, 24))))
    assert one(f, "repeated_loss_cause", today=date(2026, 11, 19)).key == "repeated_loss_cause:7:2026-11-09:price"
    assert one(f, "repeated_loss_cause", today=TODAY).key == "repeated_loss_cause:7:2026-11-09:price"
    later = facts(losses=f.losses + (loss(date(2026, 12, 14)), loss(date(2026, 12, 16))))
    assert one(later, "repeated_loss_cause", today=date(2026, 12, 17)).key == "repeated_loss_cause:7:2026-12-14:price"


# --- stuck / could use a hand -----------------------------------------------------------------------------------

def test_stuck_answers_at_below_and_above_the_threshold():
    at = facts(answers=(CheckinAnswer(date(2026, 11, 17), "stuck"), CheckinAnswer(date(2026, 11, 20), "on_track"),
                        CheckinAnswer(date(2026, 11, 24), "need_hand")))
    flag = one(at, "stuck")
    assert (flag.strength, flag.measure, flag.key) == ("strong", 2, "stuck:7:2026-11-16")
    assert describe(flag, "Alex") == ("Alex: they answered “Stuck” or “Could use a hand” twice within two weeks: "
                                      "“Stuck” on 17 Nov and “Could use a hand” on 24 Nov 2026.")
    assert describe_for_rep(flag) == ("Your manager was told: you answered “Stuck” or “Could use a hand” twice "
                                      "within two weeks: “Stuck” on 17 Nov and “Could use a hand” on 24 Nov 2026.")
    below = facts(answers=(CheckinAnswer(date(2026, 11, 10), "stuck"), CheckinAnswer(date(2026, 11, 24), "stuck")))
    assert raised(below) == []
    above = facts(answers=at.answers + (CheckinAnswer(date(2026, 11, 25), "stuck"),))
    assert one(above, "stuck").strength == "strong"


# --- overdue actions (the rep's) and missed commitments (the manager's) -----------------------------------------

def test_overdue_actions_at_below_and_above_the_threshold():
    two = (ActionDue("rep", date(2026, 11, 20)), ActionDue("rep", date(2026, 11, 23)))
    flag = one(facts(actions=two), "overdue_actions")
    assert (flag.strength, flag.measure, flag.first) == ("weak", 2, date(2026, 11, 24))
    assert flag.key == "overdue_actions:7:2026-11-23"
    assert describe(flag, "Alex") == "Alex: 2 of their actions are past their due date (due 20 Nov and 23 Nov 2026)."
    assert describe_for_rep(flag) == ("Your manager was told: 2 of your actions are past their due date "
                                      "(due 20 Nov and 23 Nov 2026).")
    done = (two[0], ActionDue("rep", date(2026, 11, 23), done_on=date(2026, 11, 25)),
            ActionDue("rep", date(2026, 11, 26)), ActionDue("manager", date(2026, 11, 10)))
    assert raised(facts(actions=done), kind="overdue_actions") == []  # done late, due today, or the manager's
    three = two + (ActionDue("rep", date(2026, 11, 10)),)
    assert one(facts(actions=three), "overdue_actions").strength == "strong"


def test_an_action_done_on_its_due_date_or_the_day_after_today_is_judged_by_today():
    assert not ActionDue("rep", date(2026, 11, 20), done_on=date(2026, 11, 20)).overdue_on(date(2026, 11, 21))
    assert ActionDue("rep", date(2026, 11, 20), done_on=date(2026, 11, 27)).overdue_on(TODAY)


def test_dates_across_a_year_carry_their_years_and_same_day_items_are_each_listed():
    items = (ActionDue("rep", date(2026, 12, 30)), ActionDue("rep", date(2027, 1, 4)),
             ActionDue("rep", date(2027, 1, 4)))
    flag = one(facts(actions=items), "overdue_actions", today=date(2027, 1, 6))
    assert describe(flag, "Alex") == ("Alex: 3 of their actions are past their due date "
                                      "(due 30 Dec 2026, 4 Jan and 4 Jan 2027).")
    assert flag.key == "overdue_actions:7:2027-01-04"


def test_an_overdue_episode_keeps_its_key_while_items_stay_late():
    items = (ActionDue("rep", date(2026, 11, 20)), ActionDue("rep", date(2026, 11, 23)))
    assert one(facts(actions=items), "overdue_actions").key == \
        one(facts(actions=items), "overdue_actions", today=date(2026, 12, 9)).key
    # Caught up on 1 Dec, then late again: a new episode.
    caught_up = (ActionDue("rep", date(2026, 11, 20), done_on=date(2026, 12, 1)), items[1],
                 ActionDue("rep", date(2026, 12, 7)))
    again = one(facts(actions=caught_up), "overdue_actions", today=date(2026, 12, 9))
    assert again.key == "overdue_actions:7:2026-12-07"


def test_the_managers_missed_commitments_at_below_and_above_the_threshold():
    mine = ActionDue("manager", date(2026, 11, 13))
    flag = one(facts(actions=(mine, ActionDue("rep", date(2026, 11, 2)))), "manager_commitments_missed")
    assert (flag.strength, flag.measure, flag.key) == ("weak", 1, "manager_commitments_missed:7:2026-11-09")
    assert describe(flag, "Alex") == "Alex: 1 of your commitments to them is past its due date (due 13 Nov 2026)."
    assert describe_for_rep(flag) == ("Your manager was told: 1 of their commitments to you is past its due date "
                                      "(due 13 Nov 2026).")
    assert raised(facts(actions=(ActionDue("manager", date(2026, 11, 13), done_on=date(2026, 11, 12)),))) == []
    strong = one(facts(actions=(mine, ActionDue("manager", date(2026, 11, 24)))), "manager_commitments_missed")
    assert (strong.strength, strong.key) == ("strong", "manager_commitments_missed:7:2026-11-09")


# --- unanswered check-ins ---------------------------------------------------------------------------------------

ASKED = tuple(CheckinAsked(d) for d in (date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)))


def test_three_unanswered_check_ins_in_a_row_are_flagged_weak():
    f = facts(asked=ASKED, answers=(CheckinAnswer(date(2026, 11, 3), "on_track"),))
    flag = one(f, "silent")
    assert (flag.strength, flag.measure, flag.key) == ("weak", 3, "silent:7:2026-11-09")
    assert describe(flag, "Alex") == "Alex: the last 3 check-ins went unanswered (sent 9 Nov, 16 Nov and 23 Nov 2026)."
    assert describe_for_rep(flag) == ("Your manager was told: your last 3 check-ins went unanswered "
                                      "(sent 9 Nov, 16 Nov and 23 Nov 2026).")


def test_an_answer_in_between_breaks_the_run_and_four_in_a_row_are_strong():
    assert raised(facts(asked=ASKED, answers=(CheckinAnswer(date(2026, 11, 17), "on_track"),))) == []
    assert raised(facts(asked=ASKED, answers=(CheckinAnswer(date(2026, 11, 23), "stuck"),)), kind="silent") == []
    assert one(facts(asked=ASKED), "silent").strength == "strong"


def test_a_check_in_sent_today_is_not_yet_unanswered():
    f = facts(asked=ASKED[1:] + (CheckinAsked(TODAY),), answers=(CheckinAnswer(date(2026, 11, 10), "on_track"),))
    assert raised(f) == []  # 16 and 23 Nov unanswered: two, and today's does not count yet
    assert one(f, "silent", today=TODAY + timedelta(1)).measure == 3


# --- days since the manager checked in --------------------------------------------------------------------------

@pytest.mark.parametrize("last, strength", [(date(2026, 11, 13), None), (date(2026, 11, 12), "weak"),
                                            (date(2026, 11, 6), "weak"), (date(2026, 11, 5), "strong")])
def test_days_since_the_managers_last_check_in(last, strength):
    found = raised(facts(manager_checkins=(ManagerCheckin(last), ManagerCheckin(date(2026, 11, 1)))))
    assert [f.strength for f in found] == ([strength] if strength else [])
    if strength:
        assert found[0].key == f"manager_absent:7:{week_of(last).isoformat()}"


def test_manager_absent_described_with_the_last_check_in_or_since_the_line_started():
    flag = one(facts(manager_checkins=(ManagerCheckin(date(2026, 11, 5)),)), "manager_absent")
    assert describe(flag, "Alex") == "Alex: 21 days since your last check-in with them (5 Nov 2026)."
    assert describe_for_rep(flag) == "Your manager was told: 21 days since their last check-in with you (5 Nov 2026)."
    never = one(facts(since=date(2026, 11, 1)), "manager_absent")
    assert (never.measure, never.key) == (25, "manager_absent:7:2026-10-26")
    assert describe(never, "Alex") == "Alex: no check-in from you yet in the 25 days since 1 Nov 2026."
    assert describe_for_rep(never) == ("Your manager was told: no check-in from them yet in the 25 days since "
                                       "1 Nov 2026.")


def test_a_new_reporting_line_counts_from_its_start_and_a_future_check_in_is_ignored():
    f = facts(manager_checkins=(ManagerCheckin(date(2026, 10, 1)),), since=date(2026, 11, 16))
    assert raised(f) == []  # ten days since the line began (56 since the check-in with the former manager)
    assert one(f, "manager_absent", today=date(2026, 11, 30)).first == date(2026, 11, 16)
    ahead = facts(manager_checkins=(ManagerCheckin(date(2026, 10, 1)), ManagerCheckin(date(2026, 11, 27))),
                  since=date(2026, 11, 1))
    assert (one(ahead, "manager_absent").first, one(ahead, "manager_absent").measure) == (date(2026, 11, 1), 25)
    assert raised(facts()) == []  # never, and no known start: nothing to count from


# --- thresholds -------------------------------------------------------------------------------------------------

def test_thresholds_have_sensible_defaults():
    th = Thresholds.from_settings(None)
    assert th == Thresholds.from_settings({}) == DEFAULT
    assert (th.falling_weeks, th.same_cause_losses, th.same_cause_window_weeks, th.stuck_answers,
            th.overdue_actions, th.unanswered_checkins, th.days_since_manager_checkin,
            th.min_weekly_opportunities) == (3, 2, 2, 2, 2, 3, 14, None)


def test_workspace_settings_are_read_and_round_trip():
    th = Thresholds.from_settings({"falling_weeks": 4, "min_weekly_opportunities": "5", "overdue_actions": " 3 "})
    assert (th.falling_weeks, th.min_weekly_opportunities, th.overdue_actions) == (4, 5, 3)
    assert th.to_settings() == {"falling_weeks": 4, "min_weekly_opportunities": 5, "overdue_actions": 3}
    assert Thresholds.from_settings(th.to_settings()) == th
    assert Thresholds.from_settings({"min_weekly_opportunities": None}).min_weekly_opportunities is None


@pytest.mark.parametrize("settings, message", [
    ({"falling_week": 3}, "unknown signal setting 'falling_week'"),
    ({"falling_weeks": 1}, "falling_weeks (weeks in a row that new opportunities fell) must be from 2 to 8, not 1"),
    ({"falling_weeks": 9}, "must be from 2 to 8, not 9"),
    ({"days_since_manager_checkin": 91}, "must be from 3 to 90, not 91"),
    ({"overdue_actions": True}, "must be a whole number from 1 to 20, not True"),
    ({"overdue_actions": 2.5}, "not 2.5"),
    ({"overdue_actions": "two"}, "not 'two'"),
    ({"overdue_actions": "²"}, "not '²'"),
    ({"min_weekly_opportunities": 0}, "must be from 1 to 1000, not 0"),
    ({"stuck_answers": None}, "stuck_answers"),
    ([("falling_weeks", 3)], "must be a mapping"),
])
def test_bad_workspace_settings_are_refused_with_a_specific_message(settings, message):
    with pytest.raises(ThresholdError) as e:
        Thresholds.from_settings(settings)
    assert message in str(e.value)


def test_every_problem_is_named_at_once_and_direct_construction_is_checked_too():
    with pytest.raises(ThresholdError) as e:
        Thresholds.from_settings({"nope": 1, "falling_weeks": 0, "overdue_actions": 3})
    assert len(e.value.problems) == 2
    with pytest.raises(ThresholdError, match="same_cause_losses"):
        Thresholds(same_cause_losses=1)


@pytest.mark.parametrize("field, value", [("falling_weeks", 2), ("falling_weeks", 8), ("unanswered_checkins", 1),
                                          ("unanswered_checkins", 10), ("days_since_manager_checkin", 3)])
def test_the_ends_of_each_range_are_allowed(field, value):
    assert getattr(Thresholds.from_settings({field: value}), field) == value


# --- weekly numbers ---------------------------------------------------------------------------------------------

def everything() -> RepFacts:
    return facts(
        opportunities=weeks(4, 2, 0),
        losses=(loss(date(2026, 11, 17)), loss(date(2026, 11, 18), cause=None), loss(date(2026, 11, 19), "timing"),
                loss(date(2026, 11, 20))),
        answers=(CheckinAnswer(date(2026, 11, 17), "stuck"), CheckinAnswer(date(2026, 11, 18), "on_track"),
                 CheckinAnswer(date(2026, 11, 19), "need_hand")),
        asked=(CheckinAsked(date(2026, 11, 16)), CheckinAsked(date(2026, 11, 20)), CheckinAsked(date(2026, 11, 23))),
        actions=(ActionDue("rep", date(2026, 11, 18)), ActionDue("rep", date(2026, 11, 19), date(2026, 11, 21)),
                 ActionDue("rep", date(2026, 11, 27)), ActionDue("manager", date(2026, 11, 10))),
        manager_checkins=(ManagerCheckin(date(2026, 11, 3)), ManagerCheckin(date(2026, 11, 17))),
    )


def test_a_finished_week_in_numbers():
    w = weekly_signals(everything(), date(2026, 11, 16), TODAY)
    assert w.complete and (w.new_opportunities, w.opportunities_source) == (0, "pulse")
    assert (w.losses, w.loss_causes) == (4, (("price", 2), ("timing", 1)))
    assert (w.answers, w.stuck_answers, w.checkins_asked, w.checkins_unanswered) == (3, 2, 2, 1)
    # As of Sunday 22 Nov: 18 Nov open, 19 Nov done on the 21st; the manager's 10 Nov item still open.
    assert (w.overdue_actions, w.manager_missed_commitments) == (1, 1)
    assert (w.manager_checkins, w.days_since_manager_checkin) == (1, 5)


def test_the_week_in_progress_is_counted_to_today_and_a_missing_pulse_is_none_not_zero():
    w = weekly_signals(everything(), date(2026, 11, 23), TODAY)
    assert not w.complete
    assert (w.new_opportunities, w.opportunities_source) == (None, None)
    assert (w.checkins_asked, w.checkins_unanswered, w.days_since_manager_checkin) == (1, 1, 9)
    assert w.overdue_actions == 1  # 27 Nov is not due yet


def test_a_week_must_start_on_a_monday_and_have_begun():
    with pytest.raises(ValueError, match="Monday"):
        weekly_signals(everything(), date(2026, 11, 17), TODAY)
    with pytest.raises(ValueError, match="has not begun"):
        weekly_signals(everything(), date(2026, 11, 30), TODAY)


def test_recent_weeks_cross_the_new_year_oldest_first():
    f = facts(opportunities=weeks(3, 2, 1, 0, start=date(2026, 12, 14)))
    got = recent_weeks(f, date(2027, 1, 6))
    assert [(w.week_start, w.new_opportunities) for w in got] == [
        (date(2026, 12, 14), 3), (date(2026, 12, 21), 2), (date(2026, 12, 28), 1), (date(2027, 1, 4), 0)]


def test_an_empty_history_is_quiet_and_unknown_not_zero():
    w = weekly_signals(facts(), date(2026, 11, 23), TODAY)
    assert (w.new_opportunities, w.days_since_manager_checkin, w.losses, w.overdue_actions) == (None, None, 0, 0)
    assert flags(facts(), DEFAULT, TODAY) == []


def test_a_rep_with_only_one_week_raises_no_trend():
    f = facts(opportunities=weeks(None, None, None, 0))
    assert raised(f) == []
    assert [w.new_opportunities for w in recent_weeks(f, TODAY, 2)] == [None, 0]


def test_strong_flags_come_first_and_every_flag_has_words_for_both_readers():
    absent = replace(everything(), manager_checkins=(ManagerCheckin(date(2026, 11, 3)),))  # 23 days: strong
    found = flags(absent, Thresholds(min_weekly_opportunities=3, falling_weeks=2), TODAY)
    assert [(f.kind, f.strength) for f in found] == [
        ("stuck", "strong"), ("repeated_loss_cause", "strong"), ("opportunities_falling", "strong"),
        ("manager_absent", "strong"), ("opportunities_below_target", "weak"), ("manager_commitments_missed", "weak")]
    for f in found:
        assert describe(f, "Alex").startswith("Alex: ") and describe_for_rep(f).startswith("Your manager was told: ")
        assert any(ch.isdigit() for ch in describe(f, "Alex"))


# --- any facts at all -------------------------------------------------------------------------------------------

DAYS = st.integers(0, 90).map(lambda n: date(2026, 11, 16) + timedelta(days=n))  # across the new year
MONDAYS = st.integers(0, 12).map(lambda n: date(2026, 11, 16) + timedelta(weeks=n))
any_facts = st.builds(
    RepFacts, rep=st.just(REP),
    opportunities=st.lists(st.builds(WeekCount, MONDAYS, st.integers(0, 8), st.sampled_from(["pulse", "crm"])),
                           max_size=14).map(tuple),
    losses=st.lists(st.builds(Loss, DAYS, st.sampled_from(["Acme", "Globex"]),
                              st.sampled_from([None, "price", "timing", "other"]),
                              st.sampled_from([None, True, False])), max_size=8).map(tuple),
    answers=st.lists(st.builds(CheckinAnswer, DAYS, st.sampled_from(["on_track", "need_hand", "stuck"])),
                     max_size=8).map(tuple),
    asked=st.lists(st.builds(CheckinAsked, DAYS), max_size=10).map(tuple),
    actions=st.lists(st.builds(ActionDue, st.sampled_from(["rep", "manager"]), DAYS, st.none() | DAYS),
                     max_size=8).map(tuple),
    manager_checkins=st.lists(st.builds(ManagerCheckin, DAYS), max_size=4).map(tuple),
    since=st.none() | DAYS, crm_from=st.none() | MONDAYS)
any_thresholds = st.builds(Thresholds, falling_weeks=st.integers(2, 4),
                           min_weekly_opportunities=st.none() | st.integers(1, 5), same_cause_losses=st.integers(2, 3),
                           unanswered_checkins=st.integers(1, 4))


@settings(max_examples=300, deadline=None)
@given(any_facts, any_thresholds, DAYS)
def test_any_facts_give_well_formed_flags_in_words_with_one_key_each(f, th, today):
    found = flags(f, th, today)
    assert len({x.key for x in found}) == len(found)
    for x in found:
        assert x.measure >= x.threshold and x.strength in ("strong", "weak") and x.first <= today
        assert describe(x, "Alex").startswith("Alex: ") and describe_for_rep(x).startswith("Your manager was told: ")
        if x.kind in ("opportunities_falling", "opportunities_below_target"):
            starts = [c.week_start for c in x.facts]  # answered weeks only, one after another: silence makes none
            assert starts == [starts[0] + timedelta(weeks=i) for i in range(len(starts))]
            assert set(x.facts) <= set(f.opportunity_weeks(today).values())
    assert [w.week_start for w in recent_weeks(f, today, 3)] == [week_of(today) - timedelta(weeks=i) for i in (2, 1, 0)]


@settings(max_examples=200, deadline=None)
@given(any_facts, DAYS)
def test_a_rep_who_never_answered_the_pulse_raises_no_opportunity_flag(f, today):
    silent = replace(f, opportunities=(), crm_from=None)  # with a CRM reporting every deal, none is 0
    assert not [x for x in flags(silent, Thresholds(min_weekly_opportunities=5), today) if "opportunities" in x.kind]


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*Thresholds().__dataclass_fields__, "x"]),
                       st.none() | st.booleans() | st.integers(-5, 200) | st.text(max_size=4) | st.floats()))
def test_any_settings_give_thresholds_or_a_named_refusal(settings_):
    try:
        th = Thresholds.from_settings(settings_)
    except ThresholdError as e:
        assert e.problems and all(isinstance(p, str) and p for p in e.problems)
    else:
        assert Thresholds.from_settings(th.to_settings()) == th


def known_by(f: RepFacts, today: date) -> RepFacts:
    """Only what could be stored by `today`: nothing dated later, no action done later."""
    return replace(
        f, opportunities=tuple(c for c in f.opportunities if c.week_start <= today),
        losses=tuple(x for x in f.losses if x.on <= today), answers=tuple(x for x in f.answers if x.on <= today),
        asked=tuple(x for x in f.asked if x.on <= today),
        actions=tuple(replace(a, done_on=a.done_on if a.done_on and a.done_on <= today else None) for a in f.actions),
        manager_checkins=tuple(x for x in f.manager_checkins if x.on <= today),
        since=f.since if f.since and f.since <= today else None)


@settings(max_examples=300, deadline=None)
@given(any_facts, any_thresholds, DAYS, st.integers(1, 6))
def test_with_nothing_new_a_flag_still_raised_days_later_keeps_its_key(f, th, today, later):
    # What makes a dismissed or snoozed flag stay quiet for its episode: its key does not drift with the calendar.
    f = known_by(f, today)
    before = {(x.kind, x.cause): x.key for x in flags(f, th, today)}
    after = {(x.kind, x.cause): x.key for x in flags(f, th, today + timedelta(days=later))}
    assert {k: v for k, v in after.items() if k in before} == {k: v for k, v in before.items() if k in after}
