"""A plan's weekly target against the rep's weekly new-opportunity counts since the talk, as text lines
for the rep's check-ins and the review pack (every transport shows them; the numbers are always written)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from flows import prospecting
from flows.cadence import week_start
from flows.prospecting import Week
from storage import opportunities, rep_facts
from storage.models import Conversation, Person


async def weeks(s: AsyncSession, talk: Conversation, today: date) -> tuple[Week, ...]:
    """The rep's full weeks since the talk, each with its count or None (this week only once answered); 0 for
    a week without a deal once the CRM reports every new deal."""
    first = week_start(talk.created_at.date())
    counts = await opportunities.weekly_counts(s, person_id=talk.rep_id, since=first)
    rep = await s.get(Person, talk.rep_id)
    since = await rep_facts.confirmed_since(s, rep=rep, manager_id=talk.manager_id) if rep else None
    crm_from = await rep_facts.crm_weeks_from(s, rep=rep, since=since) if rep else None
    shown = list(prospecting.weeks_since(counts, first, today, crm_from=crm_from))
    if shown and shown[-1].count is None and shown[-1].start == week_start(today):
        shown.pop()  # this week is still running: no answer yet is not a missed week
    return tuple(shown)


def lines(shown: tuple[Week, ...], target: int) -> tuple[str, ...]:
    """The weeks against the target as text lines."""
    if not shown:
        return (f"Weekly target: {prospecting.target_text(target)}. No full week to show yet.",)
    return prospecting.series_lines(shown, target)


async def series(s: AsyncSession, talk: Conversation, today: date) -> tuple[str, ...]:
    """The weeks since the talk against its target (nothing when the plan set no target)."""
    if not talk.weekly_target:
        return ()
    return lines(await weeks(s, talk, today), talk.weekly_target)
