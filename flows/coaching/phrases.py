"""Small helpers shared by the coaching checks: phrase matching that returns the user's own words."""
from __future__ import annotations

import re
from typing import Iterable, Iterator


def compile_terms(terms: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of `terms` (regex fragments) as whole words."""
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile(r"(?<![\w'’])(?:" + "|".join(ordered) + r")(?![\w'’])", re.IGNORECASE)


def matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match of `pattern` in `text`, with curly apostrophes treated as straight ones."""
    return pattern.finditer(text.replace("’", "'"))


def with_following_words(text: str, match: re.Match[str], words: int = 2) -> str:
    """The matched phrase plus up to `words` following words, so a hint quotes enough context."""
    rest = text[match.end():]
    tail = re.match(r"(?:[ \t]+[\w'’-]+){0,%d}" % words, rest)
    phrase = match.group(0) + (tail.group(0) if tail else "")
    return phrase.strip().rstrip(",.;:")


def split_items(text: str) -> list[str]:
    """Split a list typed as lines or semicolons into items, dropping bullets and numbering."""
    items = []
    for part in re.split(r"[\n;]", text):
        item = re.sub(r"^\s*(?:[•\-\*]|\d{1,2}[.)])\s+", "", part).strip()
        if item:
            items.append(item)
    return items
