"""Who reports to whom (`team`, `team add @a`, `team remove @a`) and why the team's deals were lost (`report`)."""
from __future__ import annotations

from typing import Any

from bot.core.commands import Command, PersonRef
from bot.core.identity import Actor, person_for, person_named, zone_of
from bot.core.runner import Context
from bot.core.views import ReportView, Team
from flows import report as report_maths
from flows.outputs import Say
from storage import people, retros
from storage.models import Person


class TeamService:
    def __init__(self, ctx: Context):
        self.ctx = ctx
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
        """`/coach team`, `/coach team add @a @b`, `/coach team remove @a`."""
        action = cmd.args[0].lower() if cmd.args else "list"
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            if action == "list":
                reps = await people.reps_of(s, manager=me)
                return [Team(me.name, tuple(r.name for r in reps))]
            if action not in ("add", "remove") or not cmd.people:
                return [Say("Usage: /coach team · /coach team add @alex @jo · /coach team remove @alex", tone="error")]
            lines = []
            for ref in cmd.people:
                lines.append(await self._team_change(s, me, ref, action))
            reps = await people.reps_of(s, manager=me)
        return [Say("\n".join(lines)), Team(me.name, tuple(r.name for r in reps))]

    async def _team_change(self, s, me: Person, ref: PersonRef, action: str) -> str:
        rep = await person_named(s, me, ref, self.ctx.defaults)
        if rep.id == me.id:
            return "You can't be on your own team."
        if action == "add":
            if rep.manager_id == me.id:
                return f"{rep.name} is already on your team."
            if rep.manager_id is not None:
                boss = await people.get_person(s, workspace_id=me.workspace_id, person_id=rep.manager_id)
                return (f"{rep.name} is on {boss.name if boss else 'another'}'s team; they need to remove "
                        f"{rep.name} first.")
            await people.set_manager(s, rep=rep, manager=me)
            return f"Added {rep.name}."
        if rep.manager_id != me.id:
            return f"{rep.name} isn't on your team."
        rep.manager_id = None
        s.add(rep)
        return f"Removed {rep.name}. Their past plans and retrospectives stay with you as history."


