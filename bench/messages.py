"""Messages per person per week through a six-week plan, with the message budget off and on.

A manager (Sam) and a rep (Alex) finish a difficult conversation with a four-item plan and a review six
weeks out; the scheduler then runs for six weeks of simulated time (a tick every 30 minutes, the weekly
pulse and digest planned each night), delivering through a recording console sender on SQLite. No network.

    .venv/bin/python bench/messages.py
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.console.sender import ConsoleSender  # noqa: E402
from bot.core.commands import parse  # noqa: E402
from bot.core.identity import Actor  # noqa: E402
from bot.core.service import CoachService  # noqa: E402
from bot.scheduler import housekeeping  # noqa: E402
from bot.scheduler.dispatch import Dispatcher  # noqa: E402
from flows import budget as rules  # noqa: E402
from flows.cadence import Schedule  # noqa: E402
from flows.engine import Answer  # noqa: E402
from storage.crypto import NotesCipher  # noqa: E402
from storage.db import Database, migrate  # noqa: E402

START = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # a Monday afternoon
WEEKS = 6
SAM = Actor("console", "demo", "sam", "Sam", "UTC")
ALEX = Actor("console", "demo", "alex", "Alex", "UTC")
TALK = ["no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.", "",
        "My leads moved to the new team.", "Campaign; shadowing",
        "Alex: book 5 discovery calls by 2026-11-27\nAlex: update the notes on every open deal by 2026-12-02\n"
        "me: join two of Alex's calls by 2026-12-09\nAlex: shadow Dana on two demos by 2026-12-16",
        (START + timedelta(weeks=WEEKS)).date().isoformat(), "yes"]


class Clock:
    def __init__(self, now: datetime):
        self.current = now

    def now(self) -> datetime:
        return self.current


class Recording(ConsoleSender):
    """The console sender, remembering who got a message when."""

    def __init__(self, clock: Clock):
        super().__init__(lambda text, style: None, clock)
        self.sent: list[tuple[str, datetime, int]] = []  # (handle, when, items in the message)

    async def send(self, workspace, recipient, message):
        self.sent.append((recipient.platform_user_id, self.clock.now(), len(message.all_ids)))
        return await super().send(workspace, recipient, message)


async def run(budget: bool, folder: Path, fewer: bool = False) -> list[tuple[str, datetime, int]]:
    """Six weeks of one plan; every message sent, as (person, when, items)."""
    url = f"sqlite+aiosqlite:///{folder / f'{budget}-{fewer}'}.db"
    migrate(url)
    db = Database(url)
    clock = Clock(START)
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), clock)
    sender = Recording(clock)
    dispatcher = Dispatcher(db, service.cipher, clock, {"console": sender}, owner="bench", budget=budget)
    await service.command(SAM, parse("team add @alex"))
    await service.command(ALEX, parse("team accept @sam"))
    if fewer:  # both asked for fewer messages
        for who in (SAM, ALEX):
            await service.command(who, parse("settings fewer on"))
    await service.command(SAM, parse("talk @alex"))
    for value in TALK:
        await service.answer(SAM, Answer(value))
    await dispatcher.run_until_idle()
    first = len(sender.sent)  # the plan shared and the line notices, before the six weeks start
    end = START + timedelta(weeks=WEEKS, days=1)
    while clock.current < end:
        clock.current += timedelta(minutes=30)
        if clock.current.hour == 1 and clock.current.minute == 0:
            await housekeeping.run(db, clock)
        await dispatcher.run_until_idle()
    await db.close()
    return sender.sent[first:]


def table(sent: list[tuple[str, datetime, int]]) -> tuple[str, dict[str, int]]:
    """Messages per person per week, and the most one person got in one half-day."""
    weeks = Counter((who, (when - START).days // 7 + 1) for who, when, _ in sent)
    halves = Counter((who, rules.half_day_of(when, Schedule())) for who, when, _ in sent)
    most = {who: max((n for (w, _), n in halves.items() if w == who), default=0) for who in ("alex", "sam")}
    lines = ["person | " + " | ".join(f"wk {w}" for w in range(1, WEEKS + 1)) + " | total"]
    for who in ("alex", "sam"):
        row = [weeks.get((who, w), 0) for w in range(1, WEEKS + 1)]
        lines.append(f"{who:6} | " + " | ".join(f"{n:4}" for n in row) + f" | {sum(row):5}")
    return "\n".join(lines), most


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for budget, fewer, name in ((False, False, "OFF (one message per nudge)"), (True, False, "ON (merged)"),
                                    (True, True, "ON, both chose fewer messages")):
            sent = await run(budget, Path(folder), fewer)
            text, most = table(sent)
            items = sum(n for _, _, n in sent)
            days = Counter((who, when.date()) for who, when, _ in sent)
            print(f"\nmessage budget {name}: {len(sent)} messages carrying {items} nudges; "
                  f"most in one day: {max(days.values(), default=0)}")
            print(text)
            print("most in one half-day: " + ", ".join(f"{who} {n}" for who, n in most.items()))


if __name__ == "__main__":
    asyncio.run(main())
