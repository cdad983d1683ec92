"""Who reports to whom (`team`, `team add|remove|accept|decline|set`) and why the team's deals were lost (`report`)."""
from __future__ import annotations

import uuid
from typing import Any, Callable

from bot.core import outbox
from bot.core.commands import Command, PersonRef
from bot.core.identity import Actor, person_for, person_named, zone_of
from bot.core.lines import Lines
from bot.core.runner import Context
from bot.core.views import ReportView, Team
from flows import report as report_maths
from flows.outputs import Say
from storage import lines, people, retros
from storage.models import Person


USAGE = ("Usage: /coach team · /coach team add @alex @jo · /coach team remove @alex · "
         "/coach team accept|decline [@manager] · /coach team set @manager @rep · /coach team sync (admins)")
SYNC_ELSEWHERE = ("/coach team sync reads the manager field of Slack profiles, so it works in Slack. Elsewhere, an "
                  "admin can confirm lines from your organisation's data with coachbot import-team FILE.csv.")


class TeamService:
    def __init__(self, ctx: Context, lines_: Lines | None = None, wake: Callable[[], None] | None = None):
        self.ctx = ctx
        self.lines = lines_ or Lines(ctx)
        self._wake = wake  # the dispatcher's wake-up, after a change queued messages for others
        self.db, self.cipher, self.clock = ctx.db, ctx.cipher, ctx.clock

    # ---- reports -----------------------------------------------------------------------------

    async def report(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`/coach report [30d|90d|quarter]`: loss reasons of the team, with trend, patterns and gaps."""
        spec = cmd.args[0].lower() if cmd.args else "30d"
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            p = report_maths.period(spec, now.astimezone(zone_of(me)).date())
            if p is None:
                return [Say(f"“{spec}” isn't a period I know. Usage: /coach report [30d|90d|quarter]", tone="error")]
            reps = await people.reps_of(s, manager=me)
            if reps:
                manager_id, own_team, team = me.id, True, reps
            elif me.manager_id:
                boss = await people.get_person(s, workspace_id=me.workspace_id, person_id=me.manager_id)
                manager_id, own_team, team = me.manager_id, False, await people.reps_of(s, manager=boss)
            else:
                return [Say("There's no team to report on yet: add your reps with /coach team add @alex @jo "
                            "(or ask your manager to add you).")]
            args = dict(workspace_id=me.workspace_id, manager_id=manager_id)
            current = await retros.reason_counts(s, **args, start=p.start, end=p.end)
            previous = await retros.reason_counts(s, **args, start=p.previous_start, end=p.previous_end)
            missing = await retros.missing_counts(s, **args, start=p.start, end=p.end)
        names = {r.id: r.name for r in team}
        return [ReportView(report_maths.build(p, current, previous, missing, names, own_team=own_team))]

    # ---- teams -------------------------------------------------------------------------------

    async def team(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`/coach team`, `team add|remove @a`, `team accept|decline [@manager]`, `team set @manager @rep`."""
        action = cmd.args[0].lower() if cmd.args else "list"
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            out = await self._act(s, me, action, cmd, now)
            # Whom a change tells (the rep, the manager, a previous manager) is queued with the change itself.
            out, queued = await outbox.keep(s, self.cipher, me, out, now, origin=f"team:{uuid.uuid4().hex}")
        if queued and self._wake is not None:
            self._wake()
        return out

    async def _act(self, s, me: Person, action: str, cmd: Command, now) -> list[Any]:
        """One `team` subcommand in the open session: what to show, and the notices for others."""
        if action == "list":
            return [await self._view(s, me, now)]
        if action in ("accept", "decline"):
            return await self.lines.by_name(s, me, cmd.people, action == "accept", now)
        if action == "sync":  # Slack's transport answers it before it gets here (bot/slack/org_chart.py)
            return [Say(SYNC_ELSEWHERE, tone="error")]
        if action == "set":
            if len(cmd.people) != 2:
                return [Say("Usage: /coach team set @manager @rep (workspace admins only)", tone="error")]
            manager, rep = [await person_named(s, me, ref, self.ctx.defaults) for ref in cmd.people]
            return await self.lines.admin_set(s, me, manager, rep, now)
        if action not in ("add", "remove") or not cmd.people:
            return [Say(USAGE, tone="error")]
        said, others = [], []
        for ref in cmd.people:
            text, notices = await self._team_change(s, me, ref, action, now)
            said.append(text)
            others += notices
        view = await self._view(s, me, now)
        return [Say("\n".join(said)), view, *others]

    async def _view(self, s, me: Person, now) -> Team:
        reps = await people.reps_of(s, manager=me)
        pending = await lines.invites_from(s, manager=me, now=now)
        boss = await people.get_person(s, workspace_id=me.workspace_id, person_id=me.manager_id) \
            if me.manager_id else None
        invited_by = tuple(m.name for _, m in await lines.invites_to(s, rep=me, now=now))
        return Team(me.name, tuple(r.name for r in reps), tuple(r.name for _, r in pending),
                    boss.name if boss else "", invited_by)

    async def _team_change(self, s, me: Person, ref: PersonRef, action: str, now) -> tuple[str, list[Any]]:
        rep = await person_named(s, me, ref, self.ctx.defaults)
        if rep.id == me.id:
            return "You can't be on your own team.", []
        if action == "add":
            return await self.lines.invite(s, me, rep, now), []
        return await self.lines.remove(s, me, rep, now)
