"""The difficult-conversation coaching checks on a table of labelled sentences.

Each sentence carries the hint codes a good coach would raise, and nothing else: the factual ones
must raise none at all, because a false alarm teaches managers to ignore the coach.
"""
from __future__ import annotations

import pytest

from flows.coaching.facts import check_observed
from flows.coaching.ownership import check_own_part, check_rep_view

FACTS = [
    "On 3 and 10 Nov you logged 4 calls; the target is 20",
    "In October you booked 2 demos; the team target is 8.",
    "You joined the Monday pipeline review 25 minutes late on 2 and 16 Nov.",
    "Your forecast for Q3 was 120k and the quarter closed at 64k.",
    "Three of your five proposals in September went out after the date the customer asked for.",
    "The Acme opportunity has had no logged activity since 12 October.",
    "You sent 14 prospecting emails last week against a plan of 50.",
    "Yesterday's call with Northwind ended without a next step being agreed.",
    "Your CRM shows 6 open opportunities, 4 of them with a close date already past.",
    "On Tuesday I listened to your discovery call with Globex; you asked two questions in 30 minutes.",
    "This month you have held 1 first meeting; the team average is 7.",
    "You missed the 9:00 forecast call on 4, 11 and 18 November.",
    "Your win rate over the last 2 quarters is 11%, down from 24% in the first half of last year.",
    "In the last month you created no new opportunities in the CRM.",
    "Twice this week the quote you sent had the old price list.",
    "Your pipeline coverage for Q1 is 1.2 times quota; we agreed on 3 times.",
    "You delivered the Initech renewal 3 days after the contract ended.",
]

OPINIONS = [
    ("Alex is lazy.", {"label", "no_specifics"}),
    ("Your attitude in the team meeting on Monday was a problem.", {"label"}),
    ("Honestly your work has been sloppy since March.", {"label"}),
    ("You were unprofessional with the Acme buyer on 5 Nov.", {"label"}),
    ("You seem unmotivated and disengaged.", {"label", "no_specifics"}),
    ("You're not a team player.", {"label", "no_specifics"}),
    ("You always miss the stand-up.", {"absolute", "no_specifics"}),
    ("You never follow up after a demo.", {"absolute", "no_specifics"}),
    ("Every time I check the CRM it is out of date.", {"absolute", "no_specifics"}),
    ("You are constantly late with your forecast.", {"absolute", "no_specifics"}),
    ("Not once in Q3 did you hit your call target.", {"absolute"}),
    ("I'm really frustrated with your numbers this quarter.", {"emotion"}),
    ("It is so disappointing that you lost Globex in October.", {"emotion"}),
    ("Frankly your pipeline of 2 deals is unacceptable.", {"emotion"}),
    ("I feel let down by the 3 missed deadlines.", {"emotion"}),
    ("I heard you were rude to a client.", {"hearsay", "label", "no_specifics"}),
    ("People say you leave at 3pm most days.", {"hearsay"}),
    ("Someone told me you skipped the Initech meeting on 4 Nov.", {"hearsay"}),
    ("Apparently the buyer at Acme stopped answering in October.", {"hearsay"}),
    ("According to the team, you left the demo early on Friday.", {"hearsay"}),
    ("A customer told me you didn't return two calls last week.", {"hearsay"}),
    ("You don't care about this job any more.", {"mind_reading", "no_specifics"}),
    ("You're not interested in prospecting.", {"mind_reading", "no_specifics"}),
    ("You've given up on the Q4 number.", {"mind_reading"}),
    ("You obviously think the target of 20 calls is a joke.", {"mind_reading"}),
    ("You couldn't be bothered to prepare for Tuesday's call.", {"mind_reading"}),
    ("You keep making excuses about the territory change in September.", {"label", "absolute"}),
    ("Your work has gone downhill.", {"no_specifics"}),
]

OWNERSHIP = [
    ("I haven't joined one of your calls since September.", set()),
    ("I set the new targets without explaining them, and I want to fix that with you.", set()),
    ("My check-ins slipped after the reorg; that's on me.", set()),
    ("We never agreed what a good week looks like — I should have done that.", set()),
    ("Our team meetings have been cancelled three times and I let that happen.", set()),
    ("The targets were set by head office.", {"no_ownership"}),
    ("Nothing, the numbers speak for themselves.", {"no_ownership"}),
    ("Alex had all the support needed.", {"no_ownership"}),
    ("It's not my fault the territory was split.", {"deflection"}),
    ("I did everything I could to help.", {"deflection"}),
    ("Honestly, nothing to do with me.", {"deflection"}),
]

REP_VIEW = [
    ("Half my territory moved to the new team in September and my old leads went with it.", set()),
    ("Alex said the new pricing makes first meetings harder to book.", set()),
    ("More excuses about the territory.", {"dismissive"}),
    ("Alex claims marketing sends no leads.", {"dismissive"}),
]


def codes(hints) -> set[str]:
    return {h.code for h in hints}


def test_the_table_is_big_enough():
    assert len(FACTS) + len(OPINIONS) + len(OWNERSHIP) + len(REP_VIEW) >= 40
    assert len(FACTS) >= 15


@pytest.mark.parametrize("sentence", FACTS)
def test_factual_sentences_raise_no_hint(sentence):
    assert check_observed(sentence, "Alex") == []


@pytest.mark.parametrize("sentence,expected", OPINIONS)
def test_opinions_raise_exactly_the_expected_hints(sentence, expected):
    assert codes(check_observed(sentence, "Alex")) == expected


@pytest.mark.parametrize("sentence,expected", OWNERSHIP)
def test_ownership(sentence, expected):
    assert codes(check_own_part(sentence, "Alex")) == expected


@pytest.mark.parametrize("sentence,expected", REP_VIEW)
def test_rep_view_recorded_without_judgement(sentence, expected):
    assert codes(check_rep_view(sentence, "Alex")) == expected


@pytest.mark.parametrize("sentence,quote,advice", [
    ("Alex never follows up after a demo.", "never follows up after", "which"),
    ("You are lazy and I'm frustrated.", "lazy", "label"),
    ("I heard you were late on Monday.", "I heard", "second-hand"),
    ("You don't care about the 3 open deals.", "You don't care", "behaviour"),
])
def test_hints_quote_the_phrase_and_say_what_to_do(sentence, quote, advice):
    hints = check_observed(sentence, "Alex")
    quoted = [h for h in hints if h.quote == quote]
    assert quoted, [h.quote for h in hints]
    assert f"“{quote}”" in quoted[0].message
    assert advice in quoted[0].message.lower()


def test_hints_name_the_rep():
    hint = check_observed("You don't care.", "Priya")[0]
    assert "Priya" in hint.message


def test_curly_apostrophes_are_understood():
    assert "mind_reading" in codes(check_observed("You don’t care about the 3 open deals.", "Alex"))
    assert codes(check_own_part("It’s not my fault.", "Alex")) == {"deflection"}
