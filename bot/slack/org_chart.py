"""`/coach team sync`: reporting lines from the manager field of Slack profiles, for workspace admins.

A Slack workspace may define custom profile fields (team.profile.get); one of kind "user" labelled like
"Manager" or "Reports to" says whom each person reports to (users.profile.get: profile.fields[<field
id>].value, a user id). coachbot reads it for the people it has met in the workspace, a page at a time,
and confirms the lines by the same road as `coachbot import-team` (bot.core.org_lines): no cycles,
every change audited, the rep, the manager and a previous manager told through the outbox. Both methods
need the users.profile:read scope (docs.slack.dev/reference/scopes/users.profile.read).
"""
from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.identity import Actor
from bot.core.org_lines import Named, OrgLine, OrgLines, Outcome
from bot.core.runner import Context
from bot.core.service import CoachService
from bot.slack import scopes
from flows.outputs import Refused, Say

log = logging.getLogger("coachbot.slack")
MANAGER_LABEL = re.compile(r"\b(manager|reports?\s+to|supervisor|line\s+manager)\b", re.IGNORECASE)
PAGE = 100  # profiles read per run: users.profile.get is Tier 4 (100+ a minute), team.profile.get Tier 3
PARALLEL = 4  # profile reads at once
USAGE = "Usage: /coach team sync [number] — e.g. /coach team sync, then /coach team sync 101 for the next people"
NO_FIELD = ("I found no profile field for a manager in this workspace's Slack profiles: coachbot looks for a "
            "field of type “person” labelled like Manager or Reports to. A Slack admin can add one under "
            "Workspace settings → Profile fields; until then, set lines with /coach team set @manager @rep "
            "or coachbot import-team.")


class OrgChart:
    """Reads the manager field of Slack profiles and confirms the lines it names."""

    def __init__(self, service: CoachService, page: int = PAGE):
        self.service = service
        self.page = page
        self.org = OrgLines(Context(service.db, service.cipher, service.clock, service.defaults), "slack_profile")

    async def sync(self, client: AsyncWebClient, actor: Actor, args: tuple[str, ...]) -> list[Any]:
        """`/coach team sync [n]`: the manager field of up to a page of profiles, from the n-th person on."""
        start = _start(args)
        if start is None:
            return [Say(USAGE, tone="error")]
        roster = await self.org.roster(actor, start - 1, self.page)
        if isinstance(roster, Refused):
            return [roster]
        ids, total = roster
        try:
            field = await _manager_field(client)
        except SlackApiError as exc:
            return [_failed(exc, "read this workspace's profile fields")]
        if field is None:
            return [Say(NO_FIELD, tone="warning")]
        if not ids:
            return [Say(f"coachbot has met {total} people here, so there's nobody from number {start} on. "
                        f"Run /coach team sync to start from the first.")]
        profiles = await _read(client, ids)
        # Only a field naming one person is used, so only those managers are read: a field listing hundreds
        # of ids (anyone may edit their own profile) costs no profile reads beyond the page.
        named = (_values(p, field["id"]) for p in profiles.values() if isinstance(p, dict))
        wanted = {values[0] for values in named if len(values) == 1} - set(ids)
        everyone = profiles | await _read(client, sorted(wanted))  # names for managers met here first
        names = {uid: _name(p) for uid, p in everyone.items()}
        data, empty, said = [], 0, []
        for uid in ids:
            values = _values(profiles[uid], field["id"]) if isinstance(profiles[uid], dict) else []
            boss = everyone.get(values[0]) if len(values) == 1 else None
            if isinstance(profiles[uid], str):
                said.append(f"• {uid}: Slack didn't give their profile ({profiles[uid]})")
            elif not values:
                empty += 1
            elif len(values) > 1:
                said.append(f"• {names[uid] or uid}: the field names several people; coachbot needs one manager")
            elif isinstance(boss, str):
                said.append(f"• {names[uid] or uid}: Slack doesn't know their manager {values[0]} here ({boss})")
            else:
                data.append(OrgLine(Named(uid, names[uid]), Named(values[0], names[values[0]]), names[uid] or uid))
        done = await self.org.as_admin(actor, data)
        if isinstance(done, Refused):
            return [done]
        if done.queued:
            self.service.runner.wake()
        return [Say(_summary(field, done, empty, start, len(ids), total, said))]


async def _manager_field(client: AsyncWebClient) -> dict | None:
    fields = ((await client.team_profile_get()).get("profile") or {}).get("fields") or []
    found = [f for f in fields if isinstance(f, dict) and f.get("type") == "user"
             and MANAGER_LABEL.search(str(f.get("label") or "")) and f.get("id")]
    return min(found, key=lambda f: f.get("ordering") or 0) if found else None


async def _read(client: AsyncWebClient, ids: list[str]) -> dict[str, dict | str]:
    """Each user's profile, or the error code Slack answered for it."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(uid: str) -> dict | str:
        async with gate:
            try:
                return (await client.users_profile_get(user=uid)).get("profile") or {}
            except SlackApiError as exc:
                log.warning("users.profile.get failed: %s", _code(exc))
                return _code(exc)
    return dict(zip(ids, await asyncio.gather(*(one(uid) for uid in ids))))


def _values(profile: dict, field_id: str) -> list[str]:
    fields = profile.get("fields")
    entry = fields.get(field_id) if isinstance(fields, dict) else None  # Slack may send [] or null for none
    value = str((entry or {}).get("value") or "") if isinstance(entry, dict) else ""
    return [v.strip() for v in value.split(",") if v.strip()]


def _start(args: tuple[str, ...]) -> int | None:
    """Which person to start from (1: the first coachbot met), or None when the words aren't a number."""
    if not args:
        return 1
    return int(args[0]) if len(args) == 1 and args[0].isdigit() and 0 < int(args[0]) < 10**9 else None


def _name(profile: dict | str) -> str:
    """The name a profile shows ("" when Slack gave none: a raw id is never a name)."""
    if isinstance(profile, str):
        return ""
    return str(profile.get("display_name") or profile.get("real_name") or "")


def _failed(exc: SlackApiError, what: str) -> Say:
    scope = scopes.needed(exc)
    if scope:
        return Say(scopes.explain(scope), tone="warning")
    return Say(f"Slack wouldn't let me {what} ({_code(exc)}), so nothing changed. Please try again in a minute.",
               tone="error")


def _code(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return str(data.get("error", "unknown")) if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


def _summary(field: dict, done: Outcome, empty: int, start: int, read: int, total: int, said: list[str]) -> str:
    lines = [f"Read the “{field.get('label')}” field of {read} Slack profile(s) (people {start}–{start + read - 1} "
             f"of the {total} coachbot has met here): {done.changed} line(s) confirmed, {done.unchanged} already "
             f"so, {empty} with the field empty."]
    if done.met:
        lines.append(f"{done.met} of the managers named hadn't used coachbot yet: they were added.")
    if done.changed:
        lines.append("Everyone whose line changed is being told, and the change is in the audit log.")
    problems = said + [f"• {why}" for why in done.refused]
    if problems:
        lines.append("Not confirmed:\n" + "\n".join(problems))
    left = total - (start - 1) - read
    if left > 0:
        lines.append(f"{left} more people to read: run /coach team sync {start + read} to continue.")
    return "\n".join(lines)
