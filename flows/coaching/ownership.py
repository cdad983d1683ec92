"""Step 2 and 3 checks: did the manager own a part of the situation; is the rep's view recorded fairly?"""
from __future__ import annotations

import re

from flows.coaching.phrases import compile_terms, matches
from flows.outputs import Feedback

FIRST_PERSON = re.compile(
    r"(?<![\w'])(?:i|i'm|i've|i'd|i'll|me|my|mine|myself|we|we're|we've|we'd|we'll|our|ours|us|ourselves)(?![\w'])",
    re.IGNORECASE,
)
DEFLECTION = compile_terms([
    r"not my fault", r"not my problem", r"not on me", r"nothing to do with me", r"not my responsibility",
    r"i did everything", r"i've done everything", r"i have done everything", r"i did all i could",
    r"nothing (?:more )?i could (?:have )?do(?:ne)?", r"i've done my part", r"i did my part",
])
DISMISSIVE = compile_terms([
    r"excuses?", r"claims?", r"claimed", r"supposedly", r"so[- ]called", r"pretends?", r"whin(?:ed|es|ing)",
    r"moan(?:ed|s|ing)?", r"blames? (?:everyone|everybody|others)",
])


def check_own_part(text: str, rep: str = "the rep") -> list[Feedback]:
    """Hints when the manager's part has no first-person ownership or pushes it away."""
    normal = text.replace("’", "'")
    hints: list[Feedback] = []
    for m in matches(DEFLECTION, text):
        hints.append(Feedback(
            "hint", "deflection",
            f"“{m.group(0)}” steps away from the situation rather than owning a part of it. "
            f"What did you do, or not do, that made it harder for {rep} — time you didn't give, "
            "a target that wasn't clear, a check-in that slipped?",
            m.group(0),
        ))
    if normal.strip() and not FIRST_PERSON.search(normal):
        hints.append(Feedback(
            "hint", "no_ownership",
            f"This doesn't say anything about you yet. Start with “I” or “my”: what is your share "
            f"in how things got here, and do you want to sort it out with {rep}? "
            "(e.g. “I haven't sat in on a call with you since September.”)",
        ))
    return hints


def check_rep_view(text: str, rep: str = "the rep") -> list[Feedback]:
    """Hints when the rep's view is recorded with the manager's judgement on top of it."""
    return [
        Feedback(
            "hint", "dismissive",
            f"“{m.group(0)}” judges what {rep} said while recording it. Write their view the way "
            "they would put it; you can disagree in the options step.",
            m.group(0),
        )
        for m in matches(DISMISSIVE, text)
    ]
