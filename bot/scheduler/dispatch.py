"""The tick: claim due nudges, decide at send time whether each still makes sense, send, record.

Exactly-once in practice: a row is sent only by the replica holding its lease; a replica that died
mid-send leaves the lease to expire, and whoever reclaims it first asks the platform whether the
message is already there (Slack message metadata carries the nudge id) before sending it again.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.scheduler import budgeting, nudge_messages
from bot.scheduler.budgeting import Ready as _Ready
from bot.scheduler.delivery import MAX_RETRY_AFTER, SendError, Target, loss_of, posted_at, target_of
from bot.scheduler.outcome import Outcome, decide, failed_send, retry_or_fail
from bot.ops import observe
from bot.core.views import NudgeMessage, merge
from storage import nudges, people as people_repo, retros
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import Nudge, Person, Workspace

__all__ = ["Dispatcher", "MAX_RETRY_AFTER", "SendError", "Sender", "Target", "TickResult", "replica_id", "target_of"]
log = logging.getLogger("coachbot.dispatch")


class Sender(Protocol):
    """Delivers nudges on one platform. `target` is passed only for a message posted in a channel: a sender
    that takes such messages accepts it as a keyword on both methods."""

    async def send(self, workspace: Workspace, recipient: Person, message: NudgeMessage) -> str: ...

    async def delivered(self, workspace: Workspace, recipient: Person, nudge_id: int) -> str | None: ...


@dataclass
class TickResult:
    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    moved: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    reasons: list[str] = field(default_factory=list)


def replica_id() -> str:
    """A name for this process's leases: host, pid and a random suffix."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Dispatcher:
    def __init__(self, db: Database, cipher: NotesCipher, clock, senders: dict[str, Sender], *,
                 owner: str | None = None, lease: timedelta = timedelta(minutes=2), batch: int = 200,
                 concurrency: int = 32, budget: bool = True):
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.senders = senders
        self.owner = owner or replica_id()
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        # The message budget (one scheduled message per person per half-day, merged); off only to measure
        # what it saves (bench/messages.py).
        self.budget = budget
        self._draining = asyncio.Lock()
        self._again = False
        self._woken: asyncio.Task | None = None

    async def tick(self) -> TickResult:
        """One round: claim a batch, handle every nudge in it, record the outcomes."""
        now = self.clock.now()
        observe.LAST_TICK.set(now.timestamp())
        async with self.db.session() as s:
            claimed = await nudges.claim(s, owner=self.owner, now=now, lease=self.lease, limit=self.batch)
        result = TickResult(claimed=len(claimed))
        if not claimed:
            return result
        async with self.db.session() as s:
            people = await people_repo.by_ids(s, {n.recipient_id for n in claimed})
            spaces = await people_repo.workspaces_by_ids(s, {n.workspace_id for n in claimed})
        if self.budget:
            async with self.db.session() as s:
                claimed += await budgeting.pull_in(s, claimed, people, spaces, now, owner=self.owner,
                                                   lease=self.lease)
            result.claimed = len(claimed)
        # Phase 1, one session: decide each nudge and build the messages that should go out.
        singles: list[tuple[Nudge, Person, Workspace, NudgeMessage]] = []
        outcomes: list[Outcome] = []
        async with self.db.session() as s:
            batch = await nudge_messages.Batch.load(s, claimed)
            for n in claimed:
                try:
                    decided = await decide(s, self.cipher, self.senders, n, people.get(n.recipient_id),
                                           spaces.get(n.workspace_id), now, batch)
                except Exception as exc:  # noqa: BLE001 - a bug in one nudge must not stall the others
                    log.exception("nudge %s: unexpected error", n.id)
                    decided = retry_or_fail(n, now, f"{exc.__class__.__name__}: {exc}")
                if isinstance(decided, Outcome):
                    outcomes.append(decided)
                else:
                    singles.append(decided)
            ready, held = await budgeting.group(s, singles, now, on=self.budget, alone=lambda n: target_of(n) is not None)
            outcomes += [Outcome(n, "move", due_at=due, reason=why) for n, due, why in held]
        # Phase 2, no transaction open: send, many at a time — but never past our lease. A send still
        # running when the lease ends could race another replica that reclaimed it; cancelled here, it
        # comes back after a back-off as a second attempt, which checks the DM history first.
        gate = asyncio.Semaphore(self.concurrency)
        deadline = time.monotonic() + self.lease.total_seconds() * 0.8

        async def one(item: _Ready) -> list[Outcome]:
            async with gate:
                try:
                    return await asyncio.wait_for(self._send(item, now), max(0.05, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    return [retry_or_fail(n, now, "sending took longer than the nudge's lease")
                            for n in item.nudges]
                except Exception as exc:  # noqa: BLE001
                    log.exception("nudge %s: unexpected error while sending", item.nudges[0].id)
                    return [retry_or_fail(n, now, f"{exc.__class__.__name__}: {exc}") for n in item.nudges]

        for sent in await asyncio.gather(*(one(item) for item in ready)):
            outcomes += sent
        # Phase 3, one transaction: record every outcome under the lease.
        async with self.db.session() as s:
            await self._record_all(s, outcomes, now, result)
        observe.NUDGES_SENT.inc(result.sent)
        observe.NUDGES_FAILED.inc(result.failed)
        return result

    async def drain(self) -> None:
        """The scheduler's job: tick while whole batches keep coming (a backlog after downtime)."""
        async with self._draining:
            for _ in range(100):
                result = await self.tick()
                if result.claimed < self.batch:
                    return

    def wake(self) -> None:
        """Something was just committed to the outbox: drain now instead of at the next tick (and once
        more after a drain that is running, which may have claimed before the commit)."""
        self._again = True
        if self._woken is None or self._woken.done():
            self._woken = asyncio.get_running_loop().create_task(self._drain_woken())

    async def _drain_woken(self) -> None:
        while self._again:
            self._again = False
            try:
                await self.drain()
            except Exception:  # noqa: BLE001 - the next tick tries again; the rows are safe in the table
                log.exception("woken drain failed")

    async def run_until_idle(self, max_rounds: int = 1000) -> TickResult:
        """Tick until nothing is due (used by the console's clock and by tests)."""
        total = TickResult()
        for _ in range(max_rounds):
            r = await self.tick()
            for name in ("claimed", "sent", "cancelled", "moved", "retried", "failed", "waiting"):
                setattr(total, name, getattr(total, name) + getattr(r, name))
            total.reasons += r.reasons
            if r.claimed == 0:
                break
        return total

    async def _send(self, item: _Ready, now: datetime) -> list[Outcome]:
        sender = self.senders[item.workspace.platform]
        workspace, recipient = item.workspace, item.recipient
        # A channel post is checked and sent where its payload says; a DM as before (so a sender that
        # takes no channel posts needs no new argument).
        where = {"target": target} if (target := target_of(item.nudges[0])) is not None else {}
        dm_instead = target is not None and target.or_dm
        done: list[Outcome] = []
        left: list[tuple[Nudge, NudgeMessage]] = []
        try:
            # A retried item may have gone out (alone, or in a merged message) before a restart: ask first.
            for n, message in zip(item.nudges, item.messages):
                ref, went = None, target
                if n.attempts > 1:
                    ref = await sender.delivered(workspace, recipient, n.id, **where)
                    if not ref and dm_instead:  # it may have gone to the DM, the channel being closed then
                        ref, went = await sender.delivered(workspace, recipient, n.id), None
                if ref:
                    done.append(Outcome(n, "sent", ref=ref, reason="already delivered before a restart",
                                         posted=self._posted(n, workspace, ref, went)))
                else:
                    left.append((n, message))
        except SendError as exc:
            return [failed_send(n, now, exc) for n in item.nudges]
        if not left:
            return done
        if done and item.budgeted:  # that message was this half-day's: the rest wait for the next one
            return done + [Outcome(n, "move", due_at=due, reason=why) for n, due, why in
                           budgeting.held_after_retry(recipient, workspace, [n for n, _ in left], now)]
        message = merge([m for _, m in left], later=item.later)
        went = target
        try:
            try:
                ref = await sender.send(workspace, recipient, message, **where)
            except SendError as exc:
                if not (exc.channel_closed and dm_instead):
                    raise
                # As when it was posted at once: the rep gets it directly rather than not at all.
                log.info("nudge %s: can't post in %s (%s); sending it to the recipient's DM",
                         message.nudge_id, target.channel, exc.reason)
                ref, went = await sender.send(workspace, recipient, message), None
        except SendError as exc:
            return done + [failed_send(n, now, exc) for n, _ in left]
        return done + [Outcome(n, "sent", ref=ref, posted=self._posted(n, workspace, ref, went)) for n, _ in left]

    @staticmethod
    def _posted(n: Nudge, workspace: Workspace, ref: str | None, went: Target | None) -> tuple[str, str] | None:
        """Where a loss prompt went, to be remembered on its retrospective (None for any other nudge)."""
        return posted_at(workspace.platform, ref, went) if loss_of(n) is not None else None

    async def _record_all(self, s, outcomes: list[Outcome], now: datetime, result: TickResult) -> None:
        sent = [o for o in outcomes if o.action == "sent"]
        if sent:
            result.sent += await nudges.mark_sent_many(s, owner=self.owner, now=now,
                                                       refs=[(o.nudge.id, o.ref) for o in sent])
        for o in sent:
            if o.posted is not None:  # the retrospective's summary later goes into this thread
                await retros.record_prompt(s, workspace_id=o.nudge.workspace_id, retro_id=loss_of(o.nudge),
                                           channel=o.posted[0], ts=o.posted[1])
        for o in outcomes:
            if o.action == "sent":
                if o.reason:
                    result.reasons.append(f"{o.nudge.kind}: sent: {o.reason}")
                continue
            n = o.nudge
            if o.action == "cancel":
                done = await nudges.cancel_claimed(s, nudge_id=n.id, owner=self.owner, reason=o.reason)
                result.cancelled += done
            elif o.action == "move":
                done = await nudges.move_claimed(s, nudge_id=n.id, owner=self.owner, due_at=o.due_at, reason=o.reason)
                result.moved += done
            elif o.action == "retry":
                done = await nudges.retry_later(s, nudge_id=n.id, owner=self.owner, due_at=o.due_at, error=o.reason)
                result.retried += done
            elif o.action == "wait":
                done = await nudges.wait_claimed(s, nudge_id=n.id, owner=self.owner, reason=o.reason, now=now)
                result.waiting += done
            else:
                done = await nudges.mark_failed(s, nudge_id=n.id, owner=self.owner, error=o.reason)
                result.failed += done
            if not done:
                log.warning("nudge %s: lease lost before recording %s", n.id, o.action)
            else:
                log.info("nudge %s (%s) %s: %s", n.id, n.kind, o.action, o.reason)
                result.reasons.append(f"{n.kind}: {o.action}: {o.reason}")
