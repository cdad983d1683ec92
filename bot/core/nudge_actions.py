"""What the buttons on a nudge do: answer a check-in, note a check-in, snooze, mark things done."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import planner
from bot.core.identity import Actor, person_for
from bot.core.runner import Context
from bot.core.talks import Talks
from bot.core.planner import schedule_of
from flows import cadence
from flows.checkin import LABELS, NEEDS_MANAGER
from flows.outputs import Notify, Refused, Say
from storage import checkins, nudges, people
from storage.models import ActionItem, Conversation, FollowUp, Workspace
from storage.nudges import NewNudge

ACTIONS = ("nudge_checkin", "nudge_checked_in", "nudge_send_checkin", "nudge_snooze", "item_done", "followup_done",
           "pulse", "plan_close")
NOT_YOURS = "This button belongs to someone else's message, so nothing was changed."


class NudgeActions:
    def __init__(self, ctx: Context, talks: Talks):
        self.ctx = ctx
        self.talks = talks
        self.db, self.cipher, self.clock = ctx.db, ctx.cipher, ctx.clock

    async def handle(self, actor: Actor, action_id: str, value: str) -> list[Any]:
        """Run one button press; the value carries the nudge (or item) id and the choice.

        `action_id` may carry the option after a dot (`nudge_checkin.stuck`), as every button posted
        since action ids became unique per block does; older messages send the bare action.
        """
        action_id = action_id.partition(".")[0]
        handler = getattr(self, "_" + action_id, None)
        if action_id not in ACTIONS or handler is None:
            return [Refused("That button is from an older version of coachbot; nothing was changed.")]
        ident, _, choice = value.partition(":")
        try:
            ident_num = int(ident)
        except ValueError:
            return [Refused("That button's data is damaged; nothing was changed.")]
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            return await handler(s, me, ident_num, choice)

    async def _nudge(self, s, me, nudge_id: int):
        return await nudges.get(s, nudge_id=nudge_id, recipient_id=me.id)

    async def _nudge_checkin(self, s, me, nudge_id: int, status: str) -> list[Any]:
        n = await self._nudge(s, me, nudge_id)
        if n is None:
            return [Refused(NOT_YOURS)]
        if status not in LABELS:
            return [Refused("That answer isn't one I know; nothing was recorded.")]
        talk = await s.get(Conversation, int(n.subject.split(":")[1]))
        if talk is None or talk.status != "open":
            return [Say("That plan has been closed, so there's nothing to check in on any more. Thanks all the same!")]
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

    async def _nudge_checked_in(self, s, me, nudge_id: int, _choice: str) -> list[Any]:
        n = await self._nudge(s, me, nudge_id)
        if n is None:
            return [Refused(NOT_YOURS)]
        talk = await s.get(Conversation, int(n.subject.split(":")[1]))
        if talk is None:
            return [Refused("That plan no longer exists.")]
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=talk.rep_id)
        now = self.clock.now()
        await checkins.record_checkin(s, self.cipher, rep=rep, author=me, kind="manager", status=None, note=None,
                                      conversation_id=talk.id, now=now)
        await planner.answered_checkin(s, talk_id=talk.id, who="manager", now=now)
        return [Say(f"Noted: you checked in with {rep.name}. Nice — that's what keeps a plan alive.", tone="success")]

    async def _nudge_send_checkin(self, s, me, nudge_id: int, _choice: str) -> list[Any]:
        n = await self._nudge(s, me, nudge_id)
        if n is None:
            return [Refused(NOT_YOURS)]
        talk = await s.get(Conversation, int(n.subject.split(":")[1]))
        if talk is None or talk.status != "open":
            return [Say("That plan has been closed, so no check-in was sent.")]
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=talk.rep_id)
        now = self.clock.now()
        await nudges.schedule(s, [NewNudge(me.workspace_id, rep.id, "checkin_rep", f"talk:{talk.id}",
                                           f"talk:{talk.id}:asked:{int(now.timestamp())}", now,
                                           {"manager": me.name, "requested_by": me.id})], now=now)
        return [Say(f"I'll ask {rep.name} how it's going, from you — right away if they're at work, otherwise at "
                    "the start of their day. You'll hear what they say.", tone="success")]

    async def _nudge_snooze(self, s, me, nudge_id: int, choice: str) -> list[Any]:
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

    async def _item_done(self, s, me, item_id: int, _choice: str) -> list[Any]:
        item = await s.get(ActionItem, item_id)
        talk = await s.get(Conversation, item.conversation_id) if item else None
        if item is None or talk is None or me.id not in (item.owner_id, talk.manager_id) \
                or item.workspace_id != me.workspace_id:
            return [Refused(NOT_YOURS)]
        if item.status == "done":
            return [Say("Already marked done — thanks.")]
        item.status, item.done_at = "done", self.clock.now()
        s.add(item)
        await nudges.cancel_pending(s, subject=f"item:{item.id}", reason="done")
        return [Say(f"Marked done: “{self.cipher.decrypt(item.text_encrypted)}”. Nice work.", tone="success")]

    async def _followup_done(self, s, me, followup_id: int, _choice: str) -> list[Any]:
        f = await s.get(FollowUp, followup_id)
        if f is None or f.person_id != me.id:
            return [Refused(NOT_YOURS)]
        f.status = "done"
        s.add(f)
        await nudges.cancel_pending(s, subject=f"followup:{f.id}", reason="done")
        return [Say("Marked done — thanks for checking.", tone="success")]

    async def _pulse(self, s, me, nudge_id: int, bucket: str) -> list[Any]:
        if await self._nudge(s, me, nudge_id) is None:
            return [Refused(NOT_YOURS)]
        await checkins.record_checkin(s, self.cipher, rep=me, author=me, kind="pulse", status=bucket[:16], note=None,
                                      conversation_id=None, now=self.clock.now())
        tip = " New opportunities come from prospecting time: block an hour for it early next week." \
            if bucket in ("0", "1-2") else ""
        return [Say(f"Noted: {bucket} new opportunities this week.{tip}", tone="success")]

    async def _plan_close(self, s, me, talk_id: int, _choice: str) -> list[Any]:
        if not await self.talks.close_plan(s, me, talk_id):
            return [Refused("That plan is already closed, or isn't yours to close.")]
        return [Say("Plan closed — its check-ins and reminders are off. Well done seeing it through.", tone="success")]
