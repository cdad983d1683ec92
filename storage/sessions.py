"""Flow sessions: the stored, encrypted engine state with optimistic versioning."""
from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Literal, TypeVar

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import FlowSession, Person, Workspace
from storage.types import UTCDateTime

R = TypeVar("R")


async def create_session(
    s: AsyncSession,
    cipher: NotesCipher,
    *,
    workspace_id: int,
    user_id: int,
    flow: str,
    state: dict[str, Any],
    subject_id: int | None,
    now: datetime,
    ref: str | None = None,
) -> FlowSession:
    """Store a new flow session for `user_id` and return it."""
    row = FlowSession(
        id=str(uuid.uuid4()),
        workspace_id=workspace_id,
        user_id=user_id,
        subject_id=subject_id,
        ref=ref,
        flow=flow,
        step=state.get("step"),
        status=state.get("status", "active"),
        version=int(state.get("version", 1)),
        state_encrypted=cipher.encrypt(state),
        created_at=now,
        updated_at=now,
    )
    s.add(row)
    await s.flush()
    return row


# Built once: these run on every flow step.
_GET_SESSION = select(FlowSession).where(
    FlowSession.id == bindparam("sid"), FlowSession.workspace_id == bindparam("ws"),
    FlowSession.user_id == bindparam("uid"),
)
_OWNED_SESSION = (
    select(FlowSession, Person)
    .join(Person, Person.id == FlowSession.user_id)
    .join(Workspace, Workspace.id == Person.workspace_id)
    .where(FlowSession.id == bindparam("sid"), FlowSession.workspace_id == Workspace.id,
           Workspace.platform == bindparam("platform"), Workspace.external_id == bindparam("workspace"),
           Person.platform_user_id == bindparam("user"))
)
# The version-checked write of a session's state, as plain SQL: the same text serves sqlite3 on
# the hot path below and SQLAlchemy (both take :named parameters).
_WRITE_STATE_SQL = (
    "UPDATE flow_sessions SET step = :step, status = :status, version = :version,"
    " state_encrypted = :state, updated_at = :now WHERE id = :sid AND version = :expected"
)
_WRITE_STATE = text(_WRITE_STATE_SQL).bindparams(bindparam("now", type_=UTCDateTime()))


async def get_session(s: AsyncSession, *, session_id: str, workspace_id: int, user_id: int) -> FlowSession | None:
    """A session by id, only if it belongs to this user in this workspace."""
    params = {"sid": session_id, "ws": workspace_id, "uid": user_id}
    return (await s.execute(_GET_SESSION, params)).scalar_one_or_none()


async def owned_session(
    s: AsyncSession, *, session_id: str, platform: str, workspace: str, user: str
) -> tuple[FlowSession, Person] | None:
    """A session with its owner, in one query — only if that platform user in that workspace owns it."""
    params = {"sid": session_id, "platform": platform, "workspace": workspace, "user": user}
    row = (await s.execute(_OWNED_SESSION, params)).first()
    return (row[0], row[1]) if row else None


async def active_session(
    s: AsyncSession, *, workspace_id: int, user_id: int, flow: str | None = None, subject_id: int | None = None,
    ref: str | None = None,
) -> FlowSession | None:
    """The user's most recently touched active session (optionally of one flow, about one person or thing)."""
    q = select(FlowSession).where(
        FlowSession.workspace_id == workspace_id, FlowSession.user_id == user_id, FlowSession.status == "active"
    )
    if ref is not None:
        q = q.where(FlowSession.ref == ref)
    if flow is not None:
        q = q.where(FlowSession.flow == flow)
    if subject_id is not None:
        q = q.where(FlowSession.subject_id == subject_id)
    return (await s.execute(q.order_by(FlowSession.updated_at.desc()).limit(1))).scalar_one_or_none()


async def active_sessions(s: AsyncSession, *, workspace_id: int, user_id: int) -> list[FlowSession]:
    """Every unfinished session of the user, newest first."""
    q = (
        select(FlowSession)
        .where(FlowSession.workspace_id == workspace_id, FlowSession.user_id == user_id, FlowSession.status == "active")
        .order_by(FlowSession.updated_at.desc())
    )
    return list((await s.execute(q)).scalars())


async def save_state(
    s: AsyncSession,
    cipher: NotesCipher,
    *,
    row: FlowSession,
    state: dict[str, Any],
    expected_version: int,
    now: datetime,
) -> bool:
    """Write the new state only if nobody changed the session since `expected_version` was read."""
    result = await s.execute(_WRITE_STATE, {
        "sid": row.id, "expected": expected_version, "step": state.get("step"), "status": state["status"],
        "version": state["version"], "state": cipher.encrypt(state), "now": now,
    })
    return result.rowcount == 1


def load_state(cipher: NotesCipher, row: FlowSession) -> dict[str, Any]:
    """The decrypted engine state of a session row."""
    return cipher.decrypt(row.state_encrypted)


# ---- the hot path of a flow step ---------------------------------------------------------------
# A step that only moves a flow along is one read and one conditional write. Written as plain SQL
# (the same text for sqlite3 and SQLAlchemy, both take :named parameters) it skips the ORM, and on
# SQLite the whole unit runs on the event loop without a single thread hop (see SqliteWorker).


@dataclass(frozen=True)
class StoredState:
    """What the hot path reads of a session the caller owns."""

    id: str
    flow: str
    version: int
    state_encrypted: str


@dataclass(frozen=True)
class NewState:
    """What the hot path writes back."""

    step: str | None
    status: str
    version: int
    state_encrypted: str


Decide = Callable[[StoredState], tuple[NewState | None, R]]
Outcome = Literal["missing", "kept", "saved", "conflict"]

_OWNED_STATE_SQL = (
    "SELECT fs.id, fs.flow, fs.version, fs.state_encrypted FROM flow_sessions fs"
    " JOIN people p ON p.id = fs.user_id JOIN workspaces w ON w.id = p.workspace_id"
    " WHERE fs.id = :sid AND fs.workspace_id = w.id AND w.platform = :platform"
    " AND w.external_id = :workspace AND p.platform_user_id = :user"
)
_OWNED_STATE = text(_OWNED_STATE_SQL)


async def change_owned_state(
    db: Database, *, session_id: str, platform: str, workspace: str, user: str, now: datetime, decide: Decide[R],
) -> tuple[Outcome, R | None]:
    """Read a session the platform user owns, let `decide` compute its next state, write it if still current.

    `decide` gets the stored row and returns (new state or None to write nothing, a result for the
    caller). On SQLite, when another writer holds the lock, it runs again on a worker thread, so it
    must be pure: no event loop, no side effects. The write only lands if nobody moved the session on meanwhile ("conflict" otherwise).
    """
    owner = {"sid": session_id, "platform": platform, "workspace": workspace, "user": user}
    if db.sqlite_worker is not None:
        stamp = _sqlite_stamp(now)
        return await db.sqlite_worker.run(lambda conn: _change_in_sqlite(conn, owner, stamp, decide))
    async with db.engine.begin() as conn:
        row = (await conn.execute(_OWNED_STATE, owner)).first()
        if row is None:
            return "missing", None
        stored = StoredState(*row)
        new, result = decide(stored)
        if new is None:
            return "kept", result
        written = await conn.execute(_WRITE_STATE, _write_params(stored.id, stored.version, new, now))
        return ("saved" if written.rowcount == 1 else "conflict"), result


async def write_state_if_current(db: Database, *, session_id: str, expected_version: int, new: NewState,
                                 now: datetime) -> bool:
    """Write a state the caller already holds, only if the session is still at `expected_version`.

    The hot path's write without its read: for a caller that knows the current state from its own
    last write. False when the row moved on or is gone (the caller then takes the full path).
    """
    if db.sqlite_worker is not None:
        params = _write_params(session_id, expected_version, new, _sqlite_stamp(now))
        return await db.sqlite_worker.run(lambda conn: conn.execute(_WRITE_STATE_SQL, params).rowcount == 1)
    async with db.engine.begin() as conn:
        written = await conn.execute(_WRITE_STATE, _write_params(session_id, expected_version, new, now))
        return written.rowcount == 1


def _sqlite_stamp(now: datetime) -> str:
    # What UTCDateTime stores, without going through SQLAlchemy's type machinery.
    return now.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _change_in_sqlite(conn: sqlite3.Connection, owner: dict, stamp: str, decide: Decide[R]) -> tuple[Outcome, R | None]:
    # fetchall, not fetchone: it finishes the statement, so no read transaction stays open while
    # `decide` runs (a stale one could not be turned into the write below).
    rows = conn.execute(_OWNED_STATE_SQL, owner).fetchall()
    if not rows:
        return "missing", None
    stored = StoredState(*rows[0])
    new, result = decide(stored)
    if new is None:
        return "kept", result
    # Autocommit: the conditional update is its own short transaction, so the write lock is held
    # only while it runs, not while `decide` thinks.
    written = conn.execute(_WRITE_STATE_SQL, _write_params(stored.id, stored.version, new, stamp))
    return ("saved" if written.rowcount == 1 else "conflict"), result


def _write_params(session_id: str, expected_version: int, new: NewState, now: Any) -> dict[str, Any]:
    return {"sid": session_id, "expected": expected_version, "step": new.step, "status": new.status,
            "version": new.version, "state": new.state_encrypted, "now": now}
