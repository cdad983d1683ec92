"""The one road a flow step takes: load the state, advance the engine, save it, and finish the flow.

Loading takes the state this process wrote last when it is still current (`StepCache`), else one
ownership-checked read; saving is one version-checked write, so a stale or double submission never
overwrites anything. A step that finishes its flow saves inside a transaction that also runs the
flow's finish hook (what was agreed, the outbox that follows), so both are stored or neither is.
Flows register their hooks here (`on_finish`); nothing in the core needs the whole service back.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Awaitable, Callable, Protocol

from bot.core import outbox
from bot.core.identity import Actor, NewPerson, person_for
from bot.core.step_cache import StepCache, owner_of
from bot.ops import observe
from flows import engine
from flows.dates import format_day
from flows.engine import Answer, FlowState, Turn
from flows.outputs import Done, Prompt, Refused, Say
from flows.registry import get_flow
from storage import lines, sessions
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import FlowSession, Person

STEP_RACED = Refused("This step was just answered somewhere else (another window or a double click). "
                     "Here is where you are now.")
NOT_YOURS = Refused("That conversation doesn't exist or isn't yours, so nothing was changed.")
NOTHING_OPEN = Say("You're not in a conversation right now. Type /coach talk @name to start one, "
                   "or /coach help to see what I can do.")

UNREADABLE = Refused("I can't open your saved conversation right now: coachbot was started with an encryption key "
                     "that doesn't match the one it was saved with. That's a setup problem on our side, not something "
                     "you did, and nothing was changed: your answers are kept as they were. Please tell whoever runs "
                     "coachbot, and try again once it's fixed.")


class StateUnreadable(Exception):
    """A session's stored state does not open with this process's key (so nothing may be written over it)."""


# A flow's finish hook: given the open transaction, the person who finished, the session row and the
# summary, it stores what was agreed and returns what to show and to whom.
FinishHook = Callable[[Any, Person, FlowSession, Done, datetime], Awaitable[list[Any]]]


def _ignore(where: str) -> None:
    """No one to tell: the step still refuses, and changes nothing."""


def _nothing() -> None:
    """No dispatcher in this process: the next tick (here or on another replica) delivers."""


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Context:
    """What every part of the core works with."""

    db: Database
    cipher: NotesCipher
    clock: Clock
    defaults: NewPerson


class FlowRunner:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.steps = StepCache()
        self._finish: dict[str, FinishHook] = {}
        self._wake: Callable[[], None] = _nothing
        self._unreadable: Callable[[str], None] = _ignore

    def on_unreadable(self, report: Callable[[str], None]) -> None:
        """Call `report` with where it is when a stored state does not open with this key (not ready)."""
        self._unreadable = report

    def on_queued(self, wake: Callable[[], None]) -> None:
        """Call `wake` after a finish committed messages to the outbox (the dispatcher's wake-up)."""
        self._wake = wake

    def wake(self) -> None:
        """Messages were just committed to the outbox elsewhere in the core (a button): deliver them now."""
        self._wake()

    def on_finish(self, flow: str, hook: FinishHook) -> None:
        """Register what happens when a flow finishes (one hook per flow)."""
        self._finish[flow] = hook

    # ---- starting and showing ----------------------------------------------------------------

    async def start(self, s, me: Person, flow: str, params: dict, subject_id: int | None, now: datetime,
                    ref: str | None = None, *, actor: Actor | None = None) -> list[Any]:
        """Begin a flow for `me` (the `actor`) inside the caller's transaction and return its first prompt."""
        turn = engine.start(get_flow(flow), params, now)
        row = await sessions.create_session(s, self.ctx.cipher, workspace_id=me.workspace_id, user_id=me.id,
                                            flow=flow, state=turn.state.to_dict(), subject_id=subject_id,
                                            now=now, ref=ref)
        if actor is not None:
            self.steps.put(row.id, owner_of(actor), turn.state)
        return [replace(o, session_id=row.id) if isinstance(o, Prompt) else o for o in turn.outputs]

    async def resume(self, s, row: FlowSession, now: datetime, *, actor: Actor | None = None
                     ) -> tuple[FlowState, Turn]:
        """Show a stored session's current step again (inside the caller's transaction) to its owner."""
        state = await self._with_current_names(s, self._load(row))
        turn = engine.resume(get_flow(row.flow), state, now, row.id)
        if await self._save(s, row, state, turn.state, now) and actor is not None:
            self.steps.put(row.id, owner_of(actor), turn.state)
        return state, turn

    async def current(self, actor: Actor) -> list[Any]:
        """The prompt of the actor's most recent unfinished flow, if any (someone returns)."""
        ctx = self.ctx
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id)
            if row is None:
                return []
            state, turn = await self.resume(s, row, ctx.clock.now(), actor=actor)
            who = state.params.get("rep") if state.params.get("rep_id") else None
            what = f"conversation with {who}" if who else f"{get_flow(row.flow).title.lower()}"
            return [Say(f"You have an unfinished {what} (saved {format_day(row.updated_at.date())}). "
                        "Picking up where you left off:"), *turn.outputs]

    async def reopen(self, actor: Actor, session_id: str) -> list[Any]:
        """Show the current step of one of the actor's sessions (a home-tab button)."""
        ctx = self.ctx
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            row = await sessions.get_session(s, session_id=session_id, workspace_id=me.workspace_id, user_id=me.id)
            if row is None:
                return [Refused("That conversation doesn't exist or isn't yours.")]
            return list((await self.resume(s, row, ctx.clock.now(), actor=actor))[1].outputs)

    # ---- one step ----------------------------------------------------------------------------

    async def answer(self, actor: Actor, answer: Answer, session_id: str | None = None) -> list[Any]:
        """Apply an answer (or back/keep/cancel) to one of the actor's sessions, or their current one.

        The one road of a step: load (the state this process wrote last, else one ownership-checked
        read), advance the engine once, save with a version check. Finishing or discarding saves in a
        transaction with the flow's finish hook. A remembered state the database has moved past is
        dropped and the step decided again on what is stored; a stale form changes nothing.
        """
        now = self.ctx.clock.now()
        if session_id is None:
            session_id = await self._current_session(actor)
            if session_id is None:
                return [NOTHING_OPEN]
        owner = owner_of(actor)
        recheck = self.steps.must_recheck(session_id)  # a name in it changed: read it, with the names
        cached = None if recheck else self.steps.get(session_id, owner, answer.version)
        if cached is not None and not await self._brief_still_theirs(cached.state):
            # The line ended since (here, on another replica, or by an admin): the full path reads the
            # row and drops the rep's records from the talk, so none of them is shown from memory.
            self.steps.drop(session_id)
            cached = None
        while True:
            try:
                before = cached.state if cached is not None else await self._read(actor, session_id)
            except StateUnreadable:
                return [UNREADABLE]
            if before is None:
                self.steps.drop(session_id)
                return [NOT_YOURS]
            turn = engine.advance(get_flow(before.flow), before, answer, now, session_id)
            if turn.state.version == before.version:
                if cached is not None and not await sessions.still_at(self.ctx.db, session_id=session_id,
                                                                      version=before.version):
                    # Nothing to write, so no version check would catch a remembered state the database
                    # no longer holds (moved on elsewhere, or erased by `coachbot forget`): never show it.
                    self.steps.drop(session_id)
                    cached = None
                    continue
                self.steps.put(session_id, owner, before)
                return list(turn.outputs)  # an error to show, or out of date: nothing to write
            outputs = await self._save_step(actor, session_id, before, turn, now)
            if outputs is not None:
                return outputs
            self.steps.drop(session_id)
            if cached is None:
                return [STEP_RACED]
            cached = None  # the database moved on since this process wrote it: decide again on what is stored

    async def _brief_still_theirs(self, state: FlowState) -> bool:
        """Whether a remembered talk may show its brief: it has none, or the rep still reports to its manager."""
        if "brief" not in state.params:
            return True
        rep_id, manager_id = state.params.get("rep_id"), state.params.get("manager_id")
        if not (isinstance(rep_id, int) and isinstance(manager_id, int)):
            return False
        return await lines.still_reports_to(self.ctx.db, rep_id=rep_id, manager_id=manager_id)

    async def _current_session(self, actor: Actor) -> str | None:
        async with self.ctx.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id)
            return None if row is None else row.id

    async def _read(self, actor: Actor, session_id: str) -> FlowState | None:
        """The stored state of a session the actor owns, with the current names of the people it is about."""
        stored = await sessions.read_owned_state(self.ctx.db, session_id=session_id, platform=actor.platform,
                                                 workspace=actor.workspace, user=actor.user)
        if stored is None:
            return None
        state = FlowState.from_dict(self._open(session_id, stored.state_encrypted))
        if not any(isinstance(state.params.get(k), int) for k in ("rep_id", "manager_id")):
            return state
        async with self.ctx.db.session() as s:
            return await self._with_current_names(s, state)

    async def _save_step(self, actor: Actor, session_id: str, before: FlowState, turn: Turn,
                         now: datetime) -> list[Any] | None:
        """Save the step if the session is still at `before`'s version: what to show, or None if it moved on."""
        after = turn.state
        if after.status == "active":
            if not await sessions.write_state_if_current(self.ctx.db, session_id=session_id,
                                                         expected_version=before.version,
                                                         new=self._stored(after), now=now):
                return None
            self.steps.put(session_id, owner_of(actor), after)
            return list(turn.outputs)
        self.steps.drop(session_id)
        if after.status in ("done", "cancelled"):
            # What was agreed lives in its own table now; the session keeps no second copy of the notes.
            after = replace(after, answers={}, raw={}, draft=None)
        queued = 0
        async with self.ctx.db.session() as s:
            owned = await sessions.owned_session(s, session_id=session_id, platform=actor.platform,
                                                 workspace=actor.workspace, user=actor.user)
            if owned is None:
                return [NOT_YOURS]
            row, me = owned
            if not await self._save(s, row, before, after, now):
                return None
            outputs = list(turn.outputs)
            if isinstance(outputs[-1], Done):
                observe.FLOWS_DONE.labels(row.flow).inc()
                outputs = await self._finish[row.flow](s, me, row, outputs[-1], now)
                outputs, queued = await outbox.keep(s, self.ctx.cipher, me, outputs, now, origin=row.id)
        if queued:
            self._wake()  # committed: deliver now rather than at the next tick
        return outputs

    # ---- state ---------------------------------------------------------------------------------

    def _load(self, row: FlowSession) -> FlowState:
        return FlowState.from_dict(self._open(row.id, row.state_encrypted))

    def _open(self, session_id: str, token: str) -> dict:
        try:
            return self.ctx.cipher.decrypt(token)
        except ValueError:
            self._unreadable(f"flow_sessions row {session_id}")
            raise StateUnreadable(session_id) from None

    def _stored(self, state: FlowState) -> sessions.NewState:
        return sessions.NewState(state.step, state.status, state.version, self.ctx.cipher.encrypt(state.to_dict()))

    async def _save(self, s, row: FlowSession, before: FlowState, after: FlowState, now: datetime) -> bool:
        if after.version == before.version:
            return True
        return await sessions.save_state(s, self.ctx.cipher, row=row, state=after.to_dict(),
                                         expected_version=before.version, now=now)

    async def _with_current_names(self, s, state: FlowState) -> FlowState:
        """The state with the names of the people it is about as stored now: a flow started under a
        stand-in name (the profile arrived late) shows the real one from its next step on. A talk's
        brief of the rep's records is dropped once the rep no longer reports to the manager."""
        params = dict(state.params)
        for name_key, id_key in (("rep", "rep_id"), ("manager", "manager_id")):
            person_id = params.get(id_key)
            if isinstance(person_id, int) and isinstance(params.get(name_key), str):
                person = await s.get(Person, person_id)
                if person is not None and person.name != params[name_key]:
                    params[name_key] = person.name
        if "brief" in params:
            rep = await s.get(Person, params["rep_id"]) if isinstance(params.get("rep_id"), int) else None
            if rep is None or rep.manager_id != params.get("manager_id"):
                del params["brief"]  # the line ended: the rep's records are no longer this manager's to see
        return state if params == state.params else replace(state, params=params)
