"""The brief as headed sections of plain lines: what the talk shows before its first question."""
from __future__ import annotations

from datetime import date

from flows.brief.facts import Brief, LastPlan, PlanItemFact
from flows.brief.words import NOTHING, and_, bounded, day, days, quote, sources, span, upper
from flows.checkin import LABELS as ANSWER_LABELS
from flows.outputs import Section
from flows.retro import REASON_LABELS
from flows.signals.facts import Loss


def sections(b: Brief) -> tuple[Section, ...]:
    """The brief as headed sections of plain lines; a part with nothing recorded says so plainly."""
    return (
        Section("New opportunities", _numbers(b)),
        Section("Lost deals", _losses(b)),
        Section("Check-ins", _checkins(b)),
        Section(f"Last plan with {b.rep}", _plan(b.plan, b.rep, b.today)),
    )



def _numbers(b: Brief) -> tuple[str, ...]:
    known = [w for w in b.weeks if w.count is not None]
    lines = []
    if not known:
        lines.append(f"{upper(span(b))}: {NOTHING} (no weekly pulse answers or CRM counts).")
    else:
        counts = ", ".join(str(w.count) if w.count is not None else "no answer" for w in b.weeks)
        lines.append(f"{upper(span(b))}: {counts} ({sources(known)}).")
    if b.this_week is not None:
        lines.append(f"This week so far: {b.this_week.count}.")
    return tuple(lines)



def how_known(loss: Loss) -> str:
    """Whether the cause of a loss came from the buyer: "buyer confirmed", "our read" or "not asked"."""
    if loss.cause is None:
        return "retrospective not finished"
    return {True: "buyer confirmed", False: "our read"}.get(loss.buyer_confirmed, "not asked")


def _losses(b: Brief) -> tuple[str, ...]:
    if not b.losses:
        return (f"None recorded since {day(b.start, True)}.",)
    lines = []
    for loss in b.losses:
        cause = REASON_LABELS.get(loss.cause or "", loss.cause) if loss.cause else "cause not given yet"
        lines.append(f"{day(loss.on, True)}: {quote(loss.deal)} — {cause} ({how_known(loss)})")
    return bounded(lines)


def _checkins(b: Brief) -> tuple[str, ...]:
    lines = [f"{day(a.on, True)}: {ANSWER_LABELS.get(a.status, a.status)}" for a in b.answers]
    if b.unanswered:
        lines.append(f"No answer to the check-in{'s' if len(b.unanswered) > 1 else ''} sent "
                     + and_([day(d, True) for d in b.unanswered]) + ".")
    if not lines:
        return (f"No check-in answers since {day(b.start, True)}; {NOTHING}.",)
    return bounded(lines)


def _plan(plan: LastPlan | None, rep: str, today: date) -> tuple[str, ...]:
    if plan is None:
        return (f"No earlier plan with {rep} is recorded.",)
    lines = [f"Agreed {day(plan.held_on, True)}; {ending(plan, today)}."]
    items = []
    for item in plan.items:
        who = "You" if item.owner == "manager" else rep
        items.append(f"{who}: {quote(item.text)} — {_item_state(item, today)}")
    if not items:
        items.append("It had no action items.")
    return tuple(lines) + bounded(items)


def ending(plan: LastPlan, today: date) -> str:
    """How the plan ended: closed on a date, or still open with its review ahead or past."""
    done = sum(i.status == "done" for i in plan.items)
    counted = sum(i.status != "dropped" for i in plan.items)
    tally = f"{done} of {counted} item{'s' if counted != 1 else ''} done"
    if plan.closed_on is not None:
        return f"closed {day(plan.closed_on, True)} (review was set for {day(plan.review_on, True)}), {tally}"
    if plan.review_on < today:
        return f"still open; its review date, {day(plan.review_on, True)}, has passed; {tally}"
    return f"still open, review on {day(plan.review_on, True)}; {tally} so far"


def _item_state(item: PlanItemFact, today: date) -> str:
    due = f"due {day(item.due, True)}" if item.due else "no date"
    if item.status == "dropped":
        return f"{due}, dropped"
    if item.status == "done":
        if item.done_on is None:
            return f"{due}, done"
        late = (item.done_on - item.due).days if item.due else 0
        return f"{due}, done {day(item.done_on, True)}" + (f" ({days(late)} late)" if late > 0 else "")
    if item.due and item.due < today:
        return f"{due}, not done"
    return f"{due}, open"
