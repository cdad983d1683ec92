"""The coach service: owns one turn — load the flow session, call the engine, save, return outputs.

Every transport (console, Slack, Teams, webhooks) goes through this object, so behaviour is the
same everywhere. It never renders anything; it returns neutral outputs.
"""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from bot.ops import observe
from bot.core import planner
from bot.core.account import AccountService
from bot.core.nudge_actions import NudgeActions
from bot.core.retros import RetroService
from bot.core.step_cache import StepCache, owner_of
from bot.scheduler.waiting import WaitingMessages
from bot.core.commands import Command, help_text, usage_line
from bot.core.identity import Actor, NewPerson, effective_tz, person_for, person_named
from bot.core.views import Plans
from flows import checkin, engine
from flows.dates import format_day
from flows.engine import Action, Answer, FlowState, Turn
from flows.outputs import Done, Notify, Prompt, Refused, Say
from flows.registry import get_flow
from flows.talk import NAME as TALK, plan_lines
from storage import checkins, nudges, people, retros, sessions, talks
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import FlowSession, Person
from storage.nudges import NewNudge

__all__ = ["Actor", "CoachService", "Plans"]

STEP_RACED = Refused("This step was just answered somewhere else (another window or a double click). "
                     "Here is where you are now.")


class Clock(Protocol):
    def now(self) -> datetime: ...


class CoachService:
    def __init__(self, db: Database, cipher: NotesCipher, clock: Clock, *, defaults: NewPerson | None = None):
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.defaults = defaults or NewPerson()
        self.account = AccountService(db, cipher, clock, defaults=self.defaults)
        self.retros = RetroService(self)
        self.actions = NudgeActions(self)
        self.waiting = WaitingMessages(db, cipher, clock, self.defaults)
        self.steps = StepCache()

    async def identify(self, actor: Actor) -> Person:
        """The stored person for an actor (created on first contact)."""
        async with self.db.session() as s:
            return await person_for(s, actor, self.defaults)

    async def command(self, actor: Actor, cmd: Command, *, channel: str | None = None) -> list[Any]:
        """Run one `/coach` subcommand (`channel`: where it was typed, for posts like a loss prompt)."""
        if cmd.name == "lost":
            return await self.retros.lost(actor, cmd, channel)
        handler = {
            "help": self._help,
            "talk": self._talk,
            "plans": self._plans,
            "cancel": self._cancel_cmd,
            "checkin": self._checkin,
            "settings": self.account.settings_command,
            "pause": self.account.pause,
            "resume": self.account.resume,
            "retro": self.retros.retro_command,
            "team": self.retros.team,
            "report": self.retros.report,
            "close": self._close,
        }.get(cmd.name)
        if handler is None:
            return [Say(f"I don't know “{cmd.name}”.\n\n" + help_text(), tone="error")]
        return await handler(actor, cmd)

    async def answer(self, actor: Actor, answer: Answer, session_id: str | None = None) -> list[Any]:
        """Apply an answer (or back/keep/cancel) to the actor's session, or their current one."""
        now = self.clock.now()
        if session_id is not None:
            quick = await self._answer_in_place(actor, answer, session_id, now)
            if quick is not None:
                return quick
        async with self.db.session() as s:
            if session_id is not None:
                owned = await sessions.owned_session(s, session_id=session_id, platform=actor.platform,
                                                     workspace=actor.workspace, user=actor.user)
                if owned is None:
                    return [Refused("That conversation doesn't exist or isn't yours, so nothing was changed.")]
                row, me = owned
            else:
                me = await person_for(s, actor, self.defaults)
                row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id)
                if row is None:
                    return [Say("You're not in a conversation right now. Type /coach talk @name to start one, "
                                "or /coach help to see what I can do.")]
            return await self._advance(s, me, row, answer, now)

    async def queue_message(self, actor: Actor, text: str) -> None:
        """Keep a message that could not be delivered now; the scheduler retries it with back-off.

        The text can hold personnel notes, so it is stored encrypted like them.
        """
        now = self.clock.now()
        async with self.db.session() as s:
            person = await person_for(s, actor, self.defaults)
            await nudges.schedule(s, [NewNudge(person.workspace_id, person.id, "message", f"person:{person.id}",
                                               f"message:{uuid.uuid4().hex}", now, {"enc": self.cipher.encrypt(text)})],
                                  now=now)

    async def stop_nudges(self, platform: str, workspace: str, reason: str) -> int:
        """The app was removed from a workspace: its scheduled nudges fail with `reason`, and none are
        planned or sent there until it is back (`workspace_back`)."""
        async with self.db.session() as s:
            return await nudges.stop_for_workspace(s, platform=platform, external_id=workspace, reason=reason,
                                                   now=self.clock.now())

    async def workspace_back(self, platform: str, workspace: str) -> None:
        """The app is installed in a workspace (again): plan and send there as before."""
        async with self.db.session() as s:
            await nudges.workspace_back(s, platform=platform, external_id=workspace)

    async def current_prompt(self, actor: Actor) -> list[Any]:
        """The prompt of the actor's most recent unfinished flow, if any (used when someone returns)."""
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id)
            if row is None:
                return []
            state, turn = await self.resume_row(s, row, now, actor=actor)
            who = state.params.get("rep") if row.flow == TALK else None
            what = f"conversation with {who}" if who else f"{get_flow(row.flow).title.lower()}"
            return [Say(f"You have an unfinished {what} (saved {format_day(row.updated_at.date())}). "
                        "Picking up where you left off:"), *turn.outputs]

    async def resume_session(self, actor: Actor, session_id: str) -> list[Any]:
        """Show the current step of one of the actor's sessions (e.g. from a home-tab button)."""
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            row = await sessions.get_session(s, session_id=session_id, workspace_id=me.workspace_id, user_id=me.id)
            if row is None:
                return [Refused("That conversation doesn't exist or isn't yours.")]
            return list((await self.resume_row(s, row, now, actor=actor))[1].outputs)

    # ---- subcommands -------------------------------------------------------------------------

    async def _help(self, actor: Actor, cmd: Command) -> list[Any]:
        return [Say(help_text())]

    async def _talk(self, actor: Actor, cmd: Command) -> list[Any]:
        if len(cmd.people) != 1:
            why = "Name the rep you want to talk to." if not cmd.people else "Name just one rep."
            return [Say(f"{why} {usage_line('talk')}", tone="error")]
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            rep = await person_named(s, me, cmd.people[0], self.defaults)
            if rep.id == me.id:
                return [Say("That's you — a difficult conversation needs a rep on the other side. "
                            + usage_line("talk"), tone="error")]
            notes: list[Any] = []
            if rep.manager_id is not None and rep.manager_id != me.id:
                boss = await people.get_person(s, workspace_id=me.workspace_id, person_id=rep.manager_id)
                return [Refused(f"{rep.name} reports to {boss.name if boss else 'another manager'}, so only they can "
                                f"hold this conversation. If {rep.name} has moved to your team, ask them to hand over.")]
            if rep.manager_id is None:
                await people.set_manager(s, rep=rep, manager=me)
                notes.append(Say(f"{rep.name} is now on your team.", tone="success"))
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id, flow=TALK,
                                                subject_id=rep.id)
            if row is not None:
                _, turn = await self.resume_row(s, row, now, actor=actor)
                return notes + [Say(f"Picking up your unfinished conversation with {rep.name}.")] + list(turn.outputs)
            params = {"rep": rep.name, "rep_id": rep.id, "manager": me.name, "manager_id": me.id,
                      "tz": effective_tz(me)}
            return notes + await self.start_flow(s, me, TALK, params, rep.id, now, actor=actor)

    async def _plans(self, actor: Actor, cmd: Command) -> list[Any]:
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            plans = await talks.open_plans(s, self.cipher, viewer=me)
            followups = await retros.open_followups(s, self.cipher, person=me)
            return [Plans(me.id, tuple(plans), now.date(), tuple(followups))]

    async def _close(self, actor: Actor, cmd: Command) -> list[Any]:
        """`/coach close @rep`: close the open plan with that rep (its check-ins and reminders stop)."""
        if len(cmd.people) != 1:
            return [Say(f"Name the rep whose plan to close. {usage_line('close')}", tone="error")]
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            rep = await person_named(s, me, cmd.people[0], self.defaults)
            plans = [p for p in await talks.open_plans(s, self.cipher, viewer=me)
                     if p.manager_id == me.id and p.rep_id == rep.id]
            if not plans:
                return [Say(f"You have no open plan with {rep.name}.", tone="error")]
            for plan in plans:
                await self.close_plan(s, me, plan.conversation_id)
        return [Say(f"Closed the plan with {rep.name}; its check-ins and reminders are off.", tone="success")]

    async def close_plan(self, s, me: Person, talk_id: int) -> bool:
        """Close one of the manager's plans and cancel everything scheduled for it."""
        closed = await talks.close(s, manager=me, conversation_id=talk_id, now=self.clock.now())
        if closed:
            await nudges.cancel_pending(s, subject=f"talk:{talk_id}", reason="plan closed")
            for item_id in closed:
                await nudges.cancel_pending(s, subject=f"item:{item_id}", reason="plan closed")
        return closed is not None

    async def _cancel_cmd(self, actor: Actor, cmd: Command) -> list[Any]:
        return await self.answer(actor, Answer(action=Action.CANCEL))

    async def _checkin(self, actor: Actor, cmd: Command) -> list[Any]:
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            if cmd.people:
                rep = await person_named(s, me, cmd.people[0], self.defaults)
                if rep.manager_id != me.id:
                    return [Refused(f"{rep.name} isn't on your team, so there is no check-in to record. "
                                    "Reps join your team when you hold a conversation with them.")]
                plan = next((p for p in await talks.open_plans(s, self.cipher, viewer=rep) if p.rep_id == rep.id), None)
                await checkins.record_checkin(s, self.cipher, rep=rep, author=me, kind="manager", status=None,
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
                return list((await self.resume_row(s, row, now, actor=actor))[1].outputs)
            params = {"manager": manager.name if manager else "your manager", "tz": effective_tz(me)}
            return await self.start_flow(s, me, checkin.NAME, params, manager.id if manager else None, now,
                                         actor=actor)

    # ---- turn machinery ----------------------------------------------------------------------

    async def start_flow(self, s, me: Person, flow_name: str, params: dict, subject_id: int | None, now,
                         ref: str | None = None, *, actor: Actor | None = None) -> list[Any]:
        """Begin a flow for `me` (the `actor`) inside the caller's transaction and return its first prompt."""
        turn = engine.start(get_flow(flow_name), params, now)
        row = await sessions.create_session(s, self.cipher, workspace_id=me.workspace_id, user_id=me.id,
                                            flow=flow_name, state=turn.state.to_dict(), subject_id=subject_id,
                                            now=now, ref=ref)
        if actor is not None:
            self.steps.put(row.id, owner_of(actor), turn.state)
        return [replace(o, session_id=row.id) if isinstance(o, Prompt) else o for o in turn.outputs]

    async def sessions_for_ref(self, s, me: Person, ref: str) -> FlowSession | None:
        """The actor's unfinished session filling in `ref`, if any."""
        return await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id, ref=ref)

    async def resume_row(self, s, row: FlowSession, now: datetime, *, actor: Actor | None = None):
        """Show a stored session's current step again (inside the caller's transaction) to its owner `actor`."""
        state = await self._with_current_names(s, FlowState.from_dict(sessions.load_state(self.cipher, row)))
        turn = engine.resume(get_flow(row.flow), state, now, row.id)
        if await self._save(s, row, state, turn.state, now) and actor is not None:
            self.steps.put(row.id, owner_of(actor), turn.state)
        return state, turn

    async def _with_current_names(self, s, state: FlowState) -> FlowState:
        """The state with the names of the people it is about as stored now: a flow started under a
        stand-in name (the profile arrived late) shows the real one from its next step on."""
        params = dict(state.params)
        for name_key, id_key in (("rep", "rep_id"), ("manager", "manager_id")):
            person_id = params.get(id_key)
            if isinstance(person_id, int) and isinstance(params.get(name_key), str):
                person = await s.get(Person, person_id)
                if person is not None and person.name != params[name_key]:
                    params[name_key] = person.name
        return state if params == state.params else replace(state, params=params)

    async def _advance(self, s, me: Person, row: FlowSession, answer: Answer, now: datetime) -> list[Any]:
        state = await self._with_current_names(s, FlowState.from_dict(sessions.load_state(self.cipher, row)))
        turn = engine.advance(get_flow(row.flow), state, answer, now, row.id)
        if turn.state.version == state.version:
            return list(turn.outputs)
        stored = turn.state
        if stored.status in ("done", "cancelled"):
            # What was agreed lives in its own table now; the session keeps no second copy of the notes.
            stored = replace(stored, answers={}, raw={}, draft=None)
        if not await self._save(s, row, state, stored, now):
            return [STEP_RACED]
        outputs = list(turn.outputs)
        if isinstance(outputs[-1], Done):
            observe.FLOWS_DONE.labels(row.flow).inc()
            finish = {TALK: self._finish_talk, checkin.NAME: self._finish_checkin}.get(row.flow, self.retros.finish)
            outputs = await finish(s, me, row, outputs[-1], now)
        return outputs

    async def _answer_in_place(self, actor: Actor, answer: Answer, session_id: str, now: datetime) -> list[Any] | None:
        """A step that moves a flow along, in one read and one write; None when it needs the full path.

        Most answers only change the session itself, and a modal must be acknowledged within
        Slack's 3 seconds with the next step, so this case skips the ORM. When this process wrote
        the session last (`StepCache`), even the read goes: only the version-checked write is
        left. Finishing or discarding a flow, and a session that isn't the caller's, go through
        `_advance` (which says why).
        """
        owner = owner_of(actor)
        if self.steps.must_recheck(session_id):
            return None
        cached = self.steps.get(session_id, owner, answer.version)
        if cached is not None:
            turn = engine.advance(get_flow(cached.state.flow), cached.state, answer, now, session_id)
            if turn.state.version == cached.state.version:
                return list(turn.outputs)
            if turn.state.status == "active" and await sessions.write_state_if_current(
                    self.db, session_id=session_id, expected_version=cached.state.version,
                    new=self._stored(turn.state), now=now):
                self.steps.put(session_id, owner, turn.state)
                return list(turn.outputs)
            # Finishing, discarding, or the database has moved on: the full path reads and decides.
            self.steps.drop(session_id)
            return None

        def decide(stored: sessions.StoredState) -> tuple[sessions.NewState | None, tuple[FlowState, Turn]]:
            state = FlowState.from_dict(self.cipher.decrypt(stored.state_encrypted))
            turn = engine.advance(get_flow(stored.flow), state, answer, now, stored.id)
            if turn.state.version == state.version or turn.state.status != "active":
                return None, (state, turn)
            return self._stored(turn.state), (state, turn)

        outcome, result = await sessions.change_owned_state(
            self.db, session_id=session_id, platform=actor.platform, workspace=actor.workspace, user=actor.user,
            now=now, decide=decide)
        if outcome == "conflict":
            return [STEP_RACED]
        if outcome == "missing":
            return None
        before, turn = result
        if outcome == "saved":
            self.steps.put(session_id, owner, turn.state)
            return list(turn.outputs)
        if turn.state.version == before.version:  # nothing to write: an error to show, or out of date
            self.steps.put(session_id, owner, before)
            return list(turn.outputs)
        return None

    def _stored(self, state: FlowState) -> sessions.NewState:
        return sessions.NewState(state.step, state.status, state.version, self.cipher.encrypt(state.to_dict()))

    async def _save(self, s, row: FlowSession, before: FlowState, after: FlowState, now: datetime) -> bool:
        if after.version == before.version:
            return True
        return await sessions.save_state(s, self.cipher, row=row, state=after.to_dict(),
                                         expected_version=before.version, now=now)

    async def _finish_talk(self, s, me: Person, row: FlowSession, done: Done, now: datetime) -> list[Any]:
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=row.subject_id)
        if rep is None:
            return [Say("The person this conversation was about is no longer here, so it could not be stored.",
                        tone="error")]
        talk = await talks.record_conversation(
            s, self.cipher, workspace_id=me.workspace_id, manager=me, rep=rep, answers=done.answers,
            flow_session_id=row.id, now=now,
        )
        await planner.plan_talk(s, talk_id=talk.id, manager=me, rep=rep, review=talk.review_on, now=now)
        outputs: list[Any] = [replace(done, record_id=talk.id),
                              Say(f"Saved. The plan with {rep.name} is stored; review on "
                                  f"{format_day(talk.review_on)}. See it any time with /coach plans.", tone="success")]
        if done.answers.get("share"):
            lines = plan_lines(done.answers.get("plan") or [], rep.name, me.name)
            text = (f"{me.name} shared the plan you agreed together:\n" + "\n".join(f"• {line}" for line in lines)
                    + f"\nYou'll review it together on {format_day(talk.review_on)}.")
            outputs.append(Notify(rep.id, rep.name, Say(text), rep.platform_user_id))
        return outputs

    async def _finish_checkin(self, s, me: Person, row: FlowSession, done: Done, now: datetime) -> list[Any]:
        status, note = done.answers.get("status"), done.answers.get("note")
        plans = [p for p in await talks.open_plans(s, self.cipher, viewer=me) if p.rep_id == me.id]
        await checkins.record_checkin(s, self.cipher, rep=me, author=me, kind="rep", status=status, note=note,
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
            outputs.append(Say(f"Thanks — {manager.name} has been told you {'are stuck' if status == 'stuck' else 'could use a hand'}.",
                               tone="success"))
        else:
            outputs.append(Say("Thanks — noted.", tone="success"))
        return outputs
