"""What a platform's sender says back (SendError) and where a queued message goes (Target)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

from storage.models import Nudge

MAX_RETRY_AFTER = 3600.0  # a platform's Retry-After beyond an hour (or infinite) waits an hour


class SendError(Exception):
    """A failed send: `permanent` ones are never retried; `retry_after` is the platform's wish, in seconds;
    `waiting` ones wait (status 'waiting') until the recipient can be reached at all (a Teams user who
    has not opened a chat with the bot yet), and are delivered then."""

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None,
                 waiting: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # A header from the network: NaN or a negative wait is no wish at all, and no wait overflows.
        self.retry_after = None if retry_after is None or math.isnan(retry_after) or retry_after < 0 \
            else min(retry_after, MAX_RETRY_AFTER)
        self.waiting = waiting


@dataclass(frozen=True)
class Target:
    """Where a queued message goes instead of its recipient's DM: a channel, in the thread of `thread`
    (a retrospective's deal channel, as stored on its row)."""

    channel: str
    thread: str | None = None


def target_of(n: Nudge) -> Target | None:
    """The channel a "message" nudge is posted in, if its payload names one (else it is a DM)."""
    if n.kind != "message":
        return None
    found = json.loads(n.payload or "{}").get("target") or {}
    channel, thread = found.get("channel"), found.get("thread")
    if not isinstance(channel, str) or not channel:
        return None
    return Target(channel, thread if isinstance(thread, str) and thread else None)
