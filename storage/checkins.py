"""Check-ins: rep status updates and managers' "I checked in" notes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage.models import CheckIn, Person


async def record_checkin(
    s: AsyncSession,
    cipher: NotesCipher,
    *,
    rep: Person,
    author: Person,
    kind: str,
    status: str | None,
    note: str | None,
    conversation_id: int | None,
    now: datetime,
) -> CheckIn:
    """Store one check-in; the free-text note is encrypted like the other personnel notes."""
    row = CheckIn(
        workspace_id=rep.workspace_id,
        rep_id=rep.id,
        author_id=author.id,
        conversation_id=conversation_id,
        kind=kind,
        status=status,
        note_encrypted=cipher.encrypt(note) if note else None,
        created_at=now,
    )
    s.add(row)
    await s.flush()
    return row


async def last_checkins(s: AsyncSession, *, workspace_id: int, rep_ids: list[int]) -> dict[int, datetime]:
    """The most recent check-in time (of any kind) per rep."""
    if not rep_ids:
        return {}
    rows = await s.execute(
        select(CheckIn.rep_id, func.max(CheckIn.created_at))
        .where(CheckIn.workspace_id == workspace_id, CheckIn.rep_id.in_(rep_ids))
        .group_by(CheckIn.rep_id)
    )
    return {rep_id: at for rep_id, at in rows}


async def since(s: AsyncSession, *, rep_id: int, since: datetime) -> list[CheckIn]:
    """A rep's check-ins (of every kind) from `since` on, oldest first."""
    q = select(CheckIn).where(CheckIn.rep_id == rep_id, CheckIn.created_at >= since).order_by(CheckIn.created_at)
    return list((await s.execute(q)).scalars())
