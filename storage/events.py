"""De-duplication of platform event deliveries (Slack retries an event until it is acknowledged)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SeenEvent


async def first_sighting(s: AsyncSession, *, event_id: str, team_id: str, now: datetime) -> bool:
    """Record `event_id`; False if it had been recorded before (by this or any other replica)."""
    try:
        async with s.begin_nested():
            s.add(SeenEvent(event_id=event_id, team_id=team_id, seen_at=now))
            await s.flush()
        return True
    except IntegrityError:
        return False


async def forget_before(s: AsyncSession, *, cutoff: datetime) -> int:
    """Drop sightings older than `cutoff` (Slack stops retrying after about an hour)."""
    result = await s.execute(delete(SeenEvent).where(SeenEvent.seen_at < cutoff))
    return result.rowcount or 0
