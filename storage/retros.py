"""Lost deals and their retrospectives, follow-ups, and the aggregate queries behind team reports."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import NotesCipher
from storage.models import FollowUp, Person, Retrospective, Workspace


async def open_retro(
    s: AsyncSession,
    *,
    workspace_id: int,
    deal_key: str,
    deal_name: str,
    rep: Person,
    lost_on: date,
    now: datetime,
    amount: float | None = None,
    opened_by_id: int | None = None,
    source: str = "command",
    channel_id: str | None = None,
    crm_url: str | None = None,
    stage: str | None = None,
) -> tuple[Retrospective, bool]:
    """The retrospective for this deal, opened now unless one exists (True when newly opened)."""
    existing = await find_by_deal(s, workspace_id=workspace_id, deal_key=deal_key)
    if existing is not None:
        return existing, False
    retro = Retrospective(
        workspace_id=workspace_id, deal_key=deal_key, deal_name=deal_name, amount=amount, rep_id=rep.id,
        manager_id=rep.manager_id, opened_by_id=opened_by_id, source=source, channel_id=channel_id,
        crm_url=crm_url, stage=stage, lost_on=lost_on, created_at=now,
    )
    try:
        async with s.begin_nested():
            s.add(retro)
            await s.flush()
        return retro, True
    except IntegrityError:  # the same deal arrived at the same moment through another replica
        again = await find_by_deal(s, workspace_id=workspace_id, deal_key=deal_key)
        assert again is not None
        return again, False


async def find_by_deal(s: AsyncSession, *, workspace_id: int, deal_key: str) -> Retrospective | None:
    """The retrospective of a deal in a workspace, if any."""
    q = select(Retrospective).where(Retrospective.workspace_id == workspace_id, Retrospective.deal_key == deal_key)
    return (await s.execute(q)).scalar_one_or_none()


async def get_retro(s: AsyncSession, *, workspace_id: int, retro_id: int) -> Retrospective | None:
    """A retrospective by id, only within `workspace_id`."""
    q = select(Retrospective).where(Retrospective.id == retro_id, Retrospective.workspace_id == workspace_id)
    return (await s.execute(q)).scalar_one_or_none()


async def record_prompt(s: AsyncSession, *, workspace_id: int, retro_id: int, channel: str, ts: str) -> bool:
    """Remember where a retrospective's prompt was posted (the thread its summary goes into); False when
    the retrospective is gone."""
    retro = await get_retro(s, workspace_id=workspace_id, retro_id=retro_id)
    if retro is None:
        return False
    retro.channel_id, retro.message_ts = channel, ts
    s.add(retro)
    return True


async def pending_for(s: AsyncSession, *, rep: Person) -> list[Retrospective]:
    """The rep's retrospectives not yet done, oldest first."""
    q = (select(Retrospective)
         .where(Retrospective.workspace_id == rep.workspace_id, Retrospective.rep_id == rep.id,
                Retrospective.status != "done")
         .order_by(Retrospective.created_at))
    return list((await s.execute(q)).scalars())


async def complete(s: AsyncSession, cipher: NotesCipher, *, retro: Retrospective, answers: dict[str, Any],
                   now: datetime) -> None:
    """Store the finished retrospective: reasons in the clear for reports, everything else encrypted."""
    retro.status = "done"
    retro.primary_reason = answers.get("primary")
    retro.secondary_reasons = ",".join(r for r in answers.get("secondary") or [] if r != answers.get("primary"))
    retro.share_scope = answers.get("share") or "manager"
    retro.answers_encrypted = cipher.encrypt(answers)
    retro.completed_at = now
    s.add(retro)


def answers_of(cipher: NotesCipher, retro: Retrospective) -> dict[str, Any]:
    """The decrypted answers of a finished retrospective."""
    return cipher.decrypt(retro.answers_encrypted) if retro.answers_encrypted else {}


async def add_followups(s: AsyncSession, cipher: NotesCipher, *, person: Person, retro_id: int | None,
                        items: list[dict[str, Any]], now: datetime) -> list[FollowUp]:
    """Store things the person will check later, each with its optional due date."""
    rows = [FollowUp(workspace_id=person.workspace_id, person_id=person.id, retrospective_id=retro_id,
                     text_encrypted=cipher.encrypt(i["text"]),
                     due_on=date.fromisoformat(i["due"]) if i.get("due") else None, created_at=now)
            for i in items]
    s.add_all(rows)
    await s.flush()
    return rows


async def open_followups(s: AsyncSession, cipher: NotesCipher, *, person: Person) -> list[tuple[str, date | None]]:
    """The person's open follow-ups as (text, due date), soonest first."""
    q = (select(FollowUp)
         .where(FollowUp.workspace_id == person.workspace_id, FollowUp.person_id == person.id,
                FollowUp.status == "open")
         .order_by(FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.id))
    return [(cipher.decrypt(f.text_encrypted), f.due_on) for f in (await s.execute(q)).scalars()]


async def reason_counts(s: AsyncSession, *, workspace_id: int, manager_id: int, start: date, end: date
                        ) -> list[tuple[str, int, int]]:
    """(reason, rep id, count) of finished retrospectives of the manager's team lost in [start, end)."""
    q = (select(Retrospective.primary_reason, Retrospective.rep_id, func.count())
         .where(Retrospective.workspace_id == workspace_id, Retrospective.manager_id == manager_id,
                Retrospective.lost_on >= start, Retrospective.lost_on < end, Retrospective.status == "done")
         .group_by(Retrospective.primary_reason, Retrospective.rep_id))
    return [(r, rep, n) for r, rep, n in await s.execute(q)]


async def missing_counts(s: AsyncSession, *, workspace_id: int, manager_id: int, start: date, end: date
                         ) -> list[tuple[int, int]]:
    """(rep id, count) of retrospectives still not done for deals lost in [start, end)."""
    q = (select(Retrospective.rep_id, func.count())
         .where(Retrospective.workspace_id == workspace_id, Retrospective.manager_id == manager_id,
                Retrospective.lost_on >= start, Retrospective.lost_on < end, Retrospective.status != "done")
         .group_by(Retrospective.rep_id))
    return [(rep, n) for rep, n in await s.execute(q)]


async def export_rows(s: AsyncSession, *, workspace_id: int, since: date, manager_id: int | None = None
                      ) -> list[tuple[Retrospective, str, str]]:
    """Retrospectives lost since `since`, with rep and manager names, for CSV export."""
    rep = Person.__table__.alias("rep")
    mgr = Person.__table__.alias("mgr")
    q = (select(Retrospective, rep.c.name, mgr.c.name)
         .join(rep, rep.c.id == Retrospective.rep_id)
         .outerjoin(mgr, mgr.c.id == Retrospective.manager_id)
         .where(Retrospective.workspace_id == workspace_id, Retrospective.lost_on >= since)
         .order_by(Retrospective.lost_on, Retrospective.id))
    if manager_id is not None:
        q = q.where(Retrospective.manager_id == manager_id)
    return [(r, rn, mn or "") for r, rn, mn in await s.execute(q)]


async def workspaces_with_retros(s: AsyncSession) -> list[Workspace]:
    """Workspaces that have at least one retrospective."""
    q = select(Workspace).where(Workspace.id.in_(select(Retrospective.workspace_id).distinct()))
    return list((await s.execute(q)).scalars())
