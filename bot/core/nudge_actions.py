"""What the buttons on a nudge do: answer a check-in, note a check-in, snooze, mark things done.

Each handler gets its subject already checked by the button registry (`bot.core.buttons`): the
presser's own nudge, item, follow-up or plan, in their workspace, of the button's kind.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import planner
from bot.core.buttons import NOT_YOURS, Button, Buttons
from bot.core.identity import zone_of
from bot.core.runner import Context
from bot.core.talks import Talks
from bot.core.planner import schedule_of
from flows import cadence
from flows.checkin import LABELS, NEEDS_MANAGER
from flows.outputs import Notify, Refused, Say
from flows.subjects import subject, subject_id
from storage import checkins, nudges, opportunities, people
from storage.models import ActionItem, Conversation, FollowUp, Nudge, Person, Workspace
from storage.nudges import NewNudge

# The pulse's buttons: 0 to 5 answer at once; "more" asks for the exact number (a number field).
PULSE_CHOICES = tuple((str(n), str(n)) for n in range(6)) + (("more", "6 or more…"),)
OLD_BUCKETS = ("1-2", "3-5", "6+")  # buttons of pulses sent before the pulse took numbers
NOT_A_COUNT = (f"A week's new opportunities is a whole number from 0 to {opportunities.MAX_COUNT}, written in digits "
               "(like 7); nothing was recorded.")
LINE_GONE = ("That plan was agreed with a manager who isn't this rep's confirmed manager now, so nothing was "
             "recorded or passed on. /coach team shows who reports to whom.")
PLAN_GONE = "That plan has been closed, so there's nothing to check in on any more. Thanks all the same!"


class NudgeActions:
    """The buttons of nudges, registered in the one button registry (`Buttons`)."""

    def __init__(self, ctx: Context, talks: Talks, buttons: Buttons):
        self.ctx = ctx
        self.talks = talks
        self.db, self.cipher, self.clock = ctx.db, ctx.cipher, ctx.clock
        for button in (
            Button("nudge_checkin", "nudge", self._nudge_checkin, ("checkin_rep",)),
            Button("nudge_checked_in", "nudge", self._nudge_checked_in, ("checkin_manager",)),
            Button("nudge_send_checkin", "nudge", self._nudge_send_checkin, ("checkin_manager",)),
            Button("nudge_snooze", "nudge", self._nudge_snooze),
            Button("pulse", "nudge", self._pulse, ("pulse",)),
            Button("item_done", "item", self._item_done),
            Button("followup_done", "followup", self._followup_done),
            Button("plan_close", "plan", self._plan_close),
        ):
            buttons.add(button)

    async def _talk(self, s, me: Person, n: Nudge, *, role: str) -> Conversation | None:
        """The plan a nudge is about, if it is in the presser's workspace and they are its rep (or manager)."""
        talk = await s.get(Conversation, subject_id(n.subject, "talk") or -1)
        if talk is None or talk.workspace_id != me.workspace_id:
            return None
        return talk if me.id == (talk.rep_id if role == "rep" else talk.manager_id) else None

    async def _line_gone(self, s, talk: Conversation) -> Refused | None:
        """A refusal when the plan's manager is no longer the rep's confirmed manager (a button pressed
        after the line was changed, withdrawn or made pending): nothing about the rep goes to them."""
        rep = await s.get(Person, talk.rep_id)
        if rep is not None and rep.manager_id == talk.manager_id:
            return None
        return Refused(LINE_GONE)

    async def _nudge_checkin(self, s, me: Person, n: Nudge, status: str) -> list[Any]:
        if status not in LABELS:
            return [Refused("That answer isn't one I know; nothing was recorded.")]
        talk = await self._talk(s, me, n, role="rep")
        if talk is None:
            return [Refused(NOT_YOURS)]
        if talk.status != "open":
            return [Say(PLAN_GONE)]
        if gone := await self._line_gone(s, talk):
            return [gone]
        now = self.clock.now()
        await checkins.record_checkin(s, self.cipher, rep=me, author=me, kind="rep", status=status, note=None,
                                      conversation_id=talk.id, now=now)
        await planner.answered_checkin(s, talk_id=talk.id, who="rep", now=now)
        out: list[Any] = [Say(f"Thanks — noted: {LABELS[status].lower()}.", tone="success")]
        asked = json.loads(n.payload or "{}").get("requested_by")
        manager = await people.get_person(s, workspace_id=me.workspace_id, person_id=talk.manager_id)
        if manager is not None and (status in NEEDS_MANAGER or asked):
            tone = "warning" if status in NEEDS_MANAGER else "info"
            extra = " A quick word from you today would help." if status in NEEDS_MANAGER else ""
            out.append(Notify(manager.id, manager.name, Say(f"{me.name} checked in: {LABELS[status].lower()}.{extra}",
                                                            tone=tone), manager.platform_user_id))
            if status in NEEDS_MANAGER:
                out[0] = Say(f"Thanks — {manager.name} has been told you "
                             f"{'are stuck' if status == 'stuck' else 'could use a hand'}.", tone="success")
        return out

    async def _nudge_checked_in(self, s, me: Person, n: Nudge, _choice: str) -> list[Any]:
        talk = await self._talk(s, me, n, role="manager")
        if talk is None:
            return [Refused("That plan no longer exists, or isn't yours.")]
        if gone := await self._line_gone(s, talk):
            return [gone]
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=talk.rep_id)
        now = self.clock.now()
        await checkins.record_checkin(s, self.cipher, rep=rep, author=me, kind="manager", status=None, note=None,
                                      conversation_id=talk.id, now=now)
        await planner.answered_checkin(s, talk_id=talk.id, who="manager", now=now)
        return [Say(f"Noted: you checked in with {rep.name}. Nice — that's what keeps a plan alive.", tone="success")]

    async def _nudge_send_checkin(self, s, me: Person, n: Nudge, _choice: str) -> list[Any]:
        talk = await self._talk(s, me, n, role="manager")
        if talk is None or talk.status != "open":
            return [Say("That plan has been closed, so no check-in was sent.")]
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=talk.rep_id)
        if rep is None or rep.manager_id != me.id:
            return [Say(f"{rep.name if rep else 'Your rep'} hasn't confirmed they report to you, so nothing was "
                        "sent to them. Once they accept your invitation (/coach team add), you can ask again.")]
        if not talk.shared_with_rep:
            return [Say(f"You kept the plan with {rep.name} to yourself, so I won't ask them about it. To check in "
                        f"anyway, talk to them and note it with /coach checkin <@{rep.platform_user_id}>.")]
        now = self.clock.now()
        await nudges.schedule(s, [NewNudge(me.workspace_id, rep.id, "checkin_rep", subject("talk", talk.id),
                                           f"{subject('talk', talk.id)}:asked:{int(now.timestamp())}", now,
                                           {"manager": me.name, "requested_by": me.id})], now=now)
        return [Say(f"I'll ask {rep.name} how it's going, from you — right away if they're at work, otherwise at "
                    "the start of their day. You'll hear what they say.", tone="success")]

    async def _nudge_snooze(self, s, me: Person, n: Nudge, choice: str) -> list[Any]:
        nudge_id = n.id
        now = self.clock.now()
        workspace = await s.get(Workspace, me.workspace_id)
        sched = schedule_of(me, workspace)
        today = sched.local_today(now)
        key = f"snooze:{nudge_id}:{choice}"
        if choice == "1h":
            due = now + timedelta(hours=1)
            if not cadence.within_hours(due, sched):
                due = cadence.place(today, sched, key, not_before=due)
        elif choice == "tomorrow":
            due = cadence.place(sched.add_workdays(today, 1), sched, key, "morning")
        elif choice == "week":
            due = cadence.place(today + timedelta(days=7), sched, key, "morning")
        else:
            return [Refused("That snooze option isn't one I know.")]
        again = await nudges.snooze(s, nudge_id=nudge_id, recipient_id=me.id, due_at=due, now=now)
        if again is None:
            return [Refused(NOT_YOURS)]
        local = due.astimezone(ZoneInfo(sched.tz))
        return [Say(f"Snoozed — I'll bring it back {local:%a %d %b} at {local:%H:%M}.", tone="success")]

    async def _item_done(self, s, me: Person, item: ActionItem, _choice: str) -> list[Any]:
        if item.status == "done":
            return [Say("Already marked done — thanks.")]
        item.status, item.done_at = "done", self.clock.now()
        s.add(item)
        await nudges.cancel_pending(s, subject=subject("item", item.id), reason="done")
        return [Say(f"Marked done: “{self.cipher.decrypt(item.text_encrypted)}”. Nice work.", tone="success")]

    async def _followup_done(self, s, me: Person, f: FollowUp, _choice: str) -> list[Any]:
        f.status = "done"
        s.add(f)
        await nudges.cancel_pending(s, subject=subject("followup", f.id), reason="done")
        return [Say("Marked done — thanks for checking.", tone="success")]

    async def _pulse(self, s, me: Person, n: Nudge, option: str) -> list[Any]:
        """A pulse answer: 0..5 from a button, "more" (or an old bucket) asks for the exact number, and the
        number typed there comes back as the option. Stored for the week the pulse asked about."""
        if option == "more" or option in OLD_BUCKETS:
            when = pulse_when(me, n, self.clock.now())
            return [AskCount(n.id, f"How many new opportunities did you open {when}? The exact number helps "
                                   "you and your manager see the trend.", label=f"New opportunities {when}")]
        if not (option.isascii() and option.isdigit()) or int(option) > opportunities.MAX_COUNT:
            return [Refused(NOT_A_COUNT)]
        count = int(option)
        week = pulse_week(me, n)
        await opportunities.record_pulse(s, workspace_id=me.workspace_id, person_id=me.id, week_start=week,
                                         count=count, now=self.clock.now())
        tip = " New opportunities come from prospecting time: block an hour for it early next week." \
            if count <= 2 else ""
        noun = "opportunity" if count == 1 else "opportunities"
        return [Say(f"Noted: {count} new {noun} in the week of {week:%d %b}.{tip}", tone="success")]

    async def _plan_close(self, s, me: Person, talk: Conversation, _choice: str) -> list[Any]:
        if not await self.talks.close_plan(s, me, talk.id):
            return [Refused("That plan is already closed, or isn't yours to close.")]
        return [Say("Plan closed — its check-ins and reminders are off. Well done seeing it through.", tone="success")]


@dataclass(frozen=True)
class AskCount:
    """Ask for the exact pulse count: a transport shows a number field (0..most, whole numbers) and presses
    the "pulse" button of `nudge_id` with what was typed as its option."""

    nudge_id: int
    text: str
    label: str = "New opportunities this week"  # the number field's label, naming the week like the text
    most: int = opportunities.MAX_COUNT


def pulse_week(me: Person, n: Nudge) -> date:
    """The Monday of the week a pulse asked about: kept in its payload, else the week it was due in."""
    try:
        return date.fromisoformat(json.loads(n.payload or "{}")["week"])
    except (KeyError, TypeError, ValueError):
        return cadence.week_start(n.due_at.astimezone(zone_of(me)).date())


def pulse_when(me: Person, n: Nudge, now: datetime) -> str:
    """The week a pulse asks about, as its question says it: "this week" while it is still that week in the
    rep's time zone, else "in the week of 23 Nov" (a pulse held by a pause, or answered late)."""
    week = pulse_week(me, n)
    if cadence.week_start(now.astimezone(zone_of(me)).date()) == week:
        return "this week"
    return f"in the week of {week:%d %b}"
