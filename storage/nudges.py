"""The durable nudge schedule: idempotent scheduling, lease-based claiming, and outcomes.

Claiming marks due rows `sending` with an owner and a lease expiry in one statement; on PostgreSQL
the candidate rows are locked with FOR UPDATE SKIP LOCKED so concurrent replicas never claim the
same row. A replica that dies leaves its leases to expire; the next tick reclaims them. Every
outcome is written only while the caller still holds the lease.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import Nudge, Person, Workspace


@dataclass(frozen=True)
class NewNudge:
    workspace_id: int
    recipient_id: int
    kind: str
    subject: str
    dedupe_key: str
    due_at: datetime
    payload: dict[str, Any]


async def schedule(s: AsyncSession, nudges: Iterable[NewNudge], *, now: datetime) -> int:
    """Insert nudges whose dedupe key is new; returns how many were added (planning twice is harmless)."""
    rows = [dict(workspace_id=n.workspace_id, recipient_id=n.recipient_id, kind=n.kind, subject=n.subject,
                 dedupe_key=n.dedupe_key, due_at=n.due_at, payload=json.dumps(n.payload), status="pending",
                 attempts=0, created_at=now) for n in nudges]
    if not rows:
        return 0
    added = 0
    for i in range(0, len(rows), 500):
        # Counted by RETURNING: PostgreSQL's driver reports a rowcount of -1 for this multi-row insert.
        result = await s.execute(dialect_insert(s, Nudge).values(rows[i:i + 500]).on_conflict_do_nothing(
            index_elements=["dedupe_key"]).returning(Nudge.id))
        added += len(result.all())
    return added


async def claim(s: AsyncSession, *, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Nudge]:
    """Take up to `limit` due nudges (expired leases first) for `owner`; no two owners get the same row."""
    # Two index-friendly claims rather than one OR: (status, due_at) serves both, an OR would scan.
    expired = and_(Nudge.status == "sending", Nudge.lease_expires_at < now)
    due = and_(Nudge.status == "pending", Nudge.due_at <= now)
    taken = await _claim_where(s, expired, owner=owner, now=now, lease=lease, limit=limit)
    if len(taken) < limit:
        taken += await _claim_where(s, due, owner=owner, now=now, lease=lease, limit=limit - len(taken))
    return taken


async def _claim_where(s: AsyncSession, condition, *, owner: str, now: datetime, lease: timedelta,
                       limit: int) -> list[Nudge]:
    candidates = select(Nudge.id).where(condition).order_by(Nudge.due_at).limit(limit)
    if s.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # Pick (and on PostgreSQL lock) the ids first, then update exactly those. Written as one
    # `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`, PostgreSQL may run the
    # subquery more than once and take far more than `limit` rows in one claim.
    ids = [i for (i,) in await s.execute(candidates)]
    if not ids:
        return []
    stmt = (update(Nudge)
            .where(Nudge.id.in_(ids), condition)
            .values(status="sending", lease_owner=owner, lease_expires_at=now + lease, attempts=Nudge.attempts + 1)
            .returning(Nudge)
            .execution_options(synchronize_session=False))
    return list((await s.execute(stmt)).scalars())


async def _finish(s: AsyncSession, nudge_id: int, owner: str, **values) -> bool:
    # The owner stays on finished rows as a record of which replica handled them.
    result = await s.execute(
        update(Nudge)
        .where(Nudge.id == nudge_id, Nudge.status == "sending", Nudge.lease_owner == owner)
        .values(lease_expires_at=None, **values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


async def mark_sent(s: AsyncSession, *, nudge_id: int, owner: str, ref: str | None, now: datetime) -> bool:
    """Record delivery (only while `owner` still holds the lease)."""
    return await _finish(s, nudge_id, owner, status="sent", sent_at=now, message_ref=ref, last_error=None)


_T = Nudge.__table__  # Core table: an executemany of one UPDATE, not ORM bulk-by-primary-key
_MARK_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("nid"), _T.c.status == "sending", _T.c.lease_owner == bindparam("owner"))
    .values(status="sent", sent_at=bindparam("now"), message_ref=bindparam("ref"), last_error=None,
            lease_expires_at=None)
)


async def mark_sent_many(s: AsyncSession, *, owner: str, now: datetime, refs: list[tuple[int, str | None]]) -> int:
    """Record many deliveries in one statement batch (each only while `owner` holds its lease)."""
    if not refs:
        return 0
    rows = [{"nid": nid, "owner": owner, "now": now, "ref": ref} for nid, ref in refs]
    result = await s.execute(_MARK_SENT, rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


async def retry_later(s: AsyncSession, *, nudge_id: int, owner: str, due_at: datetime, error: str) -> bool:
    """Put a nudge back for another try at `due_at` after a passing failure."""
    return await _finish(s, nudge_id, owner, status="pending", due_at=due_at, last_error=error[:300])


async def mark_failed(s: AsyncSession, *, nudge_id: int, owner: str, error: str) -> bool:
    """Give up on a nudge for a permanent reason, kept visible for the admin."""
    return await _finish(s, nudge_id, owner, status="failed", last_error=error[:300])


async def wait_claimed(s: AsyncSession, *, nudge_id: int, owner: str, reason: str, now: datetime) -> bool:
    """Park a claimed nudge until its recipient can be reached at all (status 'waiting'); not a failed try.

    If the recipient became reachable while it was being tried (their chat opened mid-tick), it goes
    straight back to 'pending' instead: the backlog handed over on opening has already been taken.
    """
    reachable = select(Person.id).where(Person.id == Nudge.recipient_id, Person.chat_ref.is_not(None)).exists()
    parked = await _finish(s, nudge_id, owner, status="waiting", last_error=reason[:300], attempts=Nudge.attempts - 1)
    await s.execute(update(Nudge).where(Nudge.id == nudge_id, Nudge.status == "waiting", reachable)
                    .values(status="pending", due_at=now).execution_options(synchronize_session=False))
    return parked


async def requeue_reachable(s: AsyncSession, *, now: datetime) -> int:
    """Waiting nudges whose recipient can be reached now (a backlog that was missed): due again."""
    reachable = select(Person.id).where(Person.id == Nudge.recipient_id, Person.chat_ref.is_not(None)).exists()
    result = await s.execute(update(Nudge).where(Nudge.status == "waiting", reachable)
                             .values(status="pending", due_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


async def claim_waiting(s: AsyncSession, *, recipient_id: int, owner: str, now: datetime,
                        lease: timedelta) -> list[Nudge]:
    """Take the nudges waiting for this person to become reachable, oldest first, for `owner`."""
    return await _claim_where(s, and_(Nudge.status == "waiting", Nudge.recipient_id == recipient_id),
                              owner=owner, now=now, lease=lease, limit=100_000)


async def park_for_person(s: AsyncSession, *, recipient_id: int, reason: str) -> int:
    """Hold every pending nudge of one person who can't be reached now (they removed the app) as 'waiting',
    with the reason; they are handed over when the person can be reached again."""
    result = await s.execute(update(Nudge).where(Nudge.recipient_id == recipient_id, Nudge.status == "pending")
                             .values(status="waiting", last_error=reason[:300])
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


async def cancel_claimed(s: AsyncSession, *, nudge_id: int, owner: str, reason: str) -> bool:
    """Drop a claimed nudge that should not go out (stale, opted out, no longer needed)."""
    return await _finish(s, nudge_id, owner, status="cancelled", last_error=reason[:300])


async def move_claimed(s: AsyncSession, *, nudge_id: int, owner: str, due_at: datetime, reason: str) -> bool:
    """Put a claimed nudge back for later without counting it as a failure (paused, snoozed)."""
    return await _finish(s, nudge_id, owner, status="pending", due_at=due_at, last_error=reason[:300],
                         attempts=Nudge.attempts - 1)


async def cancel_pending(s: AsyncSession, *, subject: str | None = None, recipient_id: int | None = None,
                         kinds: Iterable[str] | None = None, keys: Iterable[str] | None = None,
                         reason: str = "no longer needed") -> int:
    """Cancel pending nudges about a subject (e.g. a closed plan) or for a recipient."""
    q = update(Nudge).where(Nudge.status.in_(("pending", "waiting")))
    if subject is not None:
        q = q.where(Nudge.subject == subject)
    if recipient_id is not None:
        q = q.where(Nudge.recipient_id == recipient_id)
    if kinds is not None:
        q = q.where(Nudge.kind.in_(list(kinds)))
    if keys is not None:
        q = q.where(Nudge.dedupe_key.in_(list(keys)))
    result = await s.execute(q.values(status="cancelled", last_error=reason).execution_options(
        synchronize_session=False))
    return result.rowcount or 0


async def stop_for_workspace(s: AsyncSession, *, platform: str, external_id: str, reason: str,
                             now: datetime) -> int:
    """Mark a workspace removed (nothing is planned or sent there until it is back) and fail every
    pending nudge of it, with the reason for the admin."""
    await s.execute(update(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
                    .values(removed_at=now, removed_reason=reason[:300]))
    space = select(Workspace.id).where(Workspace.platform == platform, Workspace.external_id == external_id)
    result = await s.execute(update(Nudge).where(Nudge.status.in_(("pending", "waiting")), Nudge.workspace_id.in_(space))
                             .values(status="failed", last_error=reason[:300])
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


async def workspace_back(s: AsyncSession, *, platform: str, external_id: str) -> None:
    """The app is installed in the workspace again: plan and send there as before."""
    await s.execute(update(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id,
                                            Workspace.removed_at.is_not(None))
                    .values(removed_at=None, removed_reason=None))


async def snooze(s: AsyncSession, *, nudge_id: int, recipient_id: int, due_at: datetime, now: datetime) -> Nudge | None:
    """Send a delivered (or pending) nudge again at `due_at`, as a fresh pending row of its own."""
    original = (await s.execute(select(Nudge).where(Nudge.id == nudge_id, Nudge.recipient_id == recipient_id))
                ).scalar_one_or_none()
    if original is None:
        return None
    if original.status == "pending":
        original.due_at = due_at
        s.add(original)
        return original
    again = Nudge(workspace_id=original.workspace_id, recipient_id=recipient_id, kind=original.kind,
                  subject=original.subject, dedupe_key=f"{original.dedupe_key}:snooze:{int(now.timestamp())}",
                  due_at=due_at, payload=original.payload, created_at=now)
    s.add(again)
    await s.flush()
    return again


async def get(s: AsyncSession, *, nudge_id: int, recipient_id: int | None = None) -> Nudge | None:
    """A nudge by id (optionally only if addressed to `recipient_id`)."""
    q = select(Nudge).where(Nudge.id == nudge_id)
    if recipient_id is not None:
        q = q.where(Nudge.recipient_id == recipient_id)
    return (await s.execute(q)).scalar_one_or_none()


async def counts(s: AsyncSession) -> dict[str, int]:
    """Nudges by status (for the admin and /metrics)."""
    return {status: n for status, n in await s.execute(select(Nudge.status, func.count()).group_by(Nudge.status))}


async def failed(s: AsyncSession, *, limit: int = 50) -> list[Nudge]:
    """The most recent failed nudges with their reasons."""
    q = select(Nudge).where(Nudge.status == "failed").order_by(Nudge.id.desc()).limit(limit)
    return list((await s.execute(q)).scalars())


async def pending_keys(s: AsyncSession, *, subject: str, kind: str, before: datetime) -> list[str]:
    """Dedupe keys of pending nudges of one kind about `subject`, due before `before`."""
    q = select(Nudge.dedupe_key).where(Nudge.subject == subject, Nudge.kind == kind, Nudge.status == "pending",
                                       Nudge.due_at < before)
    return [k for (k,) in await s.execute(q)]


async def next_due(s: AsyncSession, *, recipient_id: int, kind: str) -> datetime | None:
    """When the recipient's next pending nudge of this kind is due."""
    q = select(func.min(Nudge.due_at)).where(Nudge.recipient_id == recipient_id, Nudge.kind == kind,
                                             Nudge.status == "pending")
    return (await s.execute(q)).scalar_one()


async def due_backlog(s: AsyncSession, *, now: datetime) -> tuple[int, datetime | None]:
    """How many pending nudges are due by `now`, and the oldest due time among them (scheduler lag)."""
    q = select(func.count(), func.min(Nudge.due_at)).where(Nudge.status == "pending", Nudge.due_at <= now)
    count, oldest = (await s.execute(q)).one()
    return count, oldest


async def claim_due_before(s: AsyncSession, *, recipient_id: int, before: datetime, owner: str, now: datetime,
                           lease: timedelta, exclude_kinds: Iterable[str], limit: int = 20) -> list[Nudge]:
    """Take one person's other pending nudges due before `before` (the end of their half-day), for `owner`,
    so they go out in one message with what is due now."""
    condition = and_(Nudge.status == "pending", Nudge.recipient_id == recipient_id, Nudge.due_at < before,
                     Nudge.kind.not_in(list(exclude_kinds)))
    return await _claim_where(s, condition, owner=owner, now=now, lease=lease, limit=limit)


async def sent_between(s: AsyncSession, *, recipient_id: int, start: datetime, end: datetime,
                       exclude_kinds: Iterable[str]) -> int:
    """How many scheduled messages (kinds not excluded) reached a person in [start, end); a merged message
    counts once per item, which is all the budget needs (zero or not)."""
    q = select(func.count()).where(Nudge.recipient_id == recipient_id, Nudge.status == "sent",
                                   Nudge.sent_at >= start, Nudge.sent_at < end,
                                   Nudge.kind.not_in(list(exclude_kinds)))
    return (await s.execute(q)).scalar_one()
