"""Difficult conversations and their action items."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage import people
from storage.models import ActionItem, Conversation, Person


# A plan the manager chose not to send stays theirs: every read a rep makes of plans goes through this.
SHARED = Conversation.shared_with_rep.is_(True)


@dataclass(frozen=True)
class PlanItem:
    id: int
    owner_role: str
    owner_name: str
    text: str
    due_on: date | None
    status: str


@dataclass(frozen=True)
class Plan:
    """An open plan as a reader sees it: decrypted items, who it is between, when it is reviewed."""

    conversation_id: int
    manager_id: int
    manager_name: str
    rep_id: int
    rep_name: str
    review_on: date
    created_at: datetime
    items: tuple[PlanItem, ...]

    def overdue(self, today: date) -> tuple[PlanItem, ...]:
        """Open items whose due date has passed."""
        return tuple(i for i in self.items if i.status == "open" and i.due_on and i.due_on < today)


async def record_conversation(
    s: AsyncSession,
    cipher: NotesCipher,
    *,
    workspace_id: int,
    manager: Person,
    rep: Person,
    answers: dict[str, Any],
    flow_session_id: str | None,
    now: datetime,
) -> Conversation:
    """Store a finished talk: notes encrypted, one action item row per plan line."""
    talk = Conversation(
        workspace_id=workspace_id,
        manager_id=manager.id,
        rep_id=rep.id,
        flow_session_id=flow_session_id,
        notes_encrypted=cipher.encrypt(answers),
        review_on=date.fromisoformat(answers["review"]),
        shared_with_rep=bool(answers.get("share")),
        weekly_target=_target(answers.get("plan") or []),
        created_at=now,
    )
    s.add(talk)
    await s.flush()
    for item in answers.get("plan") or []:
        if "target" in item:
            continue  # the weekly target lives on the conversation, not as an item to tick off
        owner = manager if item["owner"] == "manager" else rep
        s.add(
            ActionItem(
                conversation_id=talk.id,
                workspace_id=workspace_id,
                owner_role=item["owner"],
                owner_id=owner.id,
                text_encrypted=cipher.encrypt(item["text"]),
                due_on=date.fromisoformat(item["due"]) if item.get("due") else None,
                created_at=now,
            )
        )
    await s.flush()
    return talk


def _target(items: list[dict[str, Any]]) -> int | None:
    found = [i["target"] for i in items if isinstance(i.get("target"), int) and not isinstance(i["target"], bool)]
    return found[0] if found else None


async def open_target(s: AsyncSession, rep_id: int, manager_id: int) -> int | None:
    """The weekly new-opportunities target of the rep's open plan with this manager (the newest one that
    set a target), or None: what the signals read as the rep's `min_weekly_opportunities`."""
    q = (select(Conversation.weekly_target)
         .where(Conversation.rep_id == rep_id, Conversation.manager_id == manager_id,
                Conversation.status == "open", Conversation.weekly_target.is_not(None))
         .order_by(Conversation.created_at.desc(), Conversation.id.desc())
         .limit(1))
    return (await s.execute(q)).scalar_one_or_none()


async def open_plans(s: AsyncSession, cipher: NotesCipher, *, viewer: Person) -> list[Plan]:
    """Open plans the viewer may see: those they lead as manager, and as rep those shared with them."""
    q = (
        select(Conversation)
        .where(
            Conversation.workspace_id == viewer.workspace_id,
            Conversation.status == "open",
            or_(Conversation.manager_id == viewer.id, and_(Conversation.rep_id == viewer.id, SHARED)),
        )
        .order_by(Conversation.review_on, Conversation.id)
    )
    talks = list((await s.execute(q)).scalars())
    return [await _plan(s, cipher, t) for t in talks]


async def conversation_notes(s: AsyncSession, cipher: NotesCipher, *, viewer: Person, conversation_id: int) -> dict | None:
    """The full notes of a talk, only for the manager who held it."""
    talk = (
        await s.execute(
            select(Conversation).where(
                Conversation.id == conversation_id,
                Conversation.workspace_id == viewer.workspace_id,
                Conversation.manager_id == viewer.id,
            )
        )
    ).scalar_one_or_none()
    return cipher.decrypt(talk.notes_encrypted) if talk else None


async def _plan(s: AsyncSession, cipher: NotesCipher, talk: Conversation) -> Plan:
    people = {
        p.id: p
        for p in (await s.execute(select(Person).where(Person.id.in_([talk.manager_id, talk.rep_id])))).scalars()
    }
    rows = (
        await s.execute(
            select(ActionItem).where(ActionItem.conversation_id == talk.id).order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        )
    ).scalars()
    items = tuple(
        PlanItem(
            id=r.id,
            owner_role=r.owner_role,
            owner_name=people[r.owner_id].name,
            text=cipher.decrypt(r.text_encrypted),
            due_on=r.due_on,
            status=r.status,
        )
        for r in rows
    )
    return Plan(
        conversation_id=talk.id,
        manager_id=talk.manager_id,
        manager_name=people[talk.manager_id].name,
        rep_id=talk.rep_id,
        rep_name=people[talk.rep_id].name,
        review_on=talk.review_on,
        created_at=talk.created_at,
        items=items,
    )


async def close(s: AsyncSession, *, manager: Person, conversation_id: int, now: datetime) -> list[int] | None:
    """Close an open plan led by `manager`; returns its action item ids (None if not theirs or not open)."""
    talk = (await s.execute(select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == manager.workspace_id,
        Conversation.manager_id == manager.id, Conversation.status == "open"))).scalar_one_or_none()
    if talk is None:
        return None
    talk.status, talk.closed_at = "closed", now
    s.add(talk)
    return [i for (i,) in await s.execute(select(ActionItem.id).where(ActionItem.conversation_id == talk.id))]


async def items_of(s: AsyncSession, *, conversation_id: int) -> list[ActionItem]:
    """A plan's action items in the order they were written."""
    q = select(ActionItem).where(ActionItem.conversation_id == conversation_id).order_by(ActionItem.id)
    return list((await s.execute(q)).scalars())


async def reps_with_open_plans(s: AsyncSession) -> list[Person]:
    """Reps with at least one open plan shared with them who have not opted out."""
    q = select(Person).where(Person.id.in_(select(Conversation.rep_id).where(Conversation.status == "open", SHARED)),
                             Person.opted_out.is_(False), Person.workspace_id.in_(people.active_workspaces()))
    return list((await s.execute(q)).scalars())


async def open_plan_count(s: AsyncSession, *, rep: Person) -> int:
    """How many open plans shared with the rep they are on."""
    q = select(func.count()).select_from(Conversation).where(
        Conversation.workspace_id == rep.workspace_id, Conversation.rep_id == rep.id, Conversation.status == "open",
        SHARED)
    return (await s.execute(q)).scalar_one()


async def on_open_plans(s: AsyncSession, *, rep_ids: set[int]) -> set[int]:
    """Which of these reps are on at least one open plan shared with them."""
    q = select(Conversation.rep_id).where(Conversation.rep_id.in_(rep_ids), Conversation.status == "open",
                                          SHARED).distinct()
    return set((await s.execute(q)).scalars())
