"""Flow sessions: the stored, encrypted engine state with optimistic versioning."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage.models import FlowSession, Person, Workspace


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
_SAVE_STATE = (
    update(FlowSession)
    .where(FlowSession.id == bindparam("sid"), FlowSession.version == bindparam("expected"))
    .values(step=bindparam("step"), status=bindparam("status"), version=bindparam("version"),
            state_encrypted=bindparam("state"), updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


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
    result = await s.execute(_SAVE_STATE, {
        "sid": row.id, "expected": expected_version, "step": state.get("step"), "status": state["status"],
        "version": state["version"], "state": cipher.encrypt(state), "now": now,
    })
    return result.rowcount == 1


def load_state(cipher: NotesCipher, row: FlowSession) -> dict[str, Any]:
    """The decrypted engine state of a session row."""
    return cipher.decrypt(row.state_encrypted)
