"""Look-ups for reporting lines taken from the organisation's own data: which workspace a file names,
who a user id or an email is there, and the people of a workspace page by page."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, Workspace
from storage.privacy import ERASED_PREFIX


async def workspaces_named(s: AsyncSession, *, external_id: str, platform: str = "") -> list[Workspace]:
    """The workspaces with this Slack team id, Teams tenant id or "demo" (on `platform`, when given)."""
    q = select(Workspace).where(Workspace.external_id == external_id)
    if platform:
        q = q.where(Workspace.platform == platform)
    return list((await s.execute(q)).scalars())


async def people_with_id(s: AsyncSession, *, workspace_id: int, user: str) -> Person | None:
    """The person of the workspace with this platform user id (never an erased person's left-over row)."""
    if user.startswith(ERASED_PREFIX):
        return None
    return (await s.execute(select(Person).where(Person.workspace_id == workspace_id,
                                                 Person.platform_user_id == user))).scalar_one_or_none()


async def people_with_email(s: AsyncSession, *, workspace_id: int, email: str) -> list[Person]:
    """The people of the workspace whose stored email is this one, ignoring case."""
    return list((await s.execute(select(Person).where(
        Person.workspace_id == workspace_id, func.lower(Person.email) == email.lower()))).scalars())


async def people_page(s: AsyncSession, *, workspace_id: int, offset: int, limit: int) -> tuple[list[str], int]:
    """The platform user ids of the workspace's people in the order coachbot met them, from `offset`
    (0-based), at most `limit` of them; and how many people the workspace has in all."""
    ids = list((await s.execute(select(Person.platform_user_id).where(Person.workspace_id == workspace_id)
                                .order_by(Person.id).offset(offset).limit(limit))).scalars())
    total = (await s.execute(select(func.count()).select_from(Person)
                             .where(Person.workspace_id == workspace_id))).scalar_one()
    return ids, int(total)
