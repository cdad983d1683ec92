"""Hearsay: is the statement someone else's account of the rep rather than what the manager saw?

Fixed phrases ("I was told", "apparently") are the fast path; beyond them, a verb of reporting or
of opinion whose subject is someone other than the manager or the rep ("Jane mentioned ...", "the
client found you ...") counts, unless the manager says they were there ("on the call I joined").
"""
from __future__ import annotations

import re

from flows.coaching import wordclasses as wc
from flows.coaching.shapes import REP_MARK, REP_WORDS, Finding, clause_start, simple
from flows.coaching.wordclasses import alt

I = re.IGNORECASE
CLAUSE_END = re.compile(r"[.;:!?]|\b(?:and|but|so|while|whereas|then)\s+(?=(?:you|he|she|i|we)\b)|,\s+(?=and\b|but\b)", I)
WITNESS = re.compile(
    r"\bi (?:was|sat|listened|joined|attended|dialled|dialed)(?: in)?(?: on| in| there| present)?\b"
    r"|\bwhich i (?:joined|attended|was on|was in|sat in on|listened to)\b|\bin front of me\b"
    r"|\bwith me (?:there|present|on the call|in the room)\b|\bi (?:was )?on the call\b", I)


def find_hearsay(t: str, p) -> list[Finding]:
    """Hearsay in the prepared text `t` (the rep's name marked), using the compiled shapes `p`."""
    out = simple("hearsay", t, p["hearsay"])
    for m in p["heard_you"][0].finditer(t):
        # "I heard you tell the buyer ..." is the manager listening; "I heard you were ..." is a report.
        if not re.fullmatch(alt(wc.SPEECH_BASE_VERBS), m.group("next"), I):
            out.append(Finding("hearsay", m.group("q"), m.start("q"), m.end("q")))
    if WITNESS.search(t):
        return out
    for key in ("hearsay_report", "hearsay_opinion", "hearsay_complaint"):
        for m in p[key][0].finditer(t):
            if _used_as_noun(t, m.start("v")):
                continue
            subject = _subject_before(t, m.start("v"))
            if subject is None or _is_first_hand(subject):
                continue
            if key == "hearsay_report" and re.fullmatch(alt(wc.ACT_VERBS), m.group("v"), I) and not re.match(
                    r"\s+(?:to me\s+)?(?:that|" + alt(REP_WORDS) + r")\b", t[m.end("v"):], I):
                continue
            if key == "hearsay_report" and not _about_the_rep(t, m.end("v")):
                continue
            if key == "hearsay_report" and re.match(r"\s+(?:no|yes)\b", t[m.end("v"):], I):
                continue
            start = subject[1]
            quote = t[start:m.end("v")].strip()
            out.append(Finding("hearsay", quote, start, m.end("v")))
    return out


DETERMINERS = re.compile(r"(?:the|a|an|your|my|our|his|her|their|its|this|that|these|those|every|each|some|"
                         r"any|no|all|weekly|monthly|daily|[\w-]+'s)$", I)


def _used_as_noun(t: str, at: int) -> bool:
    """'the reports you send', "Mark's notes": the word after a determiner is a noun, not a verb."""
    before = re.findall(r"[\w'-]+", t[clause_start(t, at):at])
    return bool(before) and bool(DETERMINERS.match(before[-1]))


AUX = re.compile(r"^(?:has|have|had|'ve|'s|also|just|once|even|then|already|actually|apparently|recently|"
                 r"both|all|kept|keep|keeps|has been|have been|had been|been|was|were|is|are|did|do|does|"
                 r"would|will|'ll|'d|could|might|may|must|should|openly|clearly|specifically|later|since|"
                 r"repeatedly|privately|quietly|casually|only|indeed|told|to|said|emailed|me)$", I)


def _subject_before(t: str, at: int) -> tuple[str, int] | None:
    """The word that is the subject of the verb at `at`, skipping helpers and adverbs, with its start."""
    start = clause_start(t, at)
    words = list(re.finditer(r"[\w'-]+", t[start:at]))
    for w in reversed(words):
        token = w.group(0)
        if AUX.match(token) or token.lower().endswith("ly") and token.lower() not in ("ally", "holly", "emily", "kelly", "sally"):
            continue
        phrase_start = start + w.start()
        # widen to the noun phrase: "the Acme buyer", "one of the new hires", "Sarah in legal"
        head = re.search(r"(?:\b(?:the|a|an|one|some|several|two|three|many|most|other|our|my|his|her|their|your|"
                         r"customers|people|someone|no|nobody)\b[^,;.]*)$", t[start:phrase_start + len(token)], I)
        if head:
            phrase_start = start + head.start()
        return token, phrase_start
    return None


def _is_first_hand(subject: tuple[str, int]) -> bool:
    """The manager, the rep, or a pronoun pointing back into the sentence: not someone else's account."""
    word = subject[0].lower()
    return word in {"i", "we", "you", "i'm", "we're", "you're", "i've", "you've", "he", "she", "they", "it",
                    "this", "that", "which", "who", "x"} or word.startswith("xx") or word.startswith(REP_MARK.lower())


ABOUT_THE_REP = re.compile(r"\b" + alt([r"you", r"your", r"yours", r"yourself", r"the rep", REP_MARK + r"+(?:'s)?"]) + r"\b", I)


def _about_the_rep(t: str, at: int) -> bool:
    """Whether what is reported, up to the end of its clause, is about the rep (or a 'that' clause)."""
    rest = t[at:at + 300]
    end = CLAUSE_END.search(rest)
    clause = rest[:end.start()] if end else rest
    return bool(ABOUT_THE_REP.search(clause)) or bool(re.match(r"\s+(?:to me\s+)?that\b", clause, I))
