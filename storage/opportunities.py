"""New opportunities per rep and week: the rep's pulse answer, or the CRM's count of deals created.

A week is named by its Monday in the rep's own time zone (the caller works it out). A pulse answer
given again for the same week replaces the first; a CRM deal is counted once however often its
webhook is delivered. The old bucket answers ("0", "1-2", "3-5", "6+") stay in `checkins` as history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import CrmDealSeen, CrmSetting, OpportunityCount, Person, Workspace
from storage.people import active_workspaces

SOURCES = ("pulse", "crm")
MAX_COUNT = 500  # a week's new opportunities beyond this is a typing slip, not a pipeline
_COUNTS = OpportunityCount.__table__


async def record_pulse(s: AsyncSession, *, workspace_id: int, person_id: int, week_start: date, count: int,
                       now: datetime) -> None:
    """Store a rep's pulse answer for a week; answering again replaces the earlier answer."""
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"a week's count is 0..{MAX_COUNT}, not {count}")
    q = dialect_insert(s, _COUNTS).values(workspace_id=workspace_id, person_id=person_id, week_start=week_start,
                                          count=count, source="pulse", updated_at=now)
    await s.execute(q.on_conflict_do_update(index_elements=["person_id", "week_start", "source"],
                                            set_={"count": count, "updated_at": now}))


async def add_crm_deal(s: AsyncSession, *, workspace_id: int, person_id: int, deal_key: str, week_start: date,
                       now: datetime) -> bool:
    """Count one new CRM deal in its owner's week; False (nothing counted) when the deal was counted before."""
    seen = dialect_insert(s, CrmDealSeen.__table__).values(
        workspace_id=workspace_id, deal_key=deal_key, person_id=person_id, week_start=week_start, seen_at=now)
    # RETURNING says whether the row went in (a rowcount isn't reliable for ON CONFLICT DO NOTHING everywhere).
    fresh = seen.on_conflict_do_nothing(index_elements=["workspace_id", "deal_key"]).returning(CrmDealSeen.id)
    if (await s.execute(fresh)).first() is None:
        return False
    q = dialect_insert(s, _COUNTS).values(workspace_id=workspace_id, person_id=person_id, week_start=week_start,
                                          count=1, source="crm", updated_at=now)
    await s.execute(q.on_conflict_do_update(index_elements=["person_id", "week_start", "source"],
                                            set_={"count": _COUNTS.c.count + 1, "updated_at": now}))
    return True


async def weekly_counts(s: AsyncSession, *, person_id: int, since: date) -> list[tuple[date, int, str]]:
    """A rep's counts from the week starting on or after `since`: (week_start, count, source), oldest first."""
    q = (select(OpportunityCount.week_start, OpportunityCount.count, OpportunityCount.source)
         .where(OpportunityCount.person_id == person_id, OpportunityCount.week_start >= since)
         .order_by(OpportunityCount.week_start, OpportunityCount.source))
    return [(w, c, src) for w, c, src in await s.execute(q)]


async def crm_reports_new_deals(s: AsyncSession, *, workspace_id: int) -> bool:
    """Whether the workspace's CRM reports every new deal (then nobody is asked the pulse question)."""
    row = await s.get(CrmSetting, workspace_id)
    return bool(row and row.reports_new_deals)


async def crm_reports_since(s: AsyncSession, *, workspace_id: int) -> datetime | None:
    """When the workspace last said its CRM reports every new deal; None while it doesn't."""
    row = await s.get(CrmSetting, workspace_id)
    return row.updated_at if row and row.reports_new_deals else None


async def set_crm_reports_new_deals(s: AsyncSession, *, workspace_id: int, on: bool, now: datetime) -> None:
    """Turn the workspace setting "the CRM reports new deals" on or off."""
    table = CrmSetting.__table__
    q = dialect_insert(s, table).values(workspace_id=workspace_id, reports_new_deals=on, updated_at=now)
    # Saying "on" again keeps the day it went on: the weeks since then count a week without a deal as 0.
    kept = case((table.c.reports_new_deals == on, table.c.updated_at), else_=now)
    await s.execute(q.on_conflict_do_update(index_elements=["workspace_id"],
                                            set_={"reports_new_deals": on, "updated_at": kept}))


async def reps_to_pulse(s: AsyncSession) -> list[Person]:
    """Everyone with a confirmed manager who hasn't opted out, in an installed workspace whose CRM
    doesn't report new deals: the people the weekly pulse asks."""
    crm = select(CrmSetting.workspace_id).where(CrmSetting.reports_new_deals.is_(True))
    q = select(Person).where(Person.manager_id.is_not(None), Person.opted_out.is_(False),
                             Person.workspace_id.in_(active_workspaces()), Person.workspace_id.not_in(crm))
    return list((await s.execute(q)).scalars())


async def installed_workspaces(s: AsyncSession) -> list[Workspace]:
    """The workspaces coachbot is installed in (a CRM deal's owner is looked for there)."""
    return list((await s.execute(select(Workspace).where(Workspace.id.in_(active_workspaces())))).scalars())


async def erase_person(s: AsyncSession, *, person_id: int) -> int:
    """Delete a person's weekly counts and the CRM deals counted for them; returns how many weeks went."""
    await s.execute(delete(CrmDealSeen).where(CrmDealSeen.person_id == person_id))
    return (await s.execute(delete(OpportunityCount).where(OpportunityCount.person_id == person_id))).rowcount or 0
