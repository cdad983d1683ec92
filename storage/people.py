"""Workspaces and people: find-or-create by platform ids, teams, and name look-ups."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_if_absent
from storage.models import Person, Workspace


async def get_or_create_workspace(s: AsyncSession, *, platform: str, external_id: str, name: str = "") -> Workspace:
    """The workspace for (platform, external id), created on first sight."""
    find = select(Workspace).where(Workspace.platform == platform, Workspace.external_id == external_id)
    ws = (await s.execute(find)).scalar_one_or_none()
    if ws is None:
        await insert_if_absent(s, Workspace(platform=platform, external_id=external_id, name=name),
                               ["platform", "external_id"])
        ws = (await s.execute(find)).scalar_one()
    elif name and ws.name != name:
        ws.name = name
    return ws


# Built once: this runs on every request, and constructing the statement costs more than executing it.
_FIND_PERSON = (
    select(Person)
    .join(Workspace, Workspace.id == Person.workspace_id)
    .where(Workspace.platform == bindparam("platform"), Workspace.external_id == bindparam("workspace"),
           Person.platform_user_id == bindparam("user"))
)


async def find_person(s: AsyncSession, *, platform: str, workspace: str, user: str) -> Person | None:
    """The person with this platform user id in the workspace with this external id, in one query."""
    params = {"platform": platform, "workspace": workspace, "user": user}
    return (await s.execute(_FIND_PERSON, params)).scalar_one_or_none()


NAME_MAX = 200  # people.name


def fit_name(name: str) -> str:
    """A display name that fits its column (one longer than any real name ends in an ellipsis), without
    NUL characters, which PostgreSQL refuses in text."""
    name = name.replace("\x00", "")
    return name if len(name) <= NAME_MAX else name[:NAME_MAX - 1] + "…"


async def get_or_create_person(
    s: AsyncSession, *, workspace_id: int, platform_user_id: str, name: str = "", tz: str | None = None,
    work_start: str | None = None, work_end: str | None = None, work_days: str | None = None,
) -> Person:
    """The person with this platform id in the workspace, created on first sight (with these defaults)."""
    find = select(Person).where(Person.workspace_id == workspace_id, Person.platform_user_id == platform_user_id)
    person = (await s.execute(find)).scalar_one_or_none()
    if person is None:
        person = Person(workspace_id=workspace_id, platform_user_id=platform_user_id,
                        name=fit_name(name or platform_user_id))
        if tz:
            person.tz = tz
        person.work_start = work_start or person.work_start
        person.work_end = work_end or person.work_end
        person.work_days = work_days or person.work_days
        await insert_if_absent(s, person, ["workspace_id", "platform_user_id"])
        person = (await s.execute(find)).scalar_one()
    return person


async def get_person(s: AsyncSession, *, workspace_id: int, person_id: int) -> Person | None:
    """A person by id, only if they belong to `workspace_id` (never across workspaces)."""
    return (
        await s.execute(select(Person).where(Person.id == person_id, Person.workspace_id == workspace_id))
    ).scalar_one_or_none()


async def find_by_name(s: AsyncSession, *, workspace_id: int, name: str) -> Person | None:
    """A person of the workspace whose name matches `name`, ignoring case."""
    return (
        await s.execute(
            select(Person).where(Person.workspace_id == workspace_id, func.lower(Person.name) == name.lower())
        )
    ).scalars().first()


async def set_manager(s: AsyncSession, *, rep: Person, manager: Person) -> None:
    """Record that `rep` reports to `manager` (both must be in the same workspace)."""
    if rep.workspace_id != manager.workspace_id:
        raise ValueError("a manager and a rep must be in the same workspace")
    rep.manager_id = manager.id
    s.add(rep)


async def reps_of(s: AsyncSession, *, manager: Person) -> list[Person]:
    """The people who report to `manager`."""
    return list(
        (
            await s.execute(
                select(Person)
                .where(Person.workspace_id == manager.workspace_id, Person.manager_id == manager.id)
                .order_by(Person.name)
            )
        ).scalars()
    )


async def update_profile(s: AsyncSession, *, person: Person, name: str, tz: str | None, at: datetime,
                         email: str | None = None, admin: bool | None = None) -> None:
    """Store a fresh name, email, time zone and admin flag from the platform's profile."""
    person.name = fit_name(name) if name else person.name
    if email and len(email) <= 320 and "\x00" not in email:
        person.email = email
    if tz:
        person.tz = tz
    if admin is not None:
        person.is_admin = admin
    person.profile_refreshed_at = at
    s.add(person)


async def by_ids(s: AsyncSession, ids) -> dict[int, Person]:
    """People by id."""
    return {p.id: p for p in (await s.execute(select(Person).where(Person.id.in_(set(ids))))).scalars()}


async def workspaces_by_ids(s: AsyncSession, ids) -> dict[int, Workspace]:
    """Workspaces by id."""
    return {w.id: w for w in (await s.execute(select(Workspace).where(Workspace.id.in_(set(ids))))).scalars()}


def active_workspaces():
    """The ids of workspaces the app is installed in (not removed), as a subquery."""
    return select(Workspace.id).where(Workspace.removed_at.is_(None))


async def managers(s: AsyncSession) -> list[Person]:
    """Everyone who has at least one rep and has not opted out."""
    q = select(Person).where(Person.id.in_(select(Person.manager_id).where(Person.manager_id.is_not(None)).distinct()),
                             Person.opted_out.is_(False), Person.workspace_id.in_(active_workspaces()))
    return list((await s.execute(q)).scalars())


async def reps_of_id(s: AsyncSession, *, manager_id: int) -> list[Person]:
    """The people who report to the manager with this id."""
    return list((await s.execute(select(Person).where(Person.manager_id == manager_id)
                                 .order_by(Person.name))).scalars())


async def open_chat(s: AsyncSession, *, person_id: int, ref: str) -> bool:
    """Store the chat reference of someone who had none; True for exactly one caller when several
    turns race (Teams announces an install twice), so only one of them greets and hands over."""
    result = await s.execute(update(Person).where(Person.id == person_id, Person.chat_ref.is_(None))
                             .values(chat_ref=ref).execution_options(synchronize_session=False))
    return result.rowcount == 1


async def set_chat_ref(s: AsyncSession, *, person: Person, ref: str | None) -> None:
    """Remember how to reach a person in a private chat (only written when it changed)."""
    if person.chat_ref != ref:
        person.chat_ref = ref
        s.add(person)
        await s.flush()


async def matching_name(s: AsyncSession, *, workspace_id: int, name: str, exclude: int | None = None) -> list[Person]:
    """People of one workspace whose full or first name is `name`, ignoring case (at most 5)."""
    wanted = name.strip().lower()
    first = func.lower(func.substr(Person.name, 1, len(wanted) + 1))
    query = select(Person).where(Person.workspace_id == workspace_id,
                                 (func.lower(Person.name) == wanted) | (first == wanted + " "))
    if exclude is not None:
        query = query.where(Person.id != exclude)
    return list((await s.execute(query.order_by(Person.name).limit(5))).scalars())


async def with_user_id(s: AsyncSession, *, user_id: str, workspace: str | None = None) -> list[tuple[Person, Workspace]]:
    """People with this platform user id (in one workspace's external id, if given), with their workspace."""
    q = select(Person, Workspace).join(Workspace, Workspace.id == Person.workspace_id).where(
        Person.platform_user_id == user_id)
    if workspace:
        q = q.where(Workspace.external_id == workspace)
    return [(p, w) for p, w in await s.execute(q)]
