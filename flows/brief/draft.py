"""Step 1's draft: an opening made only of the brief's dated records, with no label or judgement."""
from __future__ import annotations

from datetime import date

from flows.brief.facts import Brief, LastPlan
from flows.brief.words import MOST_LINES, and_, clip, day, sources, span
from flows.checkin import LABELS as ANSWER_LABELS
from flows.coaching.facts import check_observed
from flows.model import DEFAULT_MAX
from flows.outputs import InputKind
from flows.retro import REASON_LABELS
from flows.signals.facts import Loss

DRAFT_MOST = DEFAULT_MAX[InputKind.LONG_TEXT]  # what a step-1 answer may hold


def step1_draft(b: Brief) -> str:
    """An opening for step 1 made only of the brief's dated records, in the manager's voice ("you" is
    the rep); empty when nothing is recorded. No labels or judgements: each sentence is a record, and
    one the step-1 checks would question (a deal named like an opinion) is said without the typed name,
    or left to the brief above and counted."""
    facts: list[tuple[str, ...]] = []  # each fact as its wordings, the fullest first
    known = [w for w in b.weeks if w.count is not None]
    if known:
        counts = and_([str(w.count) if w.count is not None else "no answer" for w in b.weeks])
        facts.append((f"In the {span(b)}, your new opportunities were {counts} ({sources(known, 'your')}).",))
    for loss in b.losses[:MOST_LINES - 1]:
        facts.append(_loss_sentences(loss))
    if len(b.losses) >= MOST_LINES:
        rest = b.losses[MOST_LINES - 1:]
        facts.append((f"{len(rest)} more deals were lost between {day(rest[0].on, True)} and "
                      f"{day(rest[-1].on, True)}.",))
    needs = [a for a in b.answers if a.status != "on_track"]
    if needs:
        said = and_([f"“{ANSWER_LABELS[a.status]}” on {day(a.on, True)}" for a in needs])
        facts.append((f"In your check-ins you answered {said}.",))
    if b.unanswered:
        facts.append((f"The check-in{'s' if len(b.unanswered) > 1 else ''} sent on "
                      f"{and_([day(d, True) for d in b.unanswered])} "
                      f"{'have' if len(b.unanswered) > 1 else 'has'} no answer.",))
    if b.plan is not None:
        facts.append((_plan_sentence(b.plan, b.today),))
    sentences = [next((w for w in wordings if _reads_as_fact(w, b.rep)), None) for wordings in facts]
    return _within([w for w in sentences if w], DRAFT_MOST, sum(w is None for w in sentences))


def _within(sentences: list[str], most: int, left_out: int = 0) -> str:
    """The sentences joined, as many whole ones as fit in `most` characters; the ones left out (and
    `left_out` more) are counted in a last sentence rather than cut."""
    for keep in range(len(sentences), -1, -1):
        left = len(sentences) - keep + left_out
        tail = [f"({left} more fact{'s are' if left != 1 else ' is'} in the brief above.)"] if left else []
        text = " ".join(sentences[:keep] + tail)
        if len(text) <= most:
            return text
    return ""


def _loss_sentences(loss: Loss) -> tuple[str, str]:
    """A lost deal as a sentence with its typed name, and without it."""
    on = day(loss.on, True)
    if loss.cause is None:
        tail = "; its retrospective isn't finished yet"
    else:
        cause = REASON_LABELS.get(loss.cause, loss.cause).lower()
        how = {True: "the buyer's own answer", False: "our read; the buyer hasn't confirmed it"}.get(
            loss.buyer_confirmed, "the buyer wasn't asked")
        tail = f"; its retrospective gives {cause} as the main reason ({how})"
    return f"The deal “{clip(loss.deal)}” was lost on {on}{tail}.", f"A deal was lost on {on}{tail}."


def _plan_sentence(plan: LastPlan, today: date) -> str:
    yours = [i for i in plan.items if i.owner == "rep" and i.status != "dropped"]
    if not yours:
        return f"The plan we agreed on {day(plan.held_on, True)} had no actions for you."
    done_in_time = sum(i.status == "done" and (i.done_on is None or i.due is None or i.done_on <= i.due)
                       for i in yours)
    late = [i for i in yours if i.status == "done" and i.done_on and i.due and i.done_on > i.due]
    missed = [i for i in yours if i.status != "done" and i.due and i.due < today]
    parts = [f"{done_in_time} done by {'its' if done_in_time == 1 else 'their'} date"] if done_in_time else []
    if late:
        parts.append(f"{len(late)} done after {'its' if len(late) == 1 else 'their'} date")
    if missed:
        parts.append(f"{len(missed)} not done (due {and_([day(i.due, True) for i in missed])})")
    pending = len(yours) - done_in_time - len(late) - len(missed)
    if pending:
        parts.append(f"{pending} still open and not yet due")
    n = len(yours)
    return (f"The plan we agreed on {day(plan.held_on, True)} had {n} action{'s' if n != 1 else ''} "
            f"for you: {and_(parts)}.")


def _reads_as_fact(sentence: str, rep: str) -> bool:
    return not [f for f in check_observed(sentence, rep) if f.code != "no_specifics"]
