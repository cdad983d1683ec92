"""The message budget in the tick: one scheduled message per person per half-day, their due nudges merged.

Someone's own doing (a "stuck" alert, a shared plan: kinds in cadence.ANY_TIME) and channel posts are
never merged or held. The rules themselves (half-days, the next slot, how many fit) are in flows/budget.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from bot.core.planner import schedule_of
from bot.core.views import NudgeMessage
from flows import budget as rules, cadence
from storage import nudges
from storage.models import Nudge, Person, Workspace


@dataclass(frozen=True)
class Ready:
    """What goes out as one message: one nudge, or a person's scheduled nudges of one half-day merged."""

    nudges: list[Nudge]
    recipient: Person
    workspace: Workspace
    messages: list[NudgeMessage]
    later: int = 0  # items of the same half-day that did not fit and were moved to the next message
    budgeted: bool = False  # counts against the person's message budget


async def pull_in(s, claimed: list[Nudge], people: dict, spaces: dict, now: datetime, *, owner: str,
                  lease: timedelta) -> list[Nudge]:
    """For each person with a scheduled nudge due now, claim their other scheduled nudges due before the
    end of their half-day (their day, if they asked for fewer messages), to go out in one message."""
    extra: list[Nudge] = []
    for rid in sorted({n.recipient_id for n in claimed if n.kind not in cadence.ANY_TIME}):
        person = people.get(rid)
        space = spaces.get(person.workspace_id) if person is not None else None
        if person is None or space is None:
            continue
        _, end = rules.budget_window(now, schedule_of(person, space), person.fewer_messages)
        extra += await nudges.claim_due_before(s, recipient_id=rid, before=end, owner=owner, now=now, lease=lease,
                                               exclude_kinds=cadence.ANY_TIME, limit=rules.MAX_ITEMS * 2)
    return extra


async def group(s, singles: list[tuple[Nudge, Person, Workspace, NudgeMessage]], now: datetime, *, on: bool,
                alone: Callable[[Nudge], bool]) -> tuple[list[Ready], list[tuple[Nudge, datetime, str]]]:
    """Each person's scheduled nudges as one message for this half-day, and what the budget holds back
    (nudge, when instead, why). With the budget off, or for a nudge that goes `alone`, one message each."""
    ready: list[Ready] = []
    held: list[tuple[Nudge, datetime, str]] = []
    groups: dict[int, list[tuple[Nudge, Person, Workspace, NudgeMessage]]] = {}
    for item in singles:
        n = item[0]
        if not on or n.kind in cadence.ANY_TIME or alone(n):
            ready.append(Ready([n], item[1], item[2], [item[3]]))
        else:
            groups.setdefault(n.recipient_id, []).append(item)
    for items in groups.values():
        items.sort(key=lambda i: (i[0].due_at, i[0].id))
        person, space = items[0][1], items[0][2]
        schedule = schedule_of(person, space)
        start, end = rules.budget_window(now, schedule, person.fewer_messages)
        already = await nudges.sent_between(s, recipient_id=person.id, start=start, end=end,
                                            exclude_kinds=cadence.ANY_TIME)
        plan = rules.plan_budget([i[0].id for i in items], already_sent=already > 0, fewer=person.fewer_messages)
        by_id = {i[0].id: i for i in items}
        for nid in plan.later:
            n = by_id[nid][0]
            held.append((n, rules.next_slot(now, schedule, n.dedupe_key, person.fewer_messages), plan.reason))
        if plan.now:
            chosen = [by_id[nid] for nid in plan.now]
            ready.append(Ready([i[0] for i in chosen], person, space, [i[3] for i in chosen],
                               later=len(plan.later), budgeted=True))
    return ready, held


def held_after_retry(recipient: Person, workspace: Workspace, left: list[Nudge],
                     now: datetime) -> list[tuple[Nudge, datetime, str]]:
    """Items of a merged message whose other items were found already delivered: that was this half-day's
    message, so these wait for the next one."""
    schedule = schedule_of(recipient, workspace)
    return [(n, rules.next_slot(now, schedule, n.dedupe_key, recipient.fewer_messages), rules.REASON) for n in left]
