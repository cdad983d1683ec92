"""Buttons: one registry from action id to handler, and one place where what a button names is checked.

A button comes back from a client carrying a value ("12:stuck"): untrusted input. It is parsed into
a typed subject (a nudge, a plan item, a follow-up, a plan) and loaded only if it is of the kind the
button acts on, in the presser's workspace, and theirs — the recipient of the nudge, the owner of the
item or follow-up, the manager of the plan. A handler gets the checked row, never the raw value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from bot.core import outbox
from bot.core.identity import Actor, person_for
from bot.core.runner import Context
from flows.outputs import Refused
from storage.models import Person
from storage.owned import owned

NOT_YOURS = "This button belongs to someone else's message, so nothing was changed."
UNKNOWN = "That button is from an older version of coachbot; nothing was changed."
DAMAGED = "That button's data is damaged; nothing was changed."

Handler = Callable[[Any, Person, Any, str], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Then:
    """What a press leads to after its own transaction is committed: work that takes a road of its own
    (e.g. starting a talk the way `/coach talk @rep` does), run for the presser; its outputs take this place."""

    run: Callable[[Actor], Awaitable[list[Any]]]


@dataclass(frozen=True)
class Subject:
    """What a pressed button names: a kind, an id, and for some buttons the option chosen ("stuck")."""

    kind: str
    id: int
    option: str = ""


@dataclass(frozen=True)
class Button:
    action: str  # the action id, before any ".option" suffix a transport adds to keep ids unique
    subject: str  # what its value names: a kind of storage.owned.KINDS
    handler: Handler  # (session, presser, checked row, option) -> outputs
    nudge_kinds: tuple[str, ...] = ()  # for subject "nudge": the kinds of nudge it is a button of


class Buttons:
    def __init__(self, ctx: Context, wake: Callable[[], None] | None = None):
        self.ctx = ctx
        self._wake = wake  # the dispatcher's wake-up, after a press queued a message
        self._buttons: dict[str, Button] = {}

    def add(self, button: Button) -> None:
        self._buttons[button.action] = button

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action id the registry answers (transports route these to `press`)."""
        return tuple(self._buttons)

    def parse(self, action_id: str, value: str) -> tuple[Button, Subject] | Refused:
        """The button and its typed subject, or why the press can't be taken."""
        button = self._buttons.get(action_id.partition(".")[0])
        if button is None:
            return Refused(UNKNOWN)
        ident, _, option = (value or "").partition(":")
        if not (ident.isascii() and ident.isdigit()) or len(ident) > 18 or len(option) > 32:
            return Refused(DAMAGED)
        return button, Subject(button.subject, int(ident), option)

    async def press(self, actor: Actor, action_id: str, value: str) -> list[Any]:
        """Run one button press for `actor`, on a subject that is theirs and of the button's kind."""
        parsed = self.parse(action_id, value)
        if isinstance(parsed, Refused):
            return [parsed]
        button, subject = parsed
        async with self.ctx.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            row = await self.load(s, me, button, subject)
            if row is None:
                return [Refused(NOT_YOURS)]
            outputs = await button.handler(s, me, row, subject.option)
            # A press that alerts someone (a "stuck" check-in) queues it with what the press stored; a press
            # repeated on the same subject and option queues nothing more.
            origin = f"press:{button.action}:{subject.kind}:{subject.id}:{subject.option}"
            then = [o for o in outputs if isinstance(o, Then)]
            outputs = [o for o in outputs if not isinstance(o, Then)]
            outputs, queued = await outbox.keep(s, self.ctx.cipher, me, outputs, self.ctx.clock.now(), origin=origin)
        if queued and self._wake is not None:
            self._wake()
        for step in then:  # after the commit: the road it takes opens its own transaction
            outputs += await step.run(actor)
        return outputs

    @staticmethod
    async def load(s, me: Person, button: Button, subject: Subject):
        """The subject's row if it is the presser's, in their workspace, and of the button's kind; else None."""
        row = await owned(s, subject.kind, subject.id, workspace_id=me.workspace_id, person_id=me.id)
        if row is not None and button.nudge_kinds and row.kind not in button.nudge_kinds:
            return None
        return row
