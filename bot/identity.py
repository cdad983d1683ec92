"""Who is acting: the neutral Actor a transport builds, and the stored person behind it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import PersonRef
from storage import people
from storage.models import Person


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the transport knows them."""

    platform: str
    workspace: str  # Slack team id, Teams tenant id, or "demo"
    user: str  # platform user id
    name: str = ""
    tz: str | None = None


async def person_for(s: AsyncSession, actor: Actor, default_tz: str) -> Person:
    """The stored person for an actor, created on first contact."""
    known = await people.find_person(s, platform=actor.platform, workspace=actor.workspace, user=actor.user)
    if known is not None:
        return known
    ws = await people.get_or_create_workspace(s, platform=actor.platform, external_id=actor.workspace)
    return await people.get_or_create_person(
        s, workspace_id=ws.id, platform_user_id=actor.user, name=actor.name or actor.user, tz=actor.tz or default_tz,
    )


async def person_named(s: AsyncSession, me: Person, ref: PersonRef, default_tz: str) -> Person:
    """The person a command mentions, in the actor's own workspace (never another one)."""
    return await people.get_or_create_person(
        s, workspace_id=me.workspace_id, platform_user_id=ref.external_id, name=ref.name, tz=default_tz,
    )


def effective_tz(person: Person) -> str:
    """The zone to use for a person: their own choice, else their platform profile's."""
    return person.tz_override or person.tz
