"""Check-ins: a rep tells their manager how the plan is going (`checkin`), or a manager notes that they
checked in with a rep (`checkin @rep`); "stuck" and "need a hand" reach the manager at once."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core import planner
from bot.core.commands import Command
from bot.core.identity import Actor, effective_tz, person_for, person_named
from bot.core.runner import Context, FlowRunner
from flows import checkin
from flows.outputs import Done, Notify, Refused, Say
from storage import checkins, people, sessions, talks
from storage.models import FlowSession, Person


class CheckIns:
    def __init__(self, ctx: Context, runner: FlowRunner):
        self.ctx = ctx
        self.runner = runner
        runner.on_finish(checkin.NAME, self.finish)

    async def checkin(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`checkin` as a rep (the check-in flow), `checkin @rep` as a manager (a note that you did)."""
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            if cmd.people:
                rep = await person_named(s, me, cmd.people[0], ctx.defaults)
                if rep.manager_id != me.id:
                    return [Refused(f"{rep.name} isn't on your team, so there is no check-in to record. "
                                    "Reps join your team when you hold a conversation with them.")]
                plan = next((p for p in await talks.open_plans(s, ctx.cipher, viewer=me) if p.rep_id == rep.id), None)
                await checkins.record_checkin(s, ctx.cipher, rep=rep, author=me, kind="manager", status=None,
                                              note=None, conversation_id=plan.conversation_id if plan else None, now=now)
                if plan:
                    await planner.answered_checkin(s, talk_id=plan.conversation_id, who="manager", now=now)
                return [Say(f"Noted: you checked in with {rep.name} today.", tone="success")]
            if me.manager_id is None:
                return [Say("Check-ins are how reps tell their manager how a plan is going, and you have no "
                            "manager here. To record that you checked in with one of your reps: "
                            "/coach checkin @alex", tone="error")]
            manager = await people.get_person(s, workspace_id=me.workspace_id, person_id=me.manager_id)
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id, flow=checkin.NAME)
            if row is not None:
                return list((await self.runner.resume(s, row, now, actor=actor))[1].outputs)
            params = {"manager": manager.name if manager else "your manager", "tz": effective_tz(me)}
            return await self.runner.start(s, me, checkin.NAME, params, manager.id if manager else None, now,
                                           actor=actor)

    async def finish(self, s, me: Person, row: FlowSession, done: Done, now: datetime) -> list[Any]:
        """A rep's finished check-in: stored on their open plan; "stuck" or "need a hand" alerts the manager."""
        ctx = self.ctx
        status, note = done.answers.get("status"), done.answers.get("note")
        plans = [p for p in await talks.open_plans(s, ctx.cipher, viewer=me) if p.rep_id == me.id]
        await checkins.record_checkin(s, ctx.cipher, rep=me, author=me, kind="rep", status=status, note=note,
                                      conversation_id=plans[0].conversation_id if plans else None, now=now)
        if plans:
            await planner.answered_checkin(s, talk_id=plans[0].conversation_id, who="rep", now=now)
        outputs: list[Any] = [done]
        manager = await people.get_person(s, workspace_id=me.workspace_id, person_id=me.manager_id) \
            if me.manager_id else None
        if status in checkin.NEEDS_MANAGER and manager is not None:
            label = checkin.LABELS[status].lower()
            text = f"{me.name} checked in: {label}." + (f"\n“{note}”" if note else "") + \
                "\nA quick word from you today would help."
            outputs.append(Notify(manager.id, manager.name, Say(text, tone="warning"), manager.platform_user_id))
            outputs.append(Say(f"Thanks — {manager.name} has been told you "
                               f"{'are stuck' if status == 'stuck' else 'could use a hand'}.", tone="success"))
        else:
            outputs.append(Say("Thanks — noted.", tone="success"))
        return outputs
