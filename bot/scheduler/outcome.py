"""What becomes of one claimed nudge: decided at send time (does it still make sense now?), or after a
failed send (retry with back-off, wait for the recipient, or fail visibly)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.planner import schedule_of
from bot.scheduler import nudge_messages
from bot.scheduler.delivery import SendError
from flows import cadence
from storage.crypto import NotesCipher
from storage.models import Nudge, Person, Workspace

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Outcome:
    """The recorded end of one nudge's turn in a tick."""

    nudge: Nudge
    action: str  # sent | cancel | move | retry | fail | wait
    ref: str | None = None
    due_at: datetime | None = None
    reason: str = ""
    posted: tuple[str, str] | None = None  # where a loss prompt went (channel, message id), for its thread


async def decide(s, cipher: NotesCipher, platforms, n: Nudge, recipient: Person | None, workspace: Workspace | None,
                 now: datetime, batch: nudge_messages.Batch | None = None):
    """An Outcome if the nudge should not go out now, else (nudge, recipient, workspace, message) to send."""
    if recipient is None or workspace is None:
        return Outcome(n, "fail", reason="recipient no longer exists")
    if workspace.removed_at is not None:
        return Outcome(n, "fail", reason=workspace.removed_reason or "coachbot was removed from the workspace")
    # Opting out, pausing and snoozing are about nudges; a message (a colleague's alert, a shared plan)
    # is someone's doing, and goes out as it did when it was sent at once.
    reminder = n.kind not in cadence.ANY_TIME
    if recipient.opted_out and reminder:
        return Outcome(n, "cancel", reason="recipient opted out")
    schedule = schedule_of(recipient, workspace)
    for until, why in ((recipient.paused_until, "paused"), (recipient.snoozed_until, "snoozed")):
        if until and until > now and reminder:
            day = until.astimezone(ZoneInfo(schedule.tz)).date()
            return Outcome(n, "move", due_at=cadence.place(day, schedule, n.dedupe_key, not_before=until),
                           reason=f"recipient {why} until {until:%Y-%m-%d %H:%M} UTC")
    if cadence.is_stale(n.kind, n.due_at, now):
        return Outcome(n, "cancel", reason=f"stale: due {n.due_at:%Y-%m-%d %H:%M} UTC, too late to be useful")
    if n.kind not in cadence.ANY_TIME and not cadence.within_hours(now, schedule):
        later = cadence.place(schedule.local_today(now), schedule, n.dedupe_key, not_before=now)
        return Outcome(n, "move", due_at=later, reason="outside the recipient's working hours")
    if workspace.platform not in platforms:
        return Outcome(n, "fail", reason=f"no sender for platform {workspace.platform}")
    try:
        message = await nudge_messages.build(s, cipher, n, recipient, now, batch)
    except nudge_messages.Skip as skip:
        return Outcome(n, "cancel", reason=str(skip))
    return n, recipient, workspace, message


def failed_send(n: Nudge, now: datetime, exc: SendError) -> Outcome:
    """What a refused send means for the nudge: wait for the recipient, fail for good, or retry."""
    if exc.waiting:
        return Outcome(n, "wait", reason=exc.reason)
    if exc.permanent:
        return Outcome(n, "fail", reason=exc.reason)
    return retry_or_fail(n, now, exc.reason, exc.retry_after)


def retry_or_fail(n: Nudge, now: datetime, reason: str, retry_after: float | None = None) -> Outcome:
    """Try again after a back-off (or the platform's Retry-After); give up after MAX_ATTEMPTS unless owed."""
    if n.attempts >= MAX_ATTEMPTS and n.kind not in cadence.OWED:
        return Outcome(n, "fail", reason=f"{cadence.GAVE_UP} {n.attempts} attempts: {reason}")
    wait = max(cadence.backoff(n.attempts), timedelta(seconds=retry_after or 0))
    return Outcome(n, "retry", due_at=now + wait, reason=reason)
