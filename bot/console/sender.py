"""The console's delivery of nudges: print them, with a short letter for each button."""
from __future__ import annotations

import itertools
import string
from typing import Callable

from bot.core.views import NudgeMessage
from storage.models import Person, Workspace


class ConsoleSender:
    """Prints nudges as they are sent and remembers which letter stands for which button."""

    def __init__(self, write: Callable[[str, str], None], clock):
        self.write = write
        self.clock = clock
        self.buttons: dict[str, tuple[str, str, str]] = {}  # letter -> (recipient handle, action id, value)
        self._letters = ("".join(p) for n in itertools.count(1) for p in itertools.product(string.ascii_lowercase, repeat=n))

    async def send(self, workspace: Workspace, recipient: Person, message: NudgeMessage) -> str:
        """Show the nudge; returns a reference for the nudges table."""
        at = self.clock.now().strftime("%a %d %b %H:%M UTC")
        self.write(f"📬 [{at}] to @{recipient.platform_user_id}: {message.text}", "info")
        for part in message.parts or (message,):
            if message.parts:
                self.write(f"   • {part.text}", "info")
            for line in part.detail:
                self.write(f"     {line}", "plain")
            self._buttons(recipient, part)
        return f"console:{message.nudge_id}"

    def _buttons(self, recipient: Person, message: NudgeMessage) -> None:
        if message.actions:
            labels = []
            for action_id, label, value in message.actions:
                letter = next(self._letters)
                self.buttons[letter] = (recipient.platform_user_id, action_id, value)
                labels.append(f"[{letter}] {label}")
            self.write("     " + "  ".join(labels) + "   (/tap <letter>)", "dim")

    async def close(self) -> None:
        """Nothing to release."""

    async def delivered(self, workspace: Workspace, recipient: Person, nudge_id: int) -> str | None:
        """The console keeps no history to look in."""
        return None
