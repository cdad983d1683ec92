"""Signals: what the manager hears about a rep, and what the rep sees of it (issue 17).

Only a rep's confirmed manager is told anything, and the rep can read the same facts with
`/coach signals`. A strong flag reaches the manager within a working day as a "signal" nudge with
*Prepare a conversation*, *Dismiss* and *Snooze a week*; every flag shows in the weekly digest. A
flag's words are described again from the stored facts whenever shown, never kept.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from bot.core.buttons import Button, Buttons, Then
from bot.core.commands import Command, PersonRef
from bot.core.identity import Actor, person_for, zone_of
from bot.core.runner import Context
from bot.core.views import NudgeMessage
from flows.dates import format_day
from flows.outputs import Refused, Say
from flows.signals import STRONG, Flag, Thresholds, ThresholdError, describe, describe_for_rep, flags
from flows.subjects import subject, subject_id
from storage import nudges, people, signal_flags, talks
from storage.crypto import NotesCipher
from storage.models import Nudge, Person, SignalFlag
from storage.rep_facts import rep_facts

log = logging.getLogger("coachbot.signals")

SNOOZE = timedelta(days=7)
LINE_GONE = ("{rep} doesn't report to you now, so this signal is closed and nothing was changed. "
             "/coach team shows who reports to whom.")
CLOSED = "This signal was closed when {rep}'s reporting line changed; nothing was changed."
NOTHING_FOR_REP = ("Nothing right now: none of your numbers crosses a threshold, so coachbot tells your manager "
                   "nothing about you. If that changes, you'll find the same facts here that they are told.")


async def thresholds_for(s, *, workspace_id: int) -> Thresholds:
    """The workspace's thresholds; the defaults when the stored ones can't be used (logged, never silent)."""
    stored = await signal_flags.settings_of(s, workspace_id=workspace_id)
    try:
        return Thresholds.from_settings(stored)
    except ThresholdError as exc:
        log.warning("signal settings of workspace %s can't be used (%s); the defaults apply", workspace_id, exc)
        return Thresholds()


async def raised(s, *, rep: Person, manager_id: int, now: datetime, cipher: NotesCipher | None = None,
                 thresholds: Thresholds | None = None) -> list[Flag]:
    """The rep's flags the manager is told about now: every flag the facts raise, under the keys this manager
    has for them, less those this manager dismissed or snoozed (until the snooze is over)."""
    today = now.astimezone(zone_of(rep)).date()
    th = await with_target(s, thresholds or await thresholds_for(s, workspace_id=rep.workspace_id), rep,
                           manager_id)
    facts = await rep_facts(s, rep=rep, manager_id=manager_id, today=today, cipher=cipher)
    rows = await signal_flags.rows_for(s, rep_id=rep.id, manager_id=manager_id)
    # The keys this manager already has: a decline found to reach back further keeps its recorded key.
    found = flags(facts, th, today, known=rows)
    return [f for f in found if not _quiet(rows.get(f.key), now)]


async def with_target(s, th: Thresholds, rep: Person, manager_id: int) -> Thresholds:
    """The thresholds for this rep: an open plan's weekly target is their own minimum of new opportunities."""
    target = await talks.open_target(s, rep.id, manager_id)
    return th if target is None else replace(th, min_weekly_opportunities=target)


def _quiet(row: SignalFlag | None, now: datetime) -> bool:
    if row is None:
        return False
    return row.status == "dismissed" or (row.status == "snoozed" and row.snoozed_until is not None
                                         and row.snoozed_until > now)


async def for_digest(s, cipher: NotesCipher, *, rep: Person, manager: Person, now: datetime) -> list[Flag]:
    """The rep's flags for the manager's weekly digest (weak and strong), when the line is confirmed."""
    if rep.manager_id != manager.id or rep.workspace_id != manager.workspace_id:
        return []
    return await raised(s, rep=rep, manager_id=manager.id, now=now, cipher=cipher)


async def signal_message(s, cipher: NotesCipher, n: Nudge, manager: Person, now: datetime) -> NudgeMessage | str:
    """The message of a "signal" nudge, described from today's facts; or why it is no longer sent."""
    flag_row = await s.get(SignalFlag, subject_id(n.subject, "flag") or -1)
    if flag_row is None or flag_row.manager_id != manager.id or flag_row.status != "raised":
        return "the signal was dismissed, snoozed or closed"
    rep = await people.get_person(s, workspace_id=manager.workspace_id, person_id=flag_row.rep_id)
    if rep is None or rep.manager_id != manager.id:
        return "the rep no longer reports to this manager"
    found = next((f for f in await raised(s, rep=rep, manager_id=manager.id, now=now, cipher=cipher)
                  if f.key == flag_row.key), None)
    if found is None:
        return "the signal no longer holds"
    return NudgeMessage(n.id, n.kind, f"A signal about {rep.name}, early while it's small:\n{describe(found, rep.name)}",
                        buttons(flag_row.id, rep.name),
                        ("Your words with them matter more than the numbers. "
                         f"{rep.name} can see these same facts with /coach signals.",))


def buttons(flag_id: int, rep_name: str) -> tuple[tuple[str, str, str], ...]:
    """The three buttons of a signal: each names the flag, checked again when pressed."""
    value = str(flag_id)
    return (("signal_prepare", f"Prepare a conversation with {rep_name}"[:75], value),
            ("signal_dismiss", "Dismiss", value), ("signal_snooze", "Snooze a week", value))


@dataclass(frozen=True)
class Told:
    """One rep's current flags, for a reading by `/coach signals`."""

    rep: Person
    flags: tuple[Flag, ...]


class SignalActions:
    """The signal buttons (registered in the one button registry) and `/coach signals`."""

    def __init__(self, ctx: Context, buttons_: Buttons, talk: Callable[[Actor, Command, str | None], Awaitable[list]]):
        self.ctx = ctx
        self._talk = talk  # the road `/coach talk @rep` takes
        for button in (Button("signal_prepare", "flag", self._prepare), Button("signal_dismiss", "flag", self._dismiss),
                       Button("signal_snooze", "flag", self._snooze)):
            buttons_.add(button)

    async def _line(self, s, me: Person, flag: SignalFlag) -> tuple[Person | None, Refused | None]:
        """The flag's rep, if the presser is their confirmed manager now and the flag is still theirs."""
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=flag.rep_id)
        name = rep.name if rep else "This rep"
        if rep is None or rep.manager_id != me.id:
            return None, Refused(LINE_GONE.format(rep=name))
        if flag.status == "closed":
            return None, Refused(CLOSED.format(rep=name))
        return rep, None

    async def _prepare(self, s, me: Person, flag: SignalFlag, _option: str) -> list[Any]:
        rep, refused = await self._line(s, me, flag)
        if refused:
            return [refused]
        flag.prepared_at = self.ctx.clock.now()  # the talk can open with this flag's facts
        s.add(flag)
        ref = PersonRef(rep.platform_user_id, rep.name)
        return [Then(lambda actor: self._talk(actor, Command("talk", people=(ref,)), None))]

    async def _dismiss(self, s, me: Person, flag: SignalFlag, _option: str) -> list[Any]:
        rep, refused = await self._line(s, me, flag)
        if refused:
            return [refused]
        await signal_flags.set_status(s, flag=flag, status="dismissed", now=self.ctx.clock.now())
        await nudges.cancel_pending(s, subject=subject("flag", flag.id), reason="dismissed")
        return [Say(f"Dismissed — I won't raise this about {rep.name} again. If a new decline starts, that's "
                    "a new signal.", tone="success")]

    async def _snooze(self, s, me: Person, flag: SignalFlag, _option: str) -> list[Any]:
        rep, refused = await self._line(s, me, flag)
        if refused:
            return [refused]
        if flag.status == "dismissed":  # Dismiss promised never again; a later Snooze must not undo that
            return [Say(f"You already dismissed this signal about {rep.name}, so it stays dismissed and I won't "
                        "raise it again. If a new decline starts, that's a new signal.")]
        now = self.ctx.clock.now()
        until = now + SNOOZE
        await signal_flags.set_status(s, flag=flag, status="snoozed", now=now, until=until)
        await nudges.cancel_pending(s, subject=subject("flag", flag.id), reason="snoozed")
        day = format_day(until.astimezone(zone_of(me)).date())
        return [Say(f"Snoozed — if it still holds after {day}, I'll tell you about {rep.name} again.",
                    tone="success")]

    async def command(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`signals`: a rep reads what their manager is told about them; a manager, their reps' flags."""
        ctx = self.ctx
        now = ctx.clock.now()
        async with ctx.db.session() as s:
            me = await person_for(s, actor, ctx.defaults)
            out: list[Any] = []
            if me.manager_id is not None:
                mine = await raised(s, rep=me, manager_id=me.manager_id, now=now, cipher=ctx.cipher)
                boss = await people.get_person(s, workspace_id=me.workspace_id, person_id=me.manager_id)
                head = f"What coachbot tells {boss.name if boss else 'your manager'} about you right now:"
                out.append(Say("\n".join([head, *(f"• {describe_for_rep(f)}" for f in mine)]) if mine
                               else f"{head} {NOTHING_FOR_REP}"))
            reps = await people.reps_of_id(s, manager_id=me.id)
            if reps:
                told = [Told(r, tuple(await raised(s, rep=r, manager_id=me.id, now=now, cipher=ctx.cipher)))
                        for r in reps]
                out.append(Say(_for_manager(told)))
            if not out:
                out.append(Say("Signals are about a rep and their confirmed manager, and you have neither here yet. "
                               "/coach team shows who reports to whom."))
            return out


def _for_manager(told: list[Told]) -> str:
    lines = [f"• {describe(f, t.rep.name)}" + (" (strong)" if f.strength == STRONG else "")
             for t in told for f in t.flags]
    if not lines:
        return (f"None of your {len(told)} rep{'s' if len(told) != 1 else ''} crosses a signal threshold right now. "
                "Dismissed and snoozed signals aren't shown.")
    return "\n".join(["Signals about your reps right now (dismissed and snoozed ones aren't shown):", *lines])
