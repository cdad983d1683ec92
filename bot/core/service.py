"""The coach service: what a person can ask of coachbot, the same from every transport.

It puts the core together — the flow runner, the parts that serve a person (talks, check-ins,
retrospectives, the team, their own settings), the buttons of nudges — and is what the console,
Slack, Teams and the webhooks call. It never renders anything; it returns neutral outputs.
"""
from __future__ import annotations

import uuid
from typing import Any

from bot.core.account import AccountService
from bot.core.buttons import Buttons
from bot.core.checkins import CheckIns
from bot.core.commands import COMMANDS, Command, help_text, unknown_text
from bot.core.identity import Actor, NewPerson, person_for
from bot.core.lines import Lines
from bot.core.nudge_actions import NudgeActions
from bot.core.retros import RetroService
from bot.core.runner import UNREADABLE, Clock, Context, FlowRunner, StateUnreadable
from bot.core.signals import SignalActions
from bot.core.talks import Talks
from bot.core.team import TeamService
from bot.core.views import Plans
from flows.engine import Action, Answer
from flows.outputs import Say
from flows.subjects import subject
from storage import nudges
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import Person
from storage.nudges import NewNudge

__all__ = ["Actor", "CoachService", "Plans"]


class CoachService:
    def __init__(self, db: Database, cipher: NotesCipher, clock: Clock, *, defaults: NewPerson | None = None):
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.defaults = defaults or NewPerson()
        ctx = Context(db, cipher, clock, self.defaults)
        self.runner = FlowRunner(ctx)
        self.steps = self.runner.steps
        self.account = AccountService(db, cipher, clock, defaults=self.defaults)
        self.buttons = Buttons(ctx, wake=self.runner.wake)
        self.lines = Lines(ctx, self.buttons)
        self.talks = Talks(ctx, self.runner, self.lines)
        self.checkins = CheckIns(ctx, self.runner)
        self.retros = RetroService(ctx, self.runner)
        self.team = TeamService(ctx, self.lines, wake=self.runner.wake)
        NudgeActions(ctx, self.talks, self.buttons)
        self.signals = SignalActions(ctx, self.buttons, self.talks.talk)
        self._commands = {
            "help": self._help, "talk": self.talks.talk, "plans": self.talks.plans, "close": self.talks.close,
            "cancel": self._cancel, "checkin": self.checkins.checkin, "settings": self.account.settings_command,
            "pause": self.account.pause, "resume": self.account.resume, "retro": self.retros.retro_command,
            "team": self.team.team, "report": self.team.report, "lost": self.retros.lost,
            "signals": self.signals.command,
        }
        missing = set(COMMANDS) ^ set(self._commands)
        assert not missing, f"commands registered without a handler, or handled but not registered: {missing}"

    async def identify(self, actor: Actor) -> Person:
        """The stored person for an actor (created on first contact)."""
        async with self.db.session() as s:
            return await person_for(s, actor, self.defaults)

    async def command(self, actor: Actor, cmd: Command, *, channel: str | None = None) -> list[Any]:
        """Run one `/coach` subcommand (`channel`: where it was typed, for posts like a loss prompt)."""
        handler = self._commands.get(cmd.name)
        if handler is None:
            return [Say(unknown_text(cmd.name) + "\n\n" + help_text(), tone="error")]
        try:
            return await handler(actor, cmd, channel)
        except StateUnreadable:  # a flow it would pick up can't be opened: refused, and nothing written
            return [UNREADABLE]

    async def answer(self, actor: Actor, answer: Answer, session_id: str | None = None) -> list[Any]:
        """Apply an answer (or back/keep/cancel) to the actor's session, or their current one."""
        return await self.runner.answer(actor, answer, session_id)

    async def current_prompt(self, actor: Actor) -> list[Any]:
        """The prompt of the actor's most recent unfinished flow, if any (used when someone returns)."""
        try:
            return await self.runner.current(actor)
        except StateUnreadable:
            return [UNREADABLE]

    async def resume_session(self, actor: Actor, session_id: str) -> list[Any]:
        """Show the current step of one of the actor's sessions (e.g. from a home-tab button)."""
        try:
            return await self.runner.reopen(actor, session_id)
        except StateUnreadable:
            return [UNREADABLE]

    async def queue_message(self, actor: Actor, text: str) -> None:
        """Keep a message that could not be delivered now; the scheduler retries it with back-off.

        The text can hold personnel notes, so it is stored encrypted like them.
        """
        now = self.clock.now()
        async with self.db.session() as s:
            person = await person_for(s, actor, self.defaults)
            await nudges.schedule(s, [NewNudge(person.workspace_id, person.id, "message", subject("person", person.id),
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

    async def _help(self, actor: Actor, cmd: Command, channel: str | None) -> list[Any]:
        return [Say(help_text())]

    async def _cancel(self, actor: Actor, cmd: Command, channel: str | None) -> list[Any]:
        return await self.answer(actor, Answer(action=Action.CANCEL))
