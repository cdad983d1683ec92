"""Clocks: the real one, and the console's simulated one that `/clock +3d` moves forward."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone


class SystemClock:
    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(timezone.utc)


class SimulatedClock:
    """Real time plus an offset, so a demo can jump ahead and see nudges fire."""

    def __init__(self, offset: timedelta = timedelta(0)):
        self.offset = offset

    def now(self) -> datetime:
        """Real time shifted by the simulated offset."""
        return datetime.now(timezone.utc) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (never backward)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta


DURATION = re.compile(r"^\+?\s*(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta | None:
    """A duration like "+3d", "2h", "1w" or "30m"; None if it isn't one."""
    m = DURATION.match(text.strip())
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2).lower()
    if unit.startswith("m"):
        return timedelta(minutes=n)
    if unit.startswith("h"):
        return timedelta(hours=n)
    if unit.startswith("d"):
        return timedelta(days=n)
    return timedelta(weeks=n)
