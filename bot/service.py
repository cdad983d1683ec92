"""The coach service: owns one turn — load the flow session, call the engine, save, return outputs.

Every transport (console, Slack, Teams, webhooks) goes through this object, so behaviour is the
same everywhere. It never renders anything; it returns neutral outputs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from bot.commands import Command, PersonRef, help_text, usage_line
from flows import engine
from flows.dates import format_day
from flows.engine import Action, Answer, FlowState
from flows.outputs import Done, Notify, Prompt, Refused, Say
from flows.registry import get_flow
from flows.talk import NAME as TALK, plan_lines
from storage import people, sessions, talks
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import FlowSession, Person
from storage.talks import Plan


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the transport knows them."""

    platform: str
    workspace: str  # Slack team id, Teams tenant id, or "demo"
    user: str  # platform user id
    name: str = ""
    tz: str | None = None


@dataclass(frozen=True)
class Plans:
    """The open plans a person may see (as manager and as rep)."""

    viewer_id: int
    plans: tuple[Plan, ...]
    today: Any


class CoachService:
    def __init__(self, db: Database, cipher: NotesCipher, clock: Clock, *, default_tz: str = "UTC"):
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.default_tz = default_tz

    async def identify(self, actor: Actor) -> Person:
        """The stored person for an actor (created on first contact)."""
        async with self.db.session() as s:
            return await self._person(s, actor)

    async def command(self, actor: Actor, cmd: Command) -> list[Any]:
        """Run one `/coach` subcommand."""
        handler = {
            "help": self._help,
            "talk": self._talk,
            "plans": self._plans,
            "cancel": self._cancel_cmd,
        }.get(cmd.name)
        if handler is None:
            return [Say(f"I don't know “{cmd.name}”.\n\n" + help_text(), tone="error")]
        return await handler(actor, cmd)

    async def answer(self, actor: Actor, answer: Answer, session_id: str | None = None) -> list[Any]:
        """Apply an answer (or back/keep/cancel) to the actor's session, or their current one."""
        now = self.clock.now()
        async with self.db.session() as s:
            me = await self._person(s, actor)
            if session_id is not None:
                row = await sessions.get_session(s, session_id=session_id, workspace_id=me.workspace_id, user_id=me.id)
                if row is None:
                    return [Refused("That conversation doesn't exist or isn't yours, so nothing was changed.")]
            else:
                row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id)
                if row is None:
                    return [Say("You're not in a conversation right now. Type /coach talk @name to start one, "
                                "or /coach help to see what I can do.")]
            return await self._advance(s, me, row, answer, now)

    async def current_prompt(self, actor: Actor) -> list[Any]:
        """The prompt of the actor's most recent unfinished flow, if any (used when someone returns)."""
        now = self.clock.now()
        async with self.db.session() as s:
            me = await self._person(s, actor)
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id)
            if row is None:
                return []
            state = FlowState.from_dict(sessions.load_state(self.cipher, row))
            turn = engine.resume(get_flow(row.flow), state, now, row.id)
            if turn.state.version != state.version:
                await sessions.save_state(s, self.cipher, row=row, state=turn.state.to_dict(),
                                          expected_version=state.version, now=now)
            rep = state.params.get("rep", "someone")
            return [Say(f"You have an unfinished conversation with {rep} (saved {format_day(row.updated_at.date())}). "
                        "Picking up where you left off:"), *turn.outputs]

    # ---- subcommands -------------------------------------------------------------------------

    async def _help(self, actor: Actor, cmd: Command) -> list[Any]:
        return [Say(help_text())]

    async def _talk(self, actor: Actor, cmd: Command) -> list[Any]:
        if len(cmd.people) != 1:
            why = "Name the rep you want to talk to." if not cmd.people else "Name just one rep."
            return [Say(f"{why} {usage_line('talk')}", tone="error")]
        now = self.clock.now()
        async with self.db.session() as s:
            me = await self._person(s, actor)
            rep = await self._person_for(s, me, cmd.people[0])
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
            flow = get_flow(TALK)
            if row is not None:
                state = FlowState.from_dict(sessions.load_state(self.cipher, row))
                turn = engine.resume(flow, state, now, row.id)
                await self._touch(s, row, state, turn.state, now)
                return notes + [Say(f"Picking up your unfinished conversation with {rep.name}.")] + list(turn.outputs)
            params = {"rep": rep.name, "rep_id": rep.id, "manager": me.name, "manager_id": me.id, "tz": me.tz}
            turn = engine.start(flow, params, now)
            row = await sessions.create_session(
                s, self.cipher, workspace_id=me.workspace_id, user_id=me.id, flow=TALK,
                state=turn.state.to_dict(), subject_id=rep.id, now=now,
            )
            return notes + [_with_session(o, row.id) for o in turn.outputs]

    async def _plans(self, actor: Actor, cmd: Command) -> list[Any]:
        now = self.clock.now()
        async with self.db.session() as s:
            me = await self._person(s, actor)
            plans = await talks.open_plans(s, self.cipher, viewer=me)
            return [Plans(me.id, tuple(plans), now.date())]

    async def _cancel_cmd(self, actor: Actor, cmd: Command) -> list[Any]:
        return await self.answer(actor, Answer(action=Action.CANCEL))

    # ---- turn machinery ----------------------------------------------------------------------

    async def _advance(self, s, me: Person, row: FlowSession, answer: Answer, now: datetime) -> list[Any]:
        flow = get_flow(row.flow)
        state = FlowState.from_dict(sessions.load_state(self.cipher, row))
        turn = engine.advance(flow, state, answer, now, row.id)
        if turn.state.version == state.version:
            return list(turn.outputs)
        stored = turn.state
        if stored.status in ("done", "cancelled"):
            # The finished talk lives in `conversations`; the session keeps no copy of the notes.
            stored = replace(stored, answers={}, raw={}, draft=None)
        if not await self._touch(s, row, state, stored, now):
            return [Refused("This step was just answered somewhere else (another window or a double click). "
                            "Here is where you are now.")]
        outputs = list(turn.outputs)
        if isinstance(outputs[-1], Done):
            outputs = await self._finish(s, me, row, outputs[-1], now)
        return outputs

    async def _touch(self, s, row: FlowSession, before: FlowState, after: FlowState, now: datetime) -> bool:
        if after.version == before.version:
            return True
        return await sessions.save_state(s, self.cipher, row=row, state=after.to_dict(),
                                         expected_version=before.version, now=now)

    async def _finish(self, s, me: Person, row: FlowSession, done: Done, now: datetime) -> list[Any]:
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=row.subject_id)
        if rep is None:
            return [Say("The person this conversation was about is no longer here, so it could not be stored.",
                        tone="error")]
        talk = await talks.record_conversation(
            s, self.cipher, workspace_id=me.workspace_id, manager=me, rep=rep, answers=done.answers,
            flow_session_id=row.id, now=now,
        )
        outputs: list[Any] = [replace(done, record_id=talk.id),
                              Say(f"Saved. The plan with {rep.name} is stored; review on "
                                  f"{format_day(talk.review_on)}. See it any time with /coach plans.", tone="success")]
        if done.answers.get("share"):
            lines = plan_lines(done.answers.get("plan") or [], rep.name, me.name)
            text = (f"{me.name} shared the plan you agreed together:\n" + "\n".join(f"• {line}" for line in lines)
                    + f"\nYou'll review it together on {format_day(talk.review_on)}.")
            outputs.append(Notify(rep.id, rep.name, Say(text)))
        return outputs

    async def _person(self, s, actor: Actor) -> Person:
        ws = await people.get_or_create_workspace(s, platform=actor.platform, external_id=actor.workspace)
        return await people.get_or_create_person(
            s, workspace_id=ws.id, platform_user_id=actor.user, name=actor.name or actor.user,
            tz=actor.tz or self.default_tz,
        )

    async def _person_for(self, s, me: Person, ref: PersonRef) -> Person:
        return await people.get_or_create_person(
            s, workspace_id=me.workspace_id, platform_user_id=ref.external_id, name=ref.name, tz=self.default_tz,
        )


def _with_session(output: Any, session_id: str) -> Any:
    return replace(output, session_id=session_id) if isinstance(output, Prompt) else output
