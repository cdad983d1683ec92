"""Counts of attacks the security tests attempted and saw refused, printed at the end of every run."""
from __future__ import annotations

from collections import Counter

ATTEMPTS: Counter[str] = Counter()
REFUSED: Counter[str] = Counter()


def attempted(kind: str, refused: bool) -> None:
    """Record one attempt of `kind` and whether it was refused."""
    ATTEMPTS[kind] += 1
    REFUSED[kind] += bool(refused)


def lines() -> list[str]:
    """One line per kind: refused / attempted."""
    return [f"{kind:<55} {REFUSED[kind]:>4} refused of {n:>4}" for kind, n in sorted(ATTEMPTS.items())]
