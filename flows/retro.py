"""The loss retrospective: why the deal was lost, how we know, and what to do differently."""
from __future__ import annotations

import re
from typing import Any, Mapping

from flows.coaching.phrases import split_items
from flows.dates import MAX_AHEAD_DAYS, MAX_AHEAD_WEEKS, find_date, format_day
from flows.model import Context, Flow, Step
from flows.outputs import Feedback, InputKind, Option, Section

NAME = "retro"
REASONS = (
    Option("price", "Price"),
    Option("product_fit", "Product fit / functionality"),
    Option("sales_approach", "Our sales approach"),
    Option("timing", "Timing"),
    Option("no_decision", "No decision / status quo"),
    Option("competitor", "Lost to a competitor"),
    Option("budget", "Budget / funding"),
    Option("champion_left", "Our champion left"),
    Option("other", "Something else"),
)
REASON_LABELS = {o.value: o.label for o in REASONS}
EVIDENCE = (Option("buyer_told", "The buyer told us"), Option("our_read", "Our own read of it"))
BALANCE = (Option("mostly_us", "Mostly us"), Option("balanced", "Balanced"), Option("mostly_them", "Mostly them"))
SUPPORT = (Option("yes", "Yes"), Option("partly", "Partly"), Option("no", "No"))
ANSWERED = (Option("all", "All of them"), Option("mostly", "Most of them"), Option("no", "Some went unanswered"))
SHARE = (Option("manager", "Only my manager"), Option("channel", "The channel (a short summary in the thread)"))
BUYER_SUBJECT = re.compile(r"^\s*(?:the\s+)?(?:buyer|client|customer|prospect|they|their|them|it)\b", re.I)
OWN_WORDS = re.compile(r"(?<![\w'])(?:i|i'll|i'd|i've|i'm|we|we'll|we'd|our|my|me|us|next time)(?![\w'])", re.I)
MAX_AT_RISK = 10


def _primary_next(answers: Mapping[str, Any]) -> str:
    return {"competitor": "competitor", "other": "other_reason"}.get(answers.get("primary"), "secondary")


def _evidence_next(answers: Mapping[str, Any]) -> str:
    return "debrief" if answers.get("evidence") == "our_read" else "meetings"


def _evidence_hints(value: str, ctx: Context) -> list[Feedback]:
    if value == "our_read" and ctx.answers.get("primary") == "price":
        return [Feedback("hint", "price_unverified",
                         "Price is down as the main reason, but nobody heard it from the buyer. “Too expensive” "
                         "is often what a buyer says when the value never became clear — worth asking them before "
                         "it goes into the report as price.")]
    return []


def _lesson_hints(value: str, ctx: Context) -> list[Feedback]:
    if BUYER_SUBJECT.match(value) and not OWN_WORDS.search(value):
        return [Feedback("hint", "blames_buyer",
                         "This lesson is about the buyer, and the buyer won't read it. What will *you* do "
                         "differently on the next deal — something you can start on Monday?", value[:60])]
    if len(value.split()) < 4:
        return [Feedback("hint", "thin_lesson",
                         "That's short for a lesson. What exactly will you do differently, and at which stage "
                         "of the next deal?")]
    return []


def parse_at_risk(text: str, ctx: Context) -> tuple[list[dict[str, Any]], list[Feedback]]:
    """Other deals at the same risk, one per line, each with an optional check-by date."""
    lines = split_items(text)
    if len(lines) > MAX_AT_RISK:
        return [], [Feedback("error", "too_many", f"That is {len(lines)} deals; list the {MAX_AT_RISK} most at "
                             "risk — the rest can wait for your pipeline review.")]
    items, errors = [], []
    for line in lines:
        due, phrase = find_date(line, ctx.today)
        if due is not None and due < ctx.today:
            errors.append(Feedback("error", "past_due", f"“{phrase}” in “{line}” is already past "
                                   f"({format_day(due)}). Pick a date from today on.", phrase))
        elif due is not None and (due - ctx.today).days > MAX_AHEAD_DAYS:
            errors.append(Feedback("error", "due_too_far", f"“{phrase}” in “{line}” is more than {MAX_AHEAD_WEEKS} "
                                   f"weeks away ({format_day(due)}). Pick a check-by date within {MAX_AHEAD_WEEKS} "
                                   "weeks, or leave the date out.", phrase))
        items.append({"text": line, "due": due.isoformat() if due else None})
    return items, errors


def summarize(answers: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[Section, ...]:
    """The full retrospective, as the rep's manager reads it."""
    primary = REASON_LABELS.get(answers.get("primary", ""), "—")
    if answers.get("primary") == "competitor" and answers.get("competitor"):
        primary += f" ({answers['competitor']})"
    if answers.get("primary") == "other" and answers.get("other_reason"):
        primary += f" ({answers['other_reason']})"
    secondary = ", ".join(REASON_LABELS[r] for r in answers.get("secondary") or [] if r in REASON_LABELS)
    evidence = {o.value: o.label for o in EVIDENCE}.get(answers.get("evidence", ""), "—")
    if answers.get("debrief") is True:
        evidence += " — a debrief with the buyer will be asked for"
    balance = {o.value: o.label for o in BALANCE}.get(answers.get("correspondence", ""), "—")
    sections = [
        Section("Deal", (f"{params.get('deal', 'the deal')} — {params.get('rep', 'the rep')}",)),
        Section("Why it was lost", (primary,) + ((f"Also: {secondary}",) if secondary else ())),
        Section("How we know", (evidence,)),
        Section("Meetings and correspondence", (f"{answers.get('meetings', '—')} meetings; correspondence driven by: "
                                                f"{balance.lower()}",)),
        Section("Stages", (f"Died in: {answers.get('stage', '—')}",)
                + ((f"Skipped or rushed: {answers['stage_moves']}",) if answers.get("stage_moves") else ())),
        Section("Support", (f"Right people involved: {dict((o.value, o.label) for o in SUPPORT).get(answers.get('support', ''), '—')}",
                            f"Buyer's questions answered: {dict((o.value, o.label) for o in ANSWERED).get(answers.get('answered', ''), '—')}")),
        Section("Lesson for next time", (answers.get("lesson", ""),)),
    ]
    risky = answers.get("at_risk") or []
    if risky:
        sections.append(Section("Other deals at the same risk", tuple(
            f"{r['text']}" + (f" — check by {format_day(r['due'])}" if r.get("due") else "") for r in risky)))
    return tuple(sections)


STEPS = (
    Step(id="primary", kind=InputKind.CHOICE, title="Main reason", options=REASONS,
         prompt="What was the main reason {deal} was lost?",
         guidance="Shrugging a loss off wastes it. Pick the root cause, not the last thing that happened — "
                  "and be candid, even if the cause was on our side.",
         next=_primary_next, branches=("competitor", "other_reason", "secondary")),
    Step(id="competitor", kind=InputKind.SHORT_TEXT, title="Which competitor", max_length=100,
         prompt="Which competitor won it?", next="secondary"),
    Step(id="other_reason", kind=InputKind.SHORT_TEXT, title="The reason", max_length=150,
         prompt="What was the reason, in a few words?", next="secondary"),
    Step(id="secondary", kind=InputKind.MULTI_CHOICE, title="Other reasons", options=REASONS, required=False,
         prompt="Anything else that played a part? (optional)"),
    Step(id="evidence", kind=InputKind.CHOICE, title="How we know", options=EVIDENCE,
         prompt="How do we know that's why?",
         guidance="The buyer's own words beat our guesses. Asking a buyer who said no takes some swallowed "
                  "pride, and it is the most useful call you'll make this week.",
         checks=(_evidence_hints,), next=_evidence_next, branches=("debrief", "meetings")),
    Step(id="debrief", kind=InputKind.YES_NO, title="Ask the buyer",
         prompt="Would you ask the buyer for a 15-minute debrief? I'll remind you to set it up.", next="meetings"),
    Step(id="meetings", kind=InputKind.SHORT_TEXT, title="Meetings", max_length=60,
         prompt="How many meetings did you have with the buyer?", placeholder="e.g. 4 (2 demos, 1 pricing call)"),
    Step(id="correspondence", kind=InputKind.CHOICE, title="Who drove it", options=BALANCE,
         prompt="Who drove the emails and calls?",
         guidance="If it was mostly us, the buyer may never have been as engaged as the pipeline said."),
    Step(id="stage", kind=InputKind.SHORT_TEXT, title="Stage", max_length=100,
         prompt="In which stage did it die?", placeholder="e.g. Proposal"),
    Step(id="stage_moves", kind=InputKind.LONG_TEXT, title="Stage moves", required=False, max_length=1000,
         prompt="Was any stage skipped, or moved forward too early? (optional)",
         placeholder="e.g. Moved to proposal before we knew who signs"),
    Step(id="support", kind=InputKind.CHOICE, title="Support", options=SUPPORT,
         prompt="Were the right people from our side involved (solutions engineer, manager, an exec)?"),
    Step(id="answered", kind=InputKind.CHOICE, title="Buyer's questions", options=ANSWERED,
         prompt="Did the buyer's questions get accurate, timely answers?"),
    Step(id="lesson", kind=InputKind.LONG_TEXT, title="The lesson", max_length=1500,
         prompt="What will you do differently next time?",
         placeholder="e.g. I'll confirm budget and the signer before sending a proposal.",
         checks=(_lesson_hints,)),
    Step(id="at_risk", kind=InputKind.LONG_TEXT, title="Deals at risk", required=False, max_length=2000,
         prompt="Which of your open deals could go the same way? One per line, with when you'll check it. (optional)",
         placeholder="e.g. Globex renewal — confirm the signer by Friday", parse=parse_at_risk),
    Step(id="share", kind=InputKind.CHOICE, title="Who sees it", options=SHARE, suggest=lambda ctx: "manager",
         prompt="Who should see this retrospective?",
         guidance="Your manager always gets the whole retrospective. Sharing a short summary with the channel "
                  "helps the team learn from it.", next=None),
)

FLOW = Flow(name=NAME, title="Loss retrospective", steps=STEPS, summarize=summarize,
            cancel_text="Retrospective closed for now; the deal stays on your list until you fill it in.")
