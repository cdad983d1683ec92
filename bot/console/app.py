"""`coachbot demo`: a line-by-line console chat, so it works both typed and driven through a pipe."""
from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from typing import Any, Callable, TextIO

from bot.core import commands
from bot.core.clock import SimulatedClock, parse_duration
from bot.scheduler import housekeeping
from bot.console.render import render
from bot.console.sender import ConsoleSender
from bot.scheduler.dispatch import Dispatcher
from bot.core.nudge_actions import AskCount
from bot.core.screen import screen_of
from bot.core.views import last_of
from bot.core.service import Actor, CoachService
from flows.engine import Action, Answer
from flows.outputs import Prompt

MAX_CLOCK_HOP = timedelta(days=90)
STYLES = {
    "title": "bold cyan", "dim": "dim", "hint": "yellow", "error": "red", "warning": "yellow",
    "success": "green", "bold": "bold", "info": "", "plain": "",
}
DEMO_HELP = """Console commands:
  /coach help         what the coach can do (/coach talk @alex, /coach plans, ...)
  /as @name           act as someone else (a manager or a rep), e.g. /as @alex
  /ok                 keep your answer as it is after a coaching hint
  /back               go back one step and change that answer
  /cancel             stop the current conversation (its draft is deleted)
  /clock +3d          move the simulated clock forward (m, h, d, w); nudges due meanwhile arrive
  /tap a              press button [a] of a nudge shown above (as the person it was sent to)
  /whoami             who you are acting as, and the simulated time
  /quit               leave; anything unfinished is saved for next time
Anything else you type answers the current step."""


class ConsoleDemo:
    def __init__(self, service: CoachService, clock: SimulatedClock, *, user: str = "sam",
                 write: Callable[[str, str], None], default_tz: str = "UTC"):
        self.service = service
        self.clock = clock
        self.write = write
        self.default_tz = default_tz
        self.user = user
        self.last_prompt: Prompt | None = None
        self.sender = ConsoleSender(write, clock)
        self.dispatcher = Dispatcher(service.db, service.cipher, clock, {"console": self.sender}, owner="console")

    @property
    def actor(self) -> Actor:
        return Actor("console", "demo", self.user, name=self.user.capitalize(), tz=self.default_tz)

    async def start(self) -> None:
        """Greet, then pick up the user's unfinished conversation if there is one."""
        self.emit_text(f"You are @{self.user}, a sales manager. Start with: /coach talk @alex   "
                       "(/help lists the console commands, /quit leaves)", "info")
        self.show(await self.service.current_prompt(self.actor))

    async def handle(self, line: str) -> bool:
        """Act on one input line; False when the user asked to leave."""
        text = line.strip()
        if text.startswith("/"):
            return await self._slash(text)
        if not text and self.last_prompt is None:
            return True
        value: Any = text
        if not text and self.last_prompt is not None and self.last_prompt.suggestion:
            value = self.last_prompt.suggestion
        self.show(await self.service.answer(self.actor, Answer(value)))
        await self.deliver_due()
        return True

    async def _slash(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word in ("/quit", "/exit", "/q"):
            self.emit_text("Bye. Anything unfinished is saved — run `coachbot demo` again to pick it up.", "info")
            return False
        if word == "/help":
            self.emit_text(DEMO_HELP, "info")
        elif word == "/coach":
            self.show(await self.service.command(self.actor, commands.parse(rest)))
        elif word == "/as":
            ref = commands.parse("as " + rest).people
            if len(ref) != 1:
                self.emit_text("Usage: /as @name — e.g. /as @alex", "error")
            else:
                self.user = ref[0].external_id
                self.last_prompt = None
                self.emit_text(f"You are now @{self.user}.", "success")
                self.show(await self.service.current_prompt(self.actor))
        elif word == "/whoami":
            self.emit_text(f"You are @{self.user}. Simulated time: {self.clock.now():%a %d %b %Y %H:%M} UTC.", "info")
        elif word == "/clock":
            delta = parse_duration(rest) if rest else None
            if delta is None:
                self.emit_text("Usage: /clock +3d — moves the simulated clock forward (m, h, d or w).", "error")
            elif delta > MAX_CLOCK_HOP:
                # The clock moves in half-hour steps, delivering on the way: years would take hours.
                self.emit_text(f"The clock moves at most {MAX_CLOCK_HOP.days} days at a time; "
                               f"“{rest.strip()[:20]}” is more. Move it in several steps.", "error")
            else:
                await self.pass_time(delta)
                self.emit_text(f"The clock is now {self.clock.now():%a %d %b %Y %H:%M} UTC.", "info")
        elif word == "/tap":
            letter, _, typed = rest.strip().partition(" ")
            button = self.sender.buttons.get(letter.lower())
            if button is None:
                self.emit_text("Usage: /tap <letter> — the letter in [brackets] under a nudge.", "error")
            else:
                handle, action_id, value = button
                actor = Actor("console", "demo", handle, name=handle.capitalize(), tz=self.default_tz)
                if typed.strip() and action_id.startswith("pulse"):  # the exact count after "6 or more…"
                    value = f"{value.partition(':')[0]}:{typed.strip()[:32]}"
                if action_id.partition(".")[0] == "retro_start":
                    self.user, outputs = handle, await self.service.retros.start(actor, int(value))
                else:
                    outputs = await self.service.buttons.press(actor, action_id, value)
                ask = last_of(outputs, AskCount)
                if ask is not None:
                    self.emit_text(f"{ask.text} Type /tap {letter} and the number, e.g. /tap {letter} 7.", "info")
                else:
                    self.show(outputs)
        elif word in ("/ok", "/keep"):
            self.show(await self.service.answer(self.actor, Answer(action=Action.KEEP)))
        elif word == "/back":
            self.show(await self.service.answer(self.actor, Answer(action=Action.BACK)))
        elif word == "/cancel":
            self.show(await self.service.command(self.actor, commands.parse("cancel")))
        else:
            self.emit_text(f"There is no {word} command. /help lists the console commands.", "error")
        return True

    async def pass_time(self, delta) -> None:
        """Move the clock in half-hour steps, delivering whatever falls due on the way."""
        step = timedelta(minutes=30)
        remaining = delta
        while remaining > timedelta(0):
            hop = min(step, remaining)
            before = self.clock.now()
            self.clock.advance(hop)
            remaining -= hop
            if before.date() != self.clock.now().date() or before.hour != self.clock.now().hour:
                await housekeeping.run(self.service.db, self.clock)
            await self.dispatcher.run_until_idle()

    async def deliver_due(self) -> None:
        """Send anything due right now (after a command scheduled something for today)."""
        await self.dispatcher.run_until_idle()

    def show(self, outputs: list[Any]) -> None:
        """Render outputs in order (the console is a transcript) and remember the step now on screen."""
        for output in outputs:
            for text, style in render(output):
                self.write(text, style)
        screen = screen_of(outputs)
        if screen.prompt is not None:
            self.last_prompt = screen.prompt
        elif screen.done is not None or screen.discarded is not None:
            self.last_prompt = None

    def emit_text(self, text: str, style: str) -> None:
        for line in text.split("\n"):
            self.write(line, style)


def make_writer(stream: TextIO) -> Callable[[str, str], None]:
    """Plain lines on a pipe; colour through rich only when writing to a terminal."""
    if not stream.isatty():
        def plain(text: str, style: str) -> None:
            stream.write(text + "\n")
            stream.flush()
        return plain
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, markup=False, emoji=False, soft_wrap=True)

    def coloured(text: str, style: str) -> None:
        console.print(Text(text, style=STYLES.get(style, "")))
    return coloured


async def run(demo: ConsoleDemo, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read stdin line by line until EOF or /quit; echo the input when it comes from a pipe."""
    echo = not stdin.isatty()
    await demo.start()
    while True:
        if not echo:
            stdout.write(f"@{demo.user}> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if line == "":
            demo.emit_text("(end of input) Anything unfinished is saved for next time.", "dim")
            return
        if echo:
            demo.write(f"@{demo.user}> {line.rstrip()}", "dim")
        if not await demo.handle(line):
            return
