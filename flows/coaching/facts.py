"""Step 1 checks: is what the manager wrote something they saw, or an opinion about the rep?

The method asks for first-hand facts with the manager's feelings left out. Each kind below names a
way an opening statement slides away from that; flows/coaching/wording.py recognises the kinds from
how the sentence is built, and each hint here quotes the user's own words and says what to write
instead. A false alarm on a plain factual sentence teaches managers to ignore the coach, so the
patterns are measured on factual statements too (bench/wording.py).
"""
from __future__ import annotations

from flows.coaching.specifics import has_specifics
from flows.coaching.wording import Finding, find, prepare
from flows.outputs import Feedback

ADVICE = {
    "mind_reading": (
        "“{q}” guesses at what {rep} thinks, wants or feels — nobody can observe that. Describe the "
        "behaviour that made you think it (what happened, when) and let {rep} tell you the why."
    ),
    "label": (
        "“{q}” is a label, not something you saw: which deals, which numbers, on which dates? Put what "
        "{rep} did or didn't do in its place (e.g. “2 of 8 calls logged in week 45”)."
    ),
    "absolute": (
        "“{q}” is an absolute, and {rep} will remember the one time it wasn't true. Which "
        "occasions exactly, on which dates?"
    ),
    "emotion": (
        "“{q}” tells {rep} how you feel, not what happened. Leave the feeling out of the "
        "opening and state the event that caused it instead."
    ),
    "hearsay": (
        "“{q}” is second-hand: you didn't see it yourself. Keep to what you witnessed — a call you "
        "were on, a number in the CRM — or check it first and leave it out until you have."
    ),
}
NO_SPECIFICS = (
    "There is no date, number or specific event here yet. When did it happen, how often, and "
    "against what target? Facts like “3 demos booked in October, target 8” are hard to argue with."
)


def check_observed(text: str, rep: str = "the rep") -> list[Feedback]:
    """Hints for a step-1 statement: mind-reading, labels, absolutes, emotions, hearsay, vagueness."""
    if not text.strip():
        return []
    hints = [_hint(f, rep) for f in find(text, rep)]
    if not has_specifics(text, prepare(text).quotes, rep):
        hints.append(Feedback("hint", "no_specifics", NO_SPECIFICS))
    return hints


def _hint(finding: Finding, rep: str) -> Feedback:
    quote = finding.quote
    message = ADVICE[finding.kind].replace("{q}", quote).replace("{rep}", rep)
    return Feedback("hint", finding.kind, message, quote)
