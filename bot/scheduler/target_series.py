"""A plan's weekly target against the rep's weekly new-opportunity counts since the talk, as text lines
for the rep's check-ins and the review pack (every transport shows them; the numbers are always written)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from flows import prospecting
from flows.cadence import week_start
from storage import opportunities
from storage.models import Conversation


async def series(s: AsyncSession, talk: Conversation, today: date) -> tuple[str, ...]:
    """The weeks since the talk against its target (nothing when the plan set no target)."""
    if not talk.weekly_target:
        return ()
    first = week_start(talk.created_at.date())
    counts = await opportunities.weekly_counts(s, person_id=talk.rep_id, since=first)
    weeks = list(prospecting.weeks_since(counts, first, today))
    if weeks and weeks[-1].count is None and weeks[-1].start == week_start(today):
        weeks.pop()  # this week is still running: no answer yet is not a missed week
    if not weeks:
        return (f"Weekly target: {prospecting.target_text(talk.weekly_target)}. No full week to show yet.",)
    return prospecting.series_lines(weeks, talk.weekly_target)
