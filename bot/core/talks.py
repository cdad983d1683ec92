"""Difficult conversations: `talk @rep` starts or resumes one, a finished one becomes a stored plan with
its check-ins planned, `plans` shows the open ones, `close @rep` ends one."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core import planner
from bot.core.commands import Command, usage_line
from bot.core.identity import Actor, effective_tz, person_for, person_named
from bot.core.lines import Lines
from bot.core.runner import Context, FlowRunner
from bot.core.signals import thresholds_for, with_target
from bot.core.views import Plans
from flows import brief
from flows import prospecting
from flows.dates import format_day
from flows.signals import describe, flags
from flows.outputs import Done, Notify, Refused, Say
from flows.talk import NAME as TALK, plan_lines
from flows.subjects import subject
from storage import lines, nudges, people, rep_facts, retros, sessions, signal_flags, talks
from storage.last_plan import last_plan
from storage.models import FlowSession, Person


LATER_BRIEF = ("Once {rep} accepts, a talk with them opens with what coachbot has on record about their recent "
               "weeks: their numbers, lost deals, check-in answers and your last plan together.")
PRIVATE = ("{rep} hasn't confirmed they report to you, so this conversation stays your private notes: "
           "nothing is shared with {rep} and no check-ins go to them until they accept.")


class Talks:
    def __init__(self, ctx: Context, runner: FlowRunner, lines_: Lines | None = None):
        self.ctx = ctx
        self.lines = lines_ or Lines(ctx)
        self.runner = runner
        runner.on_finish(TALK, self.finish)

    async def talk(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`talk @rep`: start (or pick up) a difficult conversation with one of your reps."""
        if len(cmd.people) != 1:
            why = "Name the rep you want to talk to." if not cmd.people else "Name just one rep."
            return [Say(f"{why} {usage_line('talk')}", tone="error")]
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            rep = await person_named(s, me, cmd.people[0], ctx.defaults)
            if rep.id == me.id:
                return [Say("That's you — a difficult conversation needs a rep on the other side. "
                            + usage_line("talk"), tone="error")]
            notes: list[Any] = []
            invited = any(i.rep_id == rep.id for i, _ in await lines.invites_from(s, manager=me, now=now))
            if rep.manager_id is not None and rep.manager_id != me.id and not invited:
                boss = await people.get_person(s, workspace_id=me.workspace_id, person_id=rep.manager_id)
                return [Refused(f"{rep.name} reports to {boss.name if boss else 'another manager'}, so only they can "
                                f"hold this conversation. If {rep.name} has moved to your team, invite them with "
                                f"/coach team add and they can accept.")]
            if rep.manager_id != me.id:
                why = await self.lines.cycle(s, rep, me)
                if why:
                    return [Refused(why)]
                if not invited:
                    await self.lines.invite(s, me, rep, now)
                    notes.append(Say(f"I've asked {rep.name} to confirm they report to you."))
                notes.append(Say(PRIVATE.format(rep=rep.name)))
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id, flow=TALK,
                                                subject_id=rep.id)
            if row is not None:
                _, turn = await self.runner.resume(s, row, now, actor=actor)
                return notes + [Say(f"Picking up your unfinished conversation with {rep.name}.")] + list(turn.outputs)
            params = {"rep": rep.name, "rep_id": rep.id, "manager": me.name, "manager_id": me.id,
                      "tz": effective_tz(me)}
            if rep.manager_id == me.id:
                # The rep's records go only to their confirmed manager, and only into the encrypted flow state.
                params["brief"] = await self.brief(s, me, rep, now, params)
            else:
                notes.append(Say(LATER_BRIEF.format(rep=rep.name)))
            return notes + await self.runner.start(s, me, TALK, params, rep.id, now, actor=actor)

    async def brief(self, s, me: Person, rep: Person, now: datetime,
                    params: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the records say about `rep`'s recent weeks, for their confirmed manager `me` (flow params);
        the opportunity facts that decide the prospecting focus go into `params` too."""
        tz = rep_facts.zone(rep)
        today = now.astimezone(tz).date()
        # The window the signals read (it holds the brief's weeks): a flag is matched to today's facts by its key.
        facts = await rep_facts.rep_facts(s, rep=rep, manager_id=me.id, today=today, cipher=self.ctx.cipher)
        plan = await last_plan(s, self.ctx.cipher, manager=me, rep=rep, tz=tz)
        prepared = {f.key for f in await signal_flags.prepared_for(s, manager_id=me.id, rep_id=rep.id)}
        th = await with_target(s, await thresholds_for(s, workspace_id=rep.workspace_id), rep, me.id)
        raised = flags(facts, th, today, known=prepared)  # a prepared flag keeps its key if it reaches back further
        why = tuple(describe(f, rep.name) for f in raised if f.key in prepared)
        found = brief.build_brief(facts, plan, rep.name, today)
        if params is not None:
            params["opportunities"] = prospecting.facts_param(
                (f.kind for f in raised if f.key in prepared), (f.kind for f in raised),
                (w.count for w in found.weeks), th.min_weekly_opportunities)
        return brief.to_params(found, brief.own_part_sections(facts, today, plan, rep.name), why)

    async def plans(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`plans`: the open plans the actor leads or is on, and the things they said they would check."""
        ctx = self.ctx
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            found = await talks.open_plans(s, ctx.cipher, viewer=me)
            followups = await retros.open_followups(s, ctx.cipher, person=me)
            return [Plans(me.id, tuple(found), ctx.clock.now().date(), tuple(followups))]

    async def close(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`close @rep`: close the open plan with that rep (its check-ins and reminders stop)."""
        if len(cmd.people) != 1:
            return [Say(f"Name the rep whose plan to close. {usage_line('close')}", tone="error")]
        ctx = self.ctx
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            rep = await person_named(s, me, cmd.people[0], ctx.defaults)
            open_ = [p for p in await talks.open_plans(s, ctx.cipher, viewer=me)
                     if p.manager_id == me.id and p.rep_id == rep.id]
            if not open_:
                return [Say(f"You have no open plan with {rep.name}.", tone="error")]
            for plan in open_:
                await self.close_plan(s, me, plan.conversation_id)
        return [Say(f"Closed the plan with {rep.name}; its check-ins and reminders are off.", tone="success")]

    async def close_plan(self, s, me: Person, talk_id: int) -> bool:
        """Close one of the manager's plans and cancel everything scheduled for it."""
        closed = await talks.close(s, manager=me, conversation_id=talk_id, now=self.ctx.clock.now())
        if closed:
            await nudges.cancel_pending(s, subject=subject("talk", talk_id), reason="plan closed")
            for item_id in closed:
                await nudges.cancel_pending(s, subject=subject("item", item_id), reason="plan closed")
        return closed is not None

    async def finish(self, s, me: Person, row: FlowSession, done: Done, now: datetime) -> list[Any]:
        """A finished talk: store the plan, plan its check-ins, and share it with the rep if asked."""
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=row.subject_id)
        if rep is None:
            return [Say("The person this conversation was about is no longer here, so it could not be stored.",
                        tone="error")]
        confirmed = rep.manager_id == me.id  # else the talk is the manager's private notes
        answers = done.answers if confirmed else {**done.answers, "share": False}
        talk = await talks.record_conversation(
            s, self.ctx.cipher, workspace_id=me.workspace_id, manager=me, rep=rep, answers=answers,
            flow_session_id=row.id, now=now,
        )
        await planner.plan_talk(s, talk_id=talk.id, manager=me, rep=rep, review=talk.review_on, now=now,
                                rep_too=confirmed)
        outputs: list[Any] = [replace(done, record_id=talk.id),
                              Say(f"Saved. The plan with {rep.name} is stored; review on "
                                  f"{format_day(talk.review_on)}. See it any time with /coach plans.", tone="success")]
        if not confirmed:
            outputs.append(Say(PRIVATE.format(rep=rep.name)))
        elif answers.get("share"):
            agreed = plan_lines(done.answers.get("plan") or [], rep.name, me.name)
            target = prospecting.target_of(done.answers.get("plan") or [])
            agreed += (f"Weekly target: {prospecting.target_text(target)}",) if target else ()
            text = (f"{me.name} shared the plan you agreed together:\n" + "\n".join(f"• {line}" for line in agreed)
                    + f"\nYou'll review it together on {format_day(talk.review_on)}.")
            # The plan carries the manager's words and what the rep said in the talk.
            outputs.append(Notify(rep.id, rep.name, Say(text), rep.platform_user_id, about=(rep.id,)))
        return outputs
