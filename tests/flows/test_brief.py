"""The brief a talk opens with: dated records, said plainly, a step-1 draft of facts only, and the manager's
own commitments that slipped."""
from __future__ import annotations

from datetime import date, timedelta

from flows.brief import (
    MOST_LINES, LastPlan, PlanItemFact, build_brief, commitment_lines, from_params, missed_commitments,
    own_part_sections, sections, step1_draft, to_params,
)
from flows.coaching.facts import check_observed
from flows.engine import Answer, advance, start
from flows.signals import ActionDue, CheckinAnswer, CheckinAsked, Loss, ManagerCheckin, RepFacts, WeekCount
from flows.talk import FLOW
from tests.support.clock import FIXED_NOW

TODAY = date(2026, 12, 3)  # a Thursday; the complete weeks are those of 2, 9, 16 and 23 Nov
FACTS = RepFacts(
    rep=7,
    opportunities=(WeekCount(date(2026, 11, 2), 4), WeekCount(date(2026, 11, 9), 2), WeekCount(date(2026, 11, 16), 1),
                   WeekCount(date(2026, 11, 23), 0)),
    losses=(Loss(date(2026, 11, 12), "Acme Corp", "price", True), Loss(date(2026, 11, 20), "Globex", "timing", False),
            Loss(date(2026, 11, 25), "Initech", "no_decision", None), Loss(date(2026, 11, 30), "Umbrella")),
    answers=(CheckinAnswer(date(2026, 11, 10), "on_track"), CheckinAnswer(date(2026, 11, 17), "need_hand"),
             CheckinAnswer(date(2026, 11, 24), "stuck")),
    asked=(CheckinAsked(date(2026, 11, 10)), CheckinAsked(date(2026, 11, 17)), CheckinAsked(date(2026, 11, 24)),
           CheckinAsked(date(2026, 11, 26))),
    actions=(ActionDue("manager", date(2026, 11, 3), date(2026, 11, 12)), ActionDue("rep", date(2026, 11, 6)),
             ActionDue("manager", date(2026, 11, 20)), ActionDue("manager", date(2026, 11, 25), date(2026, 11, 24))),
    manager_checkins=(ManagerCheckin(date(2026, 11, 12)),),
    since=date(2026, 10, 1),
)
PLAN = LastPlan(held_on=date(2026, 10, 20), review_on=date(2026, 11, 10), closed_on=None, items=(
    PlanItemFact("manager", "weekly pipeline review", date(2026, 11, 3), "done", date(2026, 11, 12)),
    PlanItemFact("rep", "book 5 discovery calls", date(2026, 11, 6), "open"),
    PlanItemFact("manager", "join two of Alex's calls", date(2026, 11, 20), "open"),
    PlanItemFact("manager", "send the call list", date(2026, 11, 25), "done", date(2026, 11, 24)),
    PlanItemFact("rep", "update the CRM", None, "dropped"),
))


def text_of(secs) -> str:
    return "\n".join(f"{s.heading}: " + " | ".join(s.lines) for s in secs)


def test_the_brief_gives_dated_numbers_losses_with_how_we_know_checkins_and_the_last_plan():
    text = text_of(sections(build_brief(FACTS, PLAN, "Alex", TODAY)))
    assert "New opportunities: Weeks of 2 Nov – 23 Nov 2026: 4, 2, 1, 0 (from the rep's weekly pulse answers)." in text
    assert "12 Nov 2026: “Acme Corp” — Price (buyer confirmed)" in text
    assert "20 Nov 2026: “Globex” — Timing (our read)" in text
    assert "25 Nov 2026: “Initech” — No decision / status quo (not asked)" in text
    assert "30 Nov 2026: “Umbrella” — cause not given yet (retrospective not finished)" in text
    assert "17 Nov 2026: Could use a hand | 24 Nov 2026: Stuck" in text
    assert "No answer to the check-in sent 26 Nov 2026." in text
    assert "Agreed 20 Oct 2026; still open; its review date, 10 Nov 2026, has passed; 2 of 4 items done." in text
    assert "You: “weekly pipeline review” — due 3 Nov 2026, done 12 Nov 2026 (9 days late)" in text
    assert "Alex: “book 5 discovery calls” — due 6 Nov 2026, not done" in text
    assert "Alex: “update the CRM” — no date, dropped" in text


def test_nothing_recorded_is_said_plainly_and_never_filled_in():
    b = build_brief(RepFacts(rep=7), None, "Alex", TODAY)
    text = text_of(sections(b))
    assert "Weeks of 2 Nov – 23 Nov 2026: nothing recorded yet (no weekly pulse answers or CRM counts)." in text
    assert "Lost deals: None recorded since 2 Nov 2026." in text
    assert "Check-ins: No check-in answers since 2 Nov 2026; nothing recorded yet." in text
    assert "No earlier plan with Alex is recorded." in text
    assert step1_draft(b) == ""
    assert "0" not in text.split("Lost deals")[0].split(":", 2)[2]  # a week with no answer is not zero


def test_a_week_without_an_answer_is_no_answer_not_zero():
    facts = RepFacts(rep=7, opportunities=(WeekCount(date(2026, 11, 2), 3), WeekCount(date(2026, 11, 30), 1)))
    b = build_brief(facts, None, "Alex", TODAY)
    text = text_of(sections(b))
    assert "3, no answer, no answer, no answer" in text and "This week so far: 1." in text
    assert "3, no answer, no answer and no answer" in step1_draft(b)


def test_the_draft_is_made_of_the_records_only_and_passes_the_step1_checks():
    draft = step1_draft(build_brief(FACTS, PLAN, "Alex", TODAY))
    assert draft.startswith("In the weeks of 2 Nov – 23 Nov 2026, your new opportunities were 4, 2, 1 and 0 "
                            "(from your weekly pulse answers).")
    assert ("The deal “Acme Corp” was lost on 12 Nov 2026; its retrospective gives price as the main reason "
            "(the buyer's own answer).") in draft
    assert "timing as the main reason (our read; the buyer hasn't confirmed it)" in draft
    assert "no decision / status quo as the main reason (the buyer wasn't asked)" in draft
    assert "“Could use a hand” on 17 Nov 2026 and “Stuck” on 24 Nov 2026" in draft
    assert "The check-in sent on 26 Nov 2026 has no answer." in draft
    assert "The plan we agreed on 20 Oct 2026 had 1 action for you: 1 not done (due 6 Nov 2026)." in draft
    assert check_observed(draft, "Alex") == []


def test_a_deal_name_that_reads_as_an_opinion_never_makes_the_draft_draw_a_hint():
    facts = RepFacts(rep=7, losses=(Loss(date(2026, 11, 12), "He is always lazy, I heard", "price", True),))
    draft = step1_draft(build_brief(facts, None, "Alex", TODAY))
    # Quoted, the name is a record's name; were it ever read as the manager's words, it is left out.
    tail = "was lost on 12 Nov 2026; its retrospective gives price as the main reason (the buyer's own answer)."
    assert draft in (f"The deal “He is always lazy, I heard” {tail}", f"A deal {tail}")
    assert check_observed(draft, "Alex") == []


def test_a_fact_no_wording_of_which_reads_as_a_fact_is_left_to_the_brief_and_counted(monkeypatch):
    from flows.brief import draft as module

    monkeypatch.setattr(module, "_reads_as_fact", lambda sentence, rep: "deal" not in sentence.lower())
    draft = step1_draft(build_brief(FACTS, PLAN, "Alex", TODAY))
    assert "Acme" not in draft and draft.endswith("(4 more facts are in the brief above.)")


def test_long_briefs_say_how_many_are_not_shown_and_the_draft_fits_its_box():
    many = tuple(Loss(date(2026, 11, 2) + timedelta(days=i % 30), "D" * 200 + str(i), "price", True) for i in range(40))
    b = build_brief(RepFacts(rep=7, losses=many), None, "Alex", TODAY)
    lost = sections(b)[1].lines
    assert len(lost) == MOST_LINES and lost[-1] == f"…and {40 - MOST_LINES + 1} more not shown."
    assert all(len(line) < 200 for line in lost)  # a typed deal name is cut, with an ellipsis
    draft = step1_draft(b)
    assert len(draft) <= 3000 and f"{40 - MOST_LINES + 1} more deals were lost between" in draft


def test_missed_and_late_commitments_of_the_manager_with_dates():
    slipped = missed_commitments(FACTS, TODAY, PLAN)
    assert [(c.text, c.due, c.done_on) for c in slipped] == [
        ("weekly pipeline review", date(2026, 11, 3), date(2026, 11, 12)),
        ("join two of Alex's calls", date(2026, 11, 20), None)]
    assert commitment_lines(slipped, TODAY) == (
        "“weekly pipeline review” due 3 Nov 2026, done 12 Nov 2026 (9 days late)",
        "“join two of Alex's calls” due 20 Nov 2026, not done (13 days past its date)")
    # Without the plan the dates still speak; the rep's own items are never counted here.
    bare = missed_commitments(FACTS, TODAY)
    assert [(c.text, c.due) for c in bare] == [(None, date(2026, 11, 3)), (None, date(2026, 11, 20))]
    assert commitment_lines(bare, TODAY)[0] == "A commitment due 3 Nov 2026, done 12 Nov 2026 (9 days late)"


def test_a_closed_plans_own_items_count_too():
    closed = LastPlan(date(2026, 9, 1), date(2026, 9, 15), date(2026, 9, 20), (
        PlanItemFact("manager", "shadow two calls", date(2026, 9, 10), "open"),))
    assert [c.text for c in missed_commitments(RepFacts(rep=7), TODAY, closed)] == ["shadow two calls"]
    assert "closed 20 Sep 2026 (review was set for 15 Sep 2026), 0 of 1 item done" in text_of(
        sections(build_brief(RepFacts(rep=7), closed, "Alex", TODAY)))


def test_step2_notes_name_the_commitments_and_the_last_checkin():
    text = text_of(own_part_sections(FACTS, TODAY, PLAN, "Alex"))
    assert "Your commitments to Alex: “weekly pipeline review” due 3 Nov 2026, done 12 Nov 2026 (9 days late)" in text
    assert "Your last noted check-in with Alex: 12 Nov 2026 (21 days ago)." in text
    calm = text_of(own_part_sections(RepFacts(rep=7, since=date(2026, 11, 1)), TODAY, None, "Alex"))
    assert "None of your dated commitments to Alex is recorded as missed or late." in calm
    assert "No check-in of yours with Alex is noted since 1 Nov 2026." in calm


def test_the_talk_flow_shows_the_brief_offers_the_draft_and_shows_step2_notes():
    b = build_brief(FACTS, PLAN, "Alex", TODAY)
    params = {"rep": "Alex", "manager": "Sam", "tz": "UTC",
              "brief": to_params(b, own_part_sections(FACTS, TODAY, PLAN, "Alex"))}
    first = start(FLOW, params, FIXED_NOW).outputs[0]
    assert [n.heading for n in first.notes] == ["New opportunities", "Lost deals", "Check-ins", "Last plan with Alex"]
    t = advance(FLOW, start(FLOW, params, FIXED_NOW).state, Answer("no"), FIXED_NOW)
    step1 = t.outputs[0]
    assert step1.step_id == "observed" and step1.value == step1.suggestion == step1_draft(b)
    assert step1.notes[-1].heading == "A start from the facts"
    t = advance(FLOW, t.state, Answer(step1.value), FIXED_NOW)  # taken as it is: no hint holds it back
    own = t.outputs[0]
    assert own.step_id == "own_part" and not own.hints
    assert own.notes == from_params(params, "own") and "9 days late" in own.notes[0].lines[0]


def test_a_talk_without_a_brief_shows_no_notes_and_no_draft():
    t = start(FLOW, {"rep": "Alex", "manager": "Sam", "tz": "UTC"}, FIXED_NOW)
    assert t.outputs[0].notes == ()
    step1 = advance(FLOW, t.state, Answer("no"), FIXED_NOW).outputs[0]
    assert step1.notes == () and step1.value is None and step1.suggestion is None


def test_the_signals_a_talk_was_prepared_from_lead_the_brief():
    b = build_brief(FACTS, PLAN, "Alex", TODAY)
    stored = to_params(b, (), ("Alex: 4, 2, 1, 0 new opportunities in the four weeks of 2 Nov – 23 Nov 2026.",))
    heads = [s.heading for s in from_params({"brief": stored}, "sections")]
    assert heads == ["What prompted this talk", "New opportunities", "Lost deals", "Check-ins", "Last plan with Alex"]
    assert [s.heading for s in from_params({"brief": to_params(b, ())}, "sections")][0] == "New opportunities"
    assert from_params({"brief": "not a brief"}, "sections") == () and from_params({}, "own") == ()
