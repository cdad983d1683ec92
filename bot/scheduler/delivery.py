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
                 waiting: bool = False, channel_closed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        # A header from the network: NaN or a negative wait is no wish at all, and no wait overflows.
        self.retry_after = None if retry_after is None or math.isnan(retry_after) or retry_after < 0 \
            else min(retry_after, MAX_RETRY_AFTER)
        self.waiting = waiting
        # The target channel can't be posted in (the bot isn't in it, it is gone or archived), though the
        # recipient's DM may be reachable: a message that may go there instead (Target.or_dm) is sent there.
        self.channel_closed = channel_closed


@dataclass(frozen=True)
class Target:
    """Where a queued message goes instead of its recipient's DM: a channel, in the thread of `thread`
    (a retrospective's deal channel, as stored on its row)."""

    channel: str
    thread: str | None = None
    or_dm: bool = False  # when the channel can't be posted in, the recipient's DM instead (a loss prompt)
    # How the platform posts in the channel without borrowing the recipient's own chat, as its sender reads it
    # (Teams: the channel's conversation reference, kept from the activity the post was asked for in).
    reach: str | None = None


def target_of(n: Nudge) -> Target | None:
    """The channel a "message" nudge is posted in, if its payload names one (else it is a DM)."""
    if n.kind != "message":
        return None
    found = json.loads(n.payload or "{}").get("target") or {}
    channel, thread = found.get("channel"), found.get("thread")
    if not isinstance(channel, str) or not channel:
        return None
    reach = found.get("reach")
    return Target(channel, thread if isinstance(thread, str) and thread else None, found.get("or_dm") is True,
                  json.dumps(reach) if isinstance(reach, dict) and reach else None)


def loss_of(n: Nudge) -> int | None:
    """The retrospective whose prompt a "message" nudge carries (None for any other message)."""
    if n.kind != "message":
        return None
    found = json.loads(n.payload or "{}").get("loss")
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def posted_at(platform: str, ref: str | None, target: Target | None) -> tuple[str, str] | None:
    """Where a sent message is, as (channel, message id) for a reply in its thread: Slack's reference is
    "channel:ts" (a DM's channel too); a Teams reference is the message's id in the target channel (a
    personal chat has no thread to keep)."""
    if not ref:
        return None
    if platform == "slack":
        channel, _, ts = ref.rpartition(":")
        return (channel, ts) if channel and ts else None
    return (target.channel, ref) if platform == "teams" and target is not None else None
