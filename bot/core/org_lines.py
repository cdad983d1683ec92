"""Reporting lines from the organisation's own data — a CSV file (`coachbot import-team`) or the manager
field of Slack profiles (`/coach team sync`) — confirmed by one road.

A line names a rep and a manager by platform user id, or by an email coachbot already knows. Someone
named by id whom coachbot hasn't met yet is met here, the way anyone is (bot.core.identity), and keeps
the name the data gives until the platform says who they are. An email coachbot doesn't know is
refused: it can't tell who that is on the platform. A line that would close a cycle is refused. Every
change is audited (storage.lines) and its people — the rep, the manager, a previous manager — are told
through the outbox in the same transaction (bot.core.outbox), so a crash loses nothing and a retry
tells nobody twice.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.identity import Actor, NewPerson, person_for
from bot.core.lines import Lines
from bot.core.outbox import keep
from bot.core.runner import Clock, Context
from bot.ops.import_team import ImportRefused, Row, read_rows
from bot.ops.settings import Settings
from flows.outputs import Refused
from storage import lines, org_lines
from storage.privacy import ERASED_PREFIX
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import Person, Workspace

log = logging.getLogger("coachbot.lines")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")  # docs.slack.dev/reference/objects/user-object: U… or W…
ONLY_ADMINS = ("Only a workspace admin can set reporting lines from your organisation's data. "
               "Ask a Slack admin or owner to run /coach team sync.")


@dataclass(frozen=True)
class Named:
    """Someone the organisation's data names: a user id or an email, and the name it gives, if any."""

    ref: str
    name: str = ""


@dataclass(frozen=True)
class OrgLine:
    """One line of the data: `rep` reports to `manager`; `where` starts the reason when it is refused."""

    rep: Named
    manager: Named
    where: str


@dataclass
class Outcome:
    """What a run did: lines changed, lines already so, people met, messages queued, and refusals."""

    changed: int = 0
    unchanged: int = 0
    met: int = 0
    queued: int = 0
    refused: list[str] = field(default_factory=list)


class OrgLines:
    """Confirms lines from the organisation's data; `how` is what the audit log calls the source."""

    def __init__(self, ctx: Context, how: str):
        self.ctx = ctx
        self.how = how
        self.lines = Lines(ctx)

    async def as_admin(self, actor: Actor, data: list[OrgLine]) -> Outcome | Refused:
        """Confirm `data` in the actor's workspace, if the actor is one of its admins; each line that
        can't be confirmed is refused on its own and the others go ahead."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            if not me.is_admin:
                return Refused(ONLY_ADMINS)
            ws = await s.get(Workspace, me.workspace_id)
            outcome, seen = Outcome(), {}
            for line in data:
                why = await self.apply(s, ws, line, now, outcome, seen)
                if why:
                    outcome.refused.append(f"{line.where}: {why}")
        # The audit rows name no one (the data set the lines); who ran the sync is in this log line.
        log.info("reporting lines from %s workspace=%s by=%s changed=%s refused=%s", self.how, me.workspace_id,
                 me.id, outcome.changed, len(outcome.refused))
        return outcome

    async def roster(self, actor: Actor, start: int, limit: int) -> tuple[list[str], int] | Refused:
        """The user ids of the actor's workspace, from the `start`-th person coachbot met (0-based), at most
        `limit`, and how many it has met there in all; Refused unless the actor is one of its admins."""
        async with self.ctx.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            if not me.is_admin:
                return Refused(ONLY_ADMINS)
            return await org_lines.people_page(s, workspace_id=me.workspace_id, offset=start, limit=limit)

    async def apply(self, s, ws: Workspace, line: OrgLine, now: datetime, outcome: Outcome,
                    seen: dict[int, tuple[int, str]]) -> str | None:
        """Confirm one line in the open transaction `s`; why not, or None when it is done (or already so).

        `seen` holds the reps earlier lines of the same run named (rep id -> manager id, where), so one
        rep given two managers is refused rather than silently moved twice."""
        rep = await self.person(s, ws, line.rep, "rep", outcome)
        manager = await self.person(s, ws, line.manager, "manager", outcome)
        for found in (rep, manager):
            if isinstance(found, str):
                return found
        if rep.id == manager.id:
            return f"“{line.rep.ref}” can't be their own manager"
        earlier = seen.get(rep.id)
        if earlier is not None and earlier[0] != manager.id:
            return f"“{line.rep.ref}” already has a different manager in {earlier[1]}"
        seen[rep.id] = (manager.id, line.where)
        if rep.manager_id == manager.id:
            outcome.unchanged += 1
            return None
        if await lines.manages(s, boss=rep, person=manager):
            return (f"“{line.manager.ref}” reports to “{line.rep.ref}” (directly or further up), so this would "
                    f"make a cycle")
        told = await self.lines.confirm(s, rep, manager, None, self.how, now)
        if told and isinstance(told[0], Refused):
            return told[0].reason
        origin = f"org:{self.how}:{rep.id}:{manager.id}:{now.timestamp():.6f}"
        _, queued = await keep(s, self.ctx.cipher, rep, told, now, origin=origin)
        outcome.changed += 1
        outcome.queued += queued
        return None

    async def person(self, s, ws: Workspace, who: Named, role: str, outcome: Outcome) -> Person | str:
        """The person a line names in `ws`: known by user id or email, or met now by user id."""
        if EMAIL.match(who.ref):
            found = await org_lines.people_with_email(s, workspace_id=ws.id, email=who.ref)
            if len(found) == 1:
                return found[0]
            if found:
                return f"the {role} “{who.ref}” matches several people; use their user id"
            return (f"the {role} “{who.ref}” isn't an email coachbot knows in that workspace, so it can't tell who "
                    f"that is there; use their {_platform(ws)} user id instead")
        if who.ref.startswith(ERASED_PREFIX):
            return f"the {role} “{who.ref}” is what is left of someone whose data was erased; they can't be in a line"
        known = await org_lines.people_with_id(s, workspace_id=ws.id, user=who.ref)
        if known is not None:
            return known
        if ws.platform == "slack" and not SLACK_USER.match(who.ref):
            return (f"the {role} “{who.ref}” is neither a Slack user id (like U0123ABCD) nor an email coachbot "
                    f"knows")
        outcome.met += 1
        return await person_for(s, Actor(ws.platform, ws.external_id, who.ref, who.name), self.ctx.defaults)


def _platform(ws: Workspace) -> str:
    return {"slack": "Slack", "teams": "Teams"}.get(ws.platform, "platform")



class _Rollback(Exception):
    pass


async def import_file(db: Database, cipher: NotesCipher, clock: Clock, settings: Settings, text: str) -> Outcome:
    """`coachbot import-team`: every row of the CSV text confirmed, or none (ImportRefused names each
    bad row by its line number); people met here start with the settings' zone, hours and days."""
    rows, problems = read_rows(text)
    return await import_rows(Context(db, cipher, clock, NewPerson.from_settings(settings)), rows, problems)


async def import_rows(ctx: Context, rows: list[Row], problems: list[tuple[int, str]]) -> Outcome:
    """Every row confirmed, or none: ImportRefused with the problems of the rows, `problems` included."""
    org, outcome, found = OrgLines(ctx, "import"), Outcome(), list(problems)
    now = ctx.clock.now()
    try:
        async with ctx.db.session() as s:
            places: dict[tuple[str, str], Workspace | str] = {}
            seen: dict[int, tuple[int, str]] = {}
            for row in rows:
                key = (row.workspace, row.platform)
                if key not in places:
                    places[key] = await _workspace(s, row.workspace, row.platform)
                ws = places[key]
                why = ws if isinstance(ws, str) else await org.apply(
                    s, ws, OrgLine(Named(row.rep, row.rep_name), Named(row.manager, row.manager_name),
                                   f"line {row.number}"), now, outcome, seen)
                if why:
                    found.append((row.number, why))
            if found:
                raise _Rollback()
    except _Rollback:
        raise ImportRefused([f"line {n}: {why}" for n, why in sorted(found, key=lambda p: p[0])]) from None
    return outcome


async def _workspace(s, ident: str, platform: str) -> Workspace | str:
    found = await org_lines.workspaces_named(s, external_id=ident, platform=platform)
    if len(found) == 1:
        return found[0]
    if not found:
        return f"no workspace “{ident}”{' on ' + platform if platform else ''} has used coachbot"
    return f"workspace “{ident}” exists on several platforms; add a platform column"


def summary(done: Outcome) -> str:
    """What an import did, for the person who ran it."""
    said = [f"Imported: {done.changed} reporting line(s) confirmed, {done.unchanged} already so."]
    if done.met:
        said.append(f"{done.met} people in the file hadn't used coachbot yet: they were added, and their names "
                    f"fill in when they first do.")
    if done.queued:
        said.append(f"{done.queued} message(s) queued to tell the people concerned; a running `coachbot serve` "
                    f"delivers them.")
    return "\n".join(said)
