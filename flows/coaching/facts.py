"""Step 1 checks: is what the manager wrote something they saw, or an opinion about the rep?

The method asks for first-hand facts with emotions left out. Each category below names a way an
opening statement slides away from that, and each hint quotes the user's words and says what to
write instead. The word lists are deliberately narrow: a false alarm on a plain factual sentence
teaches managers to ignore the coach, so only unmistakable phrases are flagged.
"""
from __future__ import annotations

import re
from typing import Iterable

from flows.coaching.phrases import compile_terms, matches, with_following_words
from flows.outputs import Feedback

LABELS = compile_terms([
    r"lazy", r"laziness", r"sloppy", r"careless", r"unprofessional", r"incompetent", r"useless",
    r"hopeless", r"unmotivated", r"demotivated", r"lacks? motivation", r"no motivation",
    r"(?:bad|poor|negative|wrong) attitude", r"attitude problem", r"attitude", r"arrogant",
    r"disrespectful", r"rude", r"entitled", r"unreliable", r"disorgani[sz]ed", r"clueless",
    r"slacking(?: off)?", r"slacker", r"not a team player", r"not committed", r"uncommitted",
    r"disengaged", r"half-hearted", r"(?:poor|no|weak) work ethic", r"not pulling (?:your|his|her|their) weight",
    r"not good enough", r"not up to scratch", r"underperformer", r"poor performer", r"a disaster",
    r"pathetic", r"terrible", r"awful", r"making excuses", r"full of excuses", r"excuses",
    r"difficult to work with", r"not trying", r"doesn't try", r"don't try", r"isn't trying",
])
ABSOLUTES = compile_terms([
    r"always", r"never", r"every time", r"every single time", r"each and every", r"all the time",
    r"constantly", r"continually", r"forever", r"invariably", r"not once", r"nothing ever",
    r"none of (?:your|his|her|their) \w+", r"nobody ever", r"no one ever",
])
EMOTIONS = compile_terms([
    r"(?:i'm|i am|i feel|i felt|i was|i've been|i get) (?:so |really |very |quite |a bit |getting )?"
    r"(?:frustrated|disappointed|annoyed|angry|upset|furious|fed up|let down|tired of|sick of|"
    r"exasperated|worried|concerned|irritated|hurt)",
    r"frustrating", r"disappointing", r"annoying", r"infuriating", r"maddening", r"ridiculous",
    r"unacceptable", r"outrageous", r"shocking", r"embarrassing", r"drives me (?:mad|crazy|nuts)",
    r"makes me (?:mad|angry|furious)", r"i'm fed up", r"fed up with",
])
HEARSAY = compile_terms([
    r"i(?:'ve| have)? heard", r"i hear(?: that)?", r"i'm hearing", r"people (?:say|are saying|said|tell me)",
    r"(?:someone|somebody|some people|others|they|colleagues|the team|everyone) (?:told|tells|says|said|say)(?: me| that)?",
    r"i (?:was|have been|'ve been|got) told", r"i've been told", r"apparently", r"rumou?rs?", r"(?:the )?word is",
    r"according to", r"from what i (?:hear|gather|understand)", r"i gather", r"supposedly", r"allegedly",
    r"reportedly", r"(?:a|the|one of the) (?:client|customer|colleague|prospect|buyer)s? (?:told|mentioned to|complained to) me",
    r"it's been reported", r"it seems people",
])
MIND_READING = compile_terms([
    r"you (?:don't|do not|didn't|did not|no longer) (?:care|want to|bother|value|respect|believe)",
    r"(?:he|she|they) (?:doesn't|does not|don't|didn't) (?:care|want to|bother)",
    r"you(?:'re| are) not (?:interested|bothered|committed|motivated|serious|engaged)",
    r"(?:he's|she's|they're|he is|she is|they are) not (?:interested|bothered|committed|motivated|serious)",
    r"you(?:'ve| have) (?:given up|checked out|stopped caring)", r"(?:has|have) (?:given up|checked out)",
    r"you (?:clearly|obviously) (?:think|believe|want|feel|don't)", r"you (?:just )?want (?:an easy ride|to coast)",
    r"you couldn't be bothered", r"can't be bothered", r"you think (?:you|it's|this is)", r"you feel entitled",
    r"you don't take (?:it|this|the job|your job) seriously", r"no interest in",
])
SPECIFICS = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|half|once|twice)\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(?:yesterday|today|this morning|this afternoon|last night|last (?:week|month|quarter|year)|"
    r"this (?:week|month|quarter)|q[1-4])\b",
    re.IGNORECASE,
)


def check_observed(text: str, rep: str = "the rep") -> list[Feedback]:
    """Hints for a step-1 statement: labels, absolutes, emotions, hearsay, mind-reading, vagueness."""
    hints: list[Feedback] = []
    for m in matches(MIND_READING, text):
        hints.append(_hint(
            "mind_reading", m.group(0),
            "“{q}” guesses at what %s thinks or feels — nobody can observe that. Describe the "
            "behaviour that made you think it (what happened, when) and let %s tell you the why." % (rep, rep),
        ))
    for m in matches(LABELS, text):
        if _inside(m, hints, text):
            continue
        hints.append(_hint(
            "label", m.group(0),
            "“{q}” is a label, not something you saw. Replace it with what %s did or didn't do, "
            "with a date or a number (e.g. “2 of 8 calls logged in week 45”)." % rep,
        ))
    for m in matches(ABSOLUTES, text):
        phrase = with_following_words(text.replace("’", "'"), m, 3)
        hints.append(_hint(
            "absolute", phrase,
            "“{q}” is an absolute, and %s will remember the one time it wasn't true. Which "
            "occasions exactly, on which dates?" % rep,
        ))
    for m in matches(EMOTIONS, text):
        hints.append(_hint(
            "emotion", m.group(0),
            "“{q}” tells %s how you feel, not what happened. Leave the feeling out of the "
            "opening and state the event that caused it instead." % rep,
        ))
    for m in matches(HEARSAY, text):
        hints.append(_hint(
            "hearsay", m.group(0),
            "“{q}” is second-hand. Keep to what you saw yourself — a call you were on, a number in "
            "the CRM — or check it first and leave it out until you have.",
        ))
    if text.strip() and not SPECIFICS.search(text):
        hints.append(Feedback(
            "hint", "no_specifics",
            "There is no date, number or specific event here yet. When did it happen, how often, "
            "and against what target? Facts like “3 demos booked in October, target 8” are hard to argue with.",
        ))
    return hints


def _hint(code: str, quote: str, template: str) -> Feedback:
    quote = quote.strip()
    return Feedback("hint", code, template.replace("{q}", quote), quote)


def _inside(m: re.Match[str], found: Iterable[Feedback], text: str) -> bool:
    """Whether a label match is part of a phrase already flagged (avoid two hints for one phrase)."""
    word = m.group(0).lower()
    return any(f.quote and word in f.quote.lower() for f in found)
