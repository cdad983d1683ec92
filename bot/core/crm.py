"""Deals as a CRM reports them: a lost one (handed to the transport that delivers the retrospective
prompt) and a new one (counted in its owner's week of new opportunities), and what taking one answered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Awaitable, Callable

from bot.core.identity import zone_of
from flows.cadence import week_start
from storage import opportunities, org_lines, retros


@dataclass(frozen=True)
class CrmDeal:
    """A lost deal as any CRM reports it."""

    id: str
    name: str
    owner_email: str
    amount: float | None = None
    stage: str | None = None
    close_date: date | None = None
    url: str | None = None
    workspace: str | None = None  # the chat workspace (Slack team id) when several are installed
    channel: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: dict[str, Any]


class Batch:
    """What the deals of one CRM request share: each owner's email is looked up once, and once the chat
    platform failed for one deal it isn't asked again for the next (the sender brings the request back)."""

    def __init__(self):
        self.owners: dict[tuple[str, str], Any] = {}  # (workspace, email): what the lookup found or answered
        self.unavailable: IntakeResult | None = None


Intake = Callable[[CrmDeal, str, Batch], Awaitable[IntakeResult]]


async def lost_deal_taken(db, *, platform: str, workspace: str, deal_id: str) -> int | None:
    """The retrospective already opened for a CRM's lost deal in the workspace, if any (None: not taken yet)."""
    async with db.session() as s:
        for ws in await org_lines.workspaces_named(s, external_id=workspace, platform=platform):
            retro = await retros.find_by_deal(s, workspace_id=ws.id, deal_key=f"crm:{deal_id}")
            if retro is not None:
                return retro.id
    return None


@dataclass(frozen=True)
class NewDeal:
    """A deal a CRM reports as created: it counts once in its owner's week of new opportunities."""

    key: str  # "crm:<deal id>" (HubSpot's: "crm:hubspot:<objectId>"), the same key a lost deal gets
    owner: str  # a platform user id, or an email coachbot knows
    created_at: datetime | None = None  # None: now
    workspace: str | None = None  # the chat workspace (Slack team id, Teams tenant id) when several are known


class NewDeals:
    """Counts new CRM deals in their owners' weeks: the owner is found among the people coachbot knows."""

    def __init__(self, db, clock):
        self.db = db
        self.clock = clock

    async def __call__(self, deal: NewDeal) -> IntakeResult:
        """Count the deal once, in the week (Monday, owner's zone) it was created; say what happened."""
        now = self.clock.now()
        async with self.db.session() as s:
            owner = await self._owner(s, deal)
            if isinstance(owner, str):
                return IntakeResult(422, {"ok": False, "error": owner})
            when = (deal.created_at or now).astimezone(zone_of(owner)).date()
            week = week_start(when)
            counted = await opportunities.add_crm_deal(s, workspace_id=owner.workspace_id, person_id=owner.id,
                                                       deal_key=deal.key, week_start=week, now=now)
        body = {"ok": True, "deal_id": deal.key.removeprefix("crm:"), "week": week.isoformat()}
        return IntakeResult(201, body) if counted else IntakeResult(200, {**body, "duplicate": True})

    async def _owner(self, s, deal: NewDeal):
        """The one person the deal's owner names, or why there isn't one."""
        installed = await opportunities.installed_workspaces(s)
        spaces = installed
        if deal.workspace:
            named = await org_lines.workspaces_named(s, external_id=deal.workspace)
            if not named:
                return f"coachbot doesn't know workspace {deal.workspace}"
            spaces = [w for w in named if w.id in {i.id for i in installed}]
            if not spaces:  # nothing is counted for a workspace that removed coachbot
                return f"coachbot isn't installed in workspace {deal.workspace} any more, so the deal wasn't counted"
        found = []
        for ws in spaces:
            if "@" in deal.owner:
                found += await org_lines.people_with_email(s, workspace_id=ws.id, email=deal.owner)
            elif (person := await org_lines.people_with_id(s, workspace_id=ws.id, user=deal.owner)) is not None:
                found.append(person)
        if not found:
            return (f"no one coachbot knows has the {'email' if '@' in deal.owner else 'user id'} {deal.owner}, "
                    "so the deal wasn't counted (people are known once they have used coachbot)")
        if len(found) > 1:
            return (f"{deal.owner} names {len(found)} people in different workspaces: say which workspace in "
                    "\"workspace\" (or ?team= for HubSpot)")
        return found[0]
