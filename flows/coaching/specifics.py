"""Does a step-1 statement pin itself down: a date, a number, a named deal or the rep's own words?

A month counts only where it is used as a date ("in March", "3 Nov", "the May kickoff"), so
"Mark", "Jane", "deck" or "you may" are not taken for one; a capitalised name counts only beside
a word for a deal or an event ("the Acme renewal", "the buyer at Globex").
"""
from __future__ import annotations

import re

from flows.coaching import wordclasses as wc
from flows.coaching.wordclasses import alt

I = re.IGNORECASE
_MONTH = alt(wc.MONTHS)
_ABBR = alt(wc.MONTH_ABBREVIATIONS)
_DATE_LEAD = (r"(?i:in|on|since|during|by|until|till|through|throughout|before|after|from|early|mid|late|"
              r"end of|start of|beginning of|middle of|this|last|next|of|the|your|our|for|mid-)")
# "1:1" and "one-to-one" name a meeting, not a count.
_NOT_NUMBERS = re.compile(r"\b1:1s?\b|\bone[- ]to[- ]ones?\b|\bone[- ]on[- ]ones?\b", I)
_DIGIT = re.compile(r"\d")
# "the Friday wrap-up" is a recurring meeting; "on Friday", "Friday's call", "was Friday" are dates.
_WEEKDAY_AS_DATE = re.compile(r"\b(?:on|last|next|this|by|since|until|till|from|before|after|that|was|is|of|,)\s+"
                              + alt(wc.WEEKDAYS) + r"\b(?!s\b)|\b" + alt(wc.WEEKDAYS) + r"(?:'s|\s+(?:morning|afternoon|"
                              r"evening|night|lunchtime))\b|^\s*" + alt(wc.WEEKDAYS) + r"\b(?!s\b)", I)
_WORDS = re.compile(r"\b(?:" + alt(wc.NUMBER_WORDS) + r"|" + alt(wc.RELATIVE_TIMES)
                    + r")\b", I)
_ONE_COUNT = re.compile(r"\b(?<!not )(?<!no )one\s+(?!of\b|another\b|thing\b|day\b|way\b|bit\b)(?:[\w-]+\s+)?"
                        + alt(wc.DEAL_NOUNS + [r"calls?", r"emails?", r"demos?", r"meetings?", r"leads?", r"weeks?",
                                               r"months?", r"quarters?"]) + r"\b", I)
_MONTH_AS_DATE = re.compile(
    r"\b" + _DATE_LEAD + r"\s+" + _MONTH + r"\b|\b" + _MONTH + r"\s+\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b"
    r"|\b(?i:in|since|during|until|till|through|by|early|mid|late)\s+" + _ABBR + r"\b|\b" + _ABBR + r"\.?\s+\d|\d\s+" + _ABBR + r"\b")
_NAMED = re.compile(r"(?<![.!?]\s)(?<!^)\b(?P<name>[A-Z][\w&-]+)(?!'s)\s+" + alt(wc.DEAL_NOUNS) + r"\b"
                    r"|\b" + alt(wc.DEAL_NOUNS) + r"\s+(?:at|with|for|from|to)\s+(?P<name2>[A-Z][\w&-]+)(?!'s)\b", I)
_SENTENCE_WORDS = {"the", "a", "an", "your", "my", "our", "his", "her", "their", "this", "that", "every", "each",
                   "no", "any", "some", "i", "you", "we", "he", "she", "they", "it", *(d.lower() for d in wc.WEEKDAYS)}


def has_specifics(text: str, quotes: tuple[str, ...] = (), rep: str = "the rep") -> bool:
    """Whether the statement has a date, a number, a named deal or account, or quoted words."""
    if quotes:
        return True
    plain = _NOT_NUMBERS.sub(" ", text)
    if _DIGIT.search(plain) or _WORDS.search(plain) or _ONE_COUNT.search(plain):
        return True
    if _MONTH_AS_DATE.search(plain) or _WEEKDAY_AS_DATE.search(plain):
        return True
    rep_first = rep.split()[0].lower() if rep and rep.strip() else ""
    for m in _NAMED.finditer(plain):
        name = m.group("name") or m.group("name2")
        # case-insensitive matching lets "the call" through; only a real capital names an account
        if name and name[0].isupper() and name.lower() not in _SENTENCE_WORDS and name.lower() != rep_first:
            return True
    return False
