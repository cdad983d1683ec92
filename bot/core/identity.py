"""Who is acting: the neutral Actor a transport builds, and the stored person behind it."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.commands import PersonRef
from flows.dates import known_zone
from storage import people
from storage.models import Person


UNKNOWN_NAME = "a colleague"  # until the platform has said who someone is; a raw id is never a name


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the transport knows them."""

    platform: str
    workspace: str  # Slack team id, Teams tenant id, or "demo"
    user: str  # platform user id
    name: str = ""
    tz: str | None = None


@dataclass(frozen=True)
class NewPerson:
    """What a person gets when first seen: the configured default zone, working hours and days."""

    tz: str = "UTC"
    work_start: str = "09:00"
    work_end: str = "17:30"
    work_days: str = "mon,tue,wed,thu,fri"

    @classmethod
    def from_settings(cls, settings) -> "NewPerson":
        """The defaults DEFAULT_TIMEZONE, WORK_START, WORK_END and WORK_DAYS set (bot.ops.settings)."""
        return cls(tz=settings.default_timezone, work_start=settings.work_start, work_end=settings.work_end,
                   work_days=settings.work_days)


async def person_for(s: AsyncSession, actor: Actor, defaults: NewPerson) -> Person:
    """The stored person for an actor, created on first contact."""
    known = await people.find_person(s, platform=actor.platform, workspace=actor.workspace, user=actor.user)
    if known is not None:
        return known
    ws = await people.get_or_create_workspace(s, platform=actor.platform, external_id=actor.workspace)
    return await _person(s, ws.id, actor.user, actor.name, defaults, tz=actor.tz)


async def person_named(s: AsyncSession, me: Person, ref: PersonRef, defaults: NewPerson) -> Person:
    """The person a command mentions, in the actor's own workspace (never another one)."""
    return await _person(s, me.workspace_id, ref.external_id, ref.name, defaults)


async def _person(s: AsyncSession, workspace_id: int, user: str, name: str, defaults: NewPerson, *,
                  tz: str | None = None) -> Person:
    # The one road by which coachbot meets someone new: whoever meets them first (a command, a
    # mention, a profile look-up), they start with the configured zone, hours and days.
    return await people.get_or_create_person(
        s, workspace_id=workspace_id, platform_user_id=user, name=name or UNKNOWN_NAME,
        tz=known_zone(tz) or defaults.tz,  # a client's time zone is a hint: kept only when it is a real zone
        work_start=defaults.work_start, work_end=defaults.work_end, work_days=defaults.work_days,
    )


def effective_tz(person: Person) -> str:
    """The zone to use for a person: their own choice, else their platform profile's (UTC when neither
    is a zone this machine knows, e.g. one stored before zones were checked)."""
    return known_zone(person.tz_override) or known_zone(person.tz) or "UTC"


def zone_of(person: Person) -> ZoneInfo:
    """The time zone a person's days are counted in (their choice, else their profile's)."""
    return ZoneInfo(effective_tz(person))
