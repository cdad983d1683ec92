"""Flow sessions: the stored, encrypted engine state with optimistic versioning."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import FlowSession, Person, Workspace
from storage.types import UTCDateTime



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
_WRITE_STATE_PG = re.sub(r":(\w+)", r"%(\1)s", _WRITE_STATE_SQL)  # the same, in psycopg's parameter style


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
# A step that only moves a flow along is one read (none when this process wrote the state last) and
# one conditional write. Written as plain SQL (the same text for sqlite3 and SQLAlchemy, both take
# :named parameters) they skip the ORM; on SQLite they run on the event loop without a thread hop
# (see SqliteWorker), and on PostgreSQL the write is one round trip on psycopg itself
# (storage/pg_statements.py).


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


_OWNED_STATE_SQL = (
    "SELECT fs.id, fs.flow, fs.version, fs.state_encrypted FROM flow_sessions fs"
    " JOIN people p ON p.id = fs.user_id JOIN workspaces w ON w.id = p.workspace_id"
    " WHERE fs.id = :sid AND fs.workspace_id = w.id AND w.platform = :platform"
    " AND w.external_id = :workspace AND p.platform_user_id = :user"
)


async def read_owned_state(db: Database, *, session_id: str, platform: str, workspace: str,
                           user: str) -> StoredState | None:
    """The stored state of a session the platform user owns, in that workspace; None if there is none."""
    owner = {"sid": session_id, "platform": platform, "workspace": workspace, "user": user}
    rows = await db.quick_rows(_OWNED_STATE_SQL, owner)
    return StoredState(*rows[0]) if rows else None


_AT_VERSION_SQL = "SELECT 1 FROM flow_sessions WHERE id = :sid AND version = :version"


async def still_at(db: Database, *, session_id: str, version: int) -> bool:
    """Whether the session is still stored at this version (a remembered state may be shown only then)."""
    return bool(await db.quick_rows(_AT_VERSION_SQL, {"sid": session_id, "version": version}))


async def write_state_if_current(db: Database, *, session_id: str, expected_version: int, new: NewState,
                                 now: datetime) -> bool:
    """Write a state the caller already holds, only if the session is still at `expected_version`.

    False when the row moved on or is gone: the caller read or remembered an older state.
    """
    if db.sqlite_worker is not None:
        params = _write_params(session_id, expected_version, new, _sqlite_stamp(now))
        return await db.sqlite_worker.run(lambda conn: conn.execute(_WRITE_STATE_SQL, params).rowcount == 1)
    if db.pg_statements is not None:
        params = _write_params(session_id, expected_version, new, now)
        return await db.pg_statements.execute(_WRITE_STATE_PG, params) == 1
    async with db.engine.begin() as conn:
        written = await conn.execute(_WRITE_STATE, _write_params(session_id, expected_version, new, now))
        return written.rowcount == 1


def _sqlite_stamp(now: datetime) -> str:
    # What UTCDateTime stores, without going through SQLAlchemy's type machinery.
    return now.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _write_params(session_id: str, expected_version: int, new: NewState, now: Any) -> dict[str, Any]:
    return {"sid": session_id, "expected": expected_version, "step": new.step, "status": new.status,
            "version": new.version, "state": new.state_encrypted, "now": now}
