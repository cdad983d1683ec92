"""Recognise how a step-1 sentence slides from what was seen into a judgement, from its structure.

A word list alone misses "You're the weakest closer on the team" or "Jane mentioned the client
found you pushy". So each kind is a few sentence shapes, filled from word classes
(flows/coaching/wordclasses.py): who is the subject (you / the rep, the manager, someone else),
which kind of verb or word follows (a trait, a feeling, a verb of reporting or of the mind), and
what it applies to. Words inside quotation marks are the rep's own and are not judged.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from flows.coaching import wordclasses as wc
from flows.coaching.hearsay import find_hearsay
from flows.coaching.shapes import REP_MARK, Finding, clause_start, patterns
from flows.coaching.specifics import has_specifics
from flows.coaching.wordclasses import alt

I = re.IGNORECASE
QUOTED = re.compile(r"\"[^\"\n]{2,}?\"|(?<![\w'])'(?=\w)[^'\n]*?\w[^'\n]*?'(?![\w'])")


@dataclass(frozen=True)
class Prepared:
    """The statement with straight apostrophes and quoted words blanked out, and what was quoted."""

    text: str
    quotes: tuple[str, ...]


def prepare(text: str) -> Prepared:
    """Normalise apostrophes and quotation marks; blank quoted words (same length, so spans hold)."""
    normal = (text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"'))
    quotes = tuple(m.group(0) for m in QUOTED.finditer(normal) if len(m.group(0).split()) >= 2)
    blanked = QUOTED.sub(lambda m: '"' + "x" * (len(m.group(0)) - 2) + '"' if len(m.group(0).split()) >= 2
                         else m.group(0), normal)
    return Prepared(blanked, quotes)


def find(text: str, rep: str = "the rep") -> list[Finding]:
    """Every problem of wording in a statement, in reading order within each kind."""
    prepared = prepare(text)
    t = _mark_rep(prepared.text, rep)
    p = patterns()
    found: list[Finding] = []
    found += _label(t, p)
    found += _absolute(t, p)
    found += find_hearsay(t, p)
    found += _mind_reading(t, p)
    found += _emotion(t, p)
    kept = [_widen_absolute(t, f) if f.kind == "absolute" else f for f in _one_hearsay_per_sentence(t, _dedupe(found))]
    # quote the user's own words: the marked name goes back to the name as typed
    return [Finding(f.kind, prepared.text[f.start:f.end].strip(), f.start, f.end) for f in kept]


def _mark_rep(t: str, rep: str) -> str:
    """The rep's first name replaced, letter for letter, by REP_MARK (spans stay where they were)."""
    name = rep.split()[0] if rep and rep.strip() and rep.strip().lower() != "the rep" else ""
    if not name:
        return t
    # as typed: a rep called Will or May must not turn "you will" or "you may" into the rep
    return re.sub(r"(?<![\w'])" + re.escape(name) + r"(?![\w])", lambda m: REP_MARK * len(m.group(0)), t)


def _one_hearsay_per_sentence(t: str, found: list[Finding]) -> list[Finding]:
    """"Jane mentioned the client found you pushy" is one second-hand account: one hint, the first."""
    seen: set[int] = set()
    kept = []
    for f in found:
        if f.kind == "hearsay":
            sentence = len(re.findall(r"[.!?;]\s", t[:f.start]))
            if sentence in seen:
                continue
            seen.add(sentence)
        kept.append(f)
    return kept


def _widen_absolute(t: str, f: Finding) -> Finding:
    """An absolute is quoted with the words that follow it: "never follows up after"."""
    tail = re.match(r"(?:[ \t]+[\w'-]+){0,3}", t[f.end:])
    quote = (f.quote + (tail.group(0) if tail else "")).strip().rstrip(",.;:")
    return Finding(f.kind, quote, f.start, f.start + len(quote))


def _absolute(t: str, p) -> list[Finding]:
    return [Finding("absolute", m.group("q"), m.start("q"), m.end("q"))
            for m in p["absolute"][0].finditer(t) if _real_absolute(t, m)]


def _real_absolute(t: str, m: re.Match[str]) -> bool:
    """'ever' only counts after a no-word ("nobody has ever"), 'every' not before a count."""
    word = m.group("q").lower()
    if word == "ever":
        before = t[clause_start(t, m.start()):m.start()].lower()
        return bool(re.search(r"\b(?:no|not|nothing|nobody|no one|none|never|n't)\b|n't\b", before))
    if word.startswith("every other") or re.match(r"every \d", word):
        return False
    if word.startswith("every ") and re.match(r"\s+(?:in|of|during)\s+(?:[A-Z][a-z]+|q[1-4]|\d)", t[m.end():]):
        return False  # "every Monday in November": a bounded count, checkable as it stands
    if word.startswith(("keep", "kept")):
        return not re.match(r"kept? (?:on )?(?:going|asking me)", word) and "keeping" not in word
    return True


def _label(t: str, p) -> list[Finding]:
    out = []
    for pattern in p["label"]:
        for m in pattern.finditer(t):
            quote = m.group("q").strip()
            if re.fullmatch(alt(wc.STATES), quote, I) or re.fullmatch(alt(wc.MENTAL_STATES), quote, I):
                continue
            out.append(Finding("label", quote, m.start("q"), m.start("q") + len(quote)))
    # each needs its clause read for specifics; a dozen is more than any statement holds
    for m in islice(p["label_open"][0].finditer(t), 12):
        start = clause_start(t, m.start("q"))
        end = re.search(r"[.;!?](?:\s|$)|,\s+(?:and|but|so|which)\b|\s+and\s+(?:you|i|the|he|she)\b|$", t[m.end("q"):m.end("q") + 300])
        if not has_specifics(t[start:m.end("q") + (end.start() if end else 0)]):
            quote = m.group("q").strip()
            out.append(Finding("label", quote, m.start("q"), m.start("q") + len(quote)))
    return out


def _mind_reading(t: str, p) -> list[Finding]:
    out = []
    exempt_ends = [m.end() for m in p["mind_exempt"][0].finditer(t)]
    for pattern in p["mind_reading"]:
        for m in pattern.finditer(t):
            start = m.start("q")
            if any(e <= start and clause_start(t, start) <= e for e in exempt_ends) or any(
                    e <= start and not re.search(r"[.;!?]", t[e:start]) for e in exempt_ends):
                continue
            quote = m.group("q").strip()
            out.append(Finding("mind_reading", quote, start + (len(m.group("q")) - len(m.group("q").lstrip())),
                               m.end("q")))
    return out


def _emotion(t: str, p) -> list[Finding]:
    out = []
    for pattern in p["emotion"]:
        for m in pattern.finditer(t):
            quote = m.group("q").strip()
            offset = len(m.group("q")) - len(m.group("q").lstrip())
            out.append(Finding("emotion", quote, m.start("q") + offset, m.end("q")))
    return out


def _dedupe(found: list[Finding]) -> list[Finding]:
    """One finding per stretch of words: drop what lies inside a longer one of the same kind, and a
    label or emotion inside a mind-reading phrase (it is the same words read twice)."""
    kept: list[Finding] = []
    order = {"mind_reading": 0, "hearsay": 1, "label": 2, "absolute": 3, "emotion": 4}
    for f in sorted(found, key=lambda f: (order[f.kind], -(f.end - f.start), f.start)):
        if any(_overlaps(f, k) and (k.kind == f.kind or (k.kind == "mind_reading" and f.kind in ("label", "emotion")))
               for k in kept):
            continue
        kept.append(f)
    return sorted(kept, key=lambda f: (order[f.kind], f.start))


def _overlaps(a: Finding, b: Finding) -> bool:
    return a.start < b.end and b.start < a.end
