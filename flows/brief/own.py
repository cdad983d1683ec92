"""Step 2's notes: the manager's own dated commitments to the rep that were missed or done late."""
from __future__ import annotations

from datetime import date

from flows.brief.facts import Commitment, LastPlan, PlanItemFact
from flows.brief.words import bounded, day, days, quote
from flows.outputs import Section
from flows.signals.facts import ActionDue, RepFacts
from flows.signals.weekly import last_manager_checkin


def missed_commitments(facts: RepFacts, today: date, plan: LastPlan | None = None) -> tuple[Commitment, ...]:
    """The manager's own dated items to the rep that were missed (past due, not done) or done late,
    oldest first. The facts give the dates; the last plan, when given, names the items (and adds its
    own, for a plan already closed)."""
    pool = [i for i in (plan.items if plan else ()) if i.owner == "manager" and i.due and i.status != "dropped"]
    used: set[int] = set()
    out: list[Commitment] = []

    def slipped(due: date, done_on: date | None) -> bool:
        return done_on > due if done_on is not None else due < today

    for a in (x for x in facts.actions if x.owner == "manager"):
        i = _match(pool, used, a)
        if i is not None:
            used.add(i)
        if slipped(a.due, a.done_on):
            out.append(Commitment(a.due, a.done_on, pool[i].text if i is not None else None))
    for i, item in enumerate(pool):
        if i in used or item.due is None:
            continue
        done_on = item.done_on if item.status == "done" else None
        if item.status == "done" and done_on is None:
            continue  # done, on a day not known: not counted as late
        if slipped(item.due, done_on):
            out.append(Commitment(item.due, done_on, item.text))
    return tuple(sorted(out, key=lambda c: (c.due, c.text or "")))


def _match(pool: list[PlanItemFact], used: set[int], a: ActionDue) -> int | None:
    for i, item in enumerate(pool):
        if i not in used and item.due == a.due and (item.done_on if item.status == "done" else None) == a.done_on:
            return i
    return None


def commitment_lines(commitments: tuple[Commitment, ...], today: date) -> tuple[str, ...]:
    """One dated line per missed or late commitment, e.g. "“weekly pipeline review” due 3 Nov 2026, done
    12 Nov 2026 (9 days late)"."""
    lines = []
    for c in commitments:
        what = quote(c.text) if c.text else "A commitment"
        if c.done_on is not None:
            lines.append(f"{what} due {day(c.due, True)}, done {day(c.done_on, True)} "
                         f"({days(c.days_late(today))} late)")
        else:
            lines.append(f"{what} due {day(c.due, True)}, not done ({days(c.days_late(today))} past its date)")
    return bounded(lines)


def own_part_sections(facts: RepFacts, today: date, plan: LastPlan | None, rep: str) -> tuple[Section, ...]:
    """What step 2 shows: the manager's missed or late commitments to `rep`, and their last check-in."""
    slipped = missed_commitments(facts, today, plan)
    lines = commitment_lines(slipped, today) if slipped else (
        f"None of your dated commitments to {rep} is recorded as missed or late.",)
    last = last_manager_checkin(facts, today)
    seen = (f"Your last noted check-in with {rep}: {day(last, True)} ({days((today - last).days)} ago)."
            if last else f"No check-in of yours with {rep} is noted since {day(facts.since, True)}."
            if facts.since else f"No check-in of yours with {rep} is noted yet.")
    return (Section(f"Your commitments to {rep}", lines), Section("Your time with them", (seen,)))
