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


# Issue 17.7: the checks recognise a kind from how the sentence is built, not only from listed words.
@pytest.mark.parametrize("sentence,expected", [
    ("You're the weakest closer on the team", {"label", "no_specifics"}),
    ("Jane mentioned the client found you pushy", {"hearsay", "label", "no_specifics"}),
    ("You have zero drive", {"label", "no_specifics"}),
])
def test_the_statements_from_the_issue_are_named(sentence, expected):
    assert codes(check_observed(sentence, "Alex")) == expected


@pytest.mark.parametrize("sentence,kind", [
    # label: a superlative about "you" against a group, "you are a <grade> <role>", "you have no <quality>"
    ("You're the slowest responder in the region.", "label"),
    ("You're one of the least coachable people I've managed.", "label"),
    ("You are a mediocre negotiator.", "label"),
    ("You have little initiative.", "label"),
    ("You come across as smug with new hires.", "label"),
    ("You're rubbish at forecasting.", "label"),
    ("You're not assertive enough with buyers.", "label"),
    # absolute: totalising words and habits
    ("You keep forgetting to log your calls.", "absolute"),
    ("Not a single proposal of yours goes out on time.", "absolute"),
    ("Nobody on the team has ever seen your call plan.", "absolute"),
    # hearsay: someone else reports or judges, the manager wasn't there
    ("Priya said you were short with her.", "hearsay"),
    ("The customer felt you were rushing her.", "hearsay"),
    ("Ops flagged that your orders lack PO numbers.", "hearsay"),
    ("The feedback I'm getting is that you're disengaged.", "hearsay"),
    ("I've been told you take long lunches.", "hearsay"),
    # mind-reading: what the rep thinks, wants, feels or means
    ("You think you're above cold calling.", "mind_reading"),
    ("You resent the new targets.", "mind_reading"),
    ("Alex is scared of picking up the phone.", "mind_reading"),
    ("You're deliberately sandbagging your forecast.", "mind_reading"),
    ("You've convinced yourself the territory is dead.", "mind_reading"),
    # emotion: the manager's feeling offered as the observation
    ("It really worries me that your pipeline is so thin.", "emotion"),
    ("Your numbers make me nervous.", "emotion"),
    ("I feel undermined when you go over my head.", "emotion"),
    ("Watching your demo was embarrassing.", "emotion"),
])
def test_kinds_are_recognised_from_the_shape_of_the_sentence(sentence, kind):
    assert kind in codes(check_observed(sentence, "Alex"))


@pytest.mark.parametrize("sentence", [
    "Jane mentioned the deck to Mark.",
    "Mark and Jane looked at your deck.",
    "You may want to look at your forecast again.",
    "June from finance asked about your expenses.",
    "You skip the Friday wrap-up.",
    "You're one of the reps on the enterprise team.",
])
def test_names_decks_and_may_do_not_pass_for_dates(sentence):
    assert "no_specifics" in codes(check_observed(sentence, "Alex"))


@pytest.mark.parametrize("sentence", [
    "Since March your pipeline has dropped by half.",
    "In May you were at 110% of quota.",
    "You sent the Globex proposal after the date we promised on Friday.",
    "The Acme renewal lapsed without a signed order.",
    "On Tuesday's call you told the buyer \"we can knock something off\".",
])
def test_a_month_or_weekday_used_as_a_date_a_named_deal_or_quoted_words_are_specific(sentence):
    assert "no_specifics" not in codes(check_observed(sentence, "Alex"))


@pytest.mark.parametrize("sentence", [
    "Your win rate in Q3 was 12%, the lowest on the team, where the average was 23%.",
    "Last month you made 96 dials, the fewest of the six reps.",
    "You told me on 1 Dec that you want to move into enterprise sales.",
    "In February you told the team you felt ready for a bigger territory; the move happened in June.",
    "I heard you tell the Acme buyer on 3 Nov that the price would hold.",
    "On the 14 Nov call I sat in on, the Acme buyer said the price was too high and you agreed to 20% off.",
    "Jane mentioned the Initech renewal at the 3 Nov review; it is due on 30 Nov.",
    "June, our ops lead, flagged 8 of your orders as missing POs on 19 Nov.",
    "Mark asked you on 2 Dec for the forecast and it arrived on 5 Dec.",
    "On 7 Nov you said on the team call that you were \"not going to chase small deals\".",
    "You told me on Monday, \"I haven't had time to prospect, I'm frustrated.\"",
    "Every Monday in November you joined stand-up after 9:15.",
    "The reports you send on Fridays had errors in 3 of the last 4 weeks.",
    "You were away on 4 and 5 Nov and the Hooli quote went out on 6 Nov.",
    "You were the top seller in Q2 with 410k.",
])
def test_hard_factual_statements_raise_no_hint(sentence):
    assert check_observed(sentence, "Alex") == []


@pytest.mark.parametrize("sentence,quote,advice", [
    ("You're the weakest closer on the team", "the weakest closer on the team", "which deals, which numbers"),
    ("You have zero drive", "zero drive", "label"),
    ("Jane mentioned the client found you pushy", "Jane mentioned", "second-hand"),
    ("You think you're above prospecting.", "You think", "behaviour"),
    ("Your numbers make me nervous.", "numbers make me nervous", "feel"),
])
def test_structural_hints_quote_the_phrase_and_ask_for_specifics(sentence, quote, advice):
    hints = check_observed(sentence, "Alex")
    quoted = [h for h in hints if h.quote == quote]
    assert quoted, [h.quote for h in hints]
    assert f"“{quote}”" in quoted[0].message
    assert advice in quoted[0].message.lower()


def test_the_rep_is_judged_by_name_and_a_name_that_is_a_word_stays_a_word():
    assert "mind_reading" in codes(check_observed("Priya doesn't care about the Acme renewal.", "Priya Raman"))
    assert "label" in codes(check_observed("Priya is the weakest closer on the team.", "Priya Raman"))
    # the rep's own words, heard first-hand, are not hearsay; someone else's are
    assert "hearsay" not in codes(check_observed("Priya told me on 3 Nov that the quote was late.", "Priya Raman"))
    assert "hearsay" in codes(check_observed("Sam told me Priya was late to the Acme call on 3 Nov.", "Priya Raman"))
    assert check_observed("On 3 Nov you said you will send the Acme quote; it went out on 9 Nov.", "Will Smith") == []


@pytest.mark.parametrize("sentence,is_label", [
    ("You're a showboat in team meetings.", True),
    ("You're a lightweight in negotiations.", True),
    ("You're very rigid in discovery.", True),
    ("You were a day late with the Acme quote on 3 Nov.", False),
    ("You were a judge at the 9 Nov hackathon, which overlapped with the Globex demo.", False),
    ("You're an AE on the enterprise team, and your Q3 number was 210k against 400k.", False),
    ("You were the most senior AE on the Umbrella pitch on 6 Nov and didn't speak until minute 35.", False),
    ("You're the newest AE on the team, since 3 August, and you have closed 1 deal.", False),
])
def test_you_are_a_x_is_a_verdict_unless_x_is_a_role_held_in_a_dated_event(sentence, is_label):
    assert ("label" in codes(check_observed(sentence, "Alex"))) is is_label
