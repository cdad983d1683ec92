"""A clock that stays where a test puts it."""
from __future__ import annotations

from datetime import datetime, timezone

FIXED_NOW = datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc)  # a Monday


class FixedClock:
    """Now is whatever the test set; `current` moves it."""

    def __init__(self, now: datetime = FIXED_NOW):
        self.current = now

    def now(self) -> datetime:
        return self.current
