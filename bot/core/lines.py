"""Reporting lines people can trust: nobody becomes someone's manager alone.

A line is confirmed only when the rep accepts an invitation, a workspace admin sets it, or the
organisation's own data is imported (`coachbot import-team`). Until then the manager may keep
private notes, but nothing of the rep's is theirs and nothing goes to the rep. Every change is
logged (a row of `reporting_changes` and a log line with ids only) and both people are told.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core import planner
from bot.core.buttons import Button, Buttons
from bot.core.identity import zone_of
from bot.core.runner import Context
from flows.outputs import Notify, Refused, Say
from flows.subjects import subject, subject_id
from storage import lines, nudges, people
from storage.models import Nudge, Person
from storage.nudges import NewNudge

log = logging.getLogger("coachbot.lines")

ADMINS_ONLY = ("Only a workspace admin can set reporting lines directly. Ask your rep to accept your "
               "invitation (/coach team add @rep), or ask an admin.")


def told(person: Person, text: str) -> Notify:
    """A message for someone other than the person acting."""
    return Notify(person.id, person.name, Say(text), person.platform_user_id)


def when(at: datetime, viewer: Person) -> str:
    """A moment in the viewer's own time zone, e.g. "Tue 24 Nov, 15:00 (Europe/Berlin)"."""
    zone = zone_of(viewer)
    return f"{at.astimezone(zone):%a %d %b, %H:%M} ({zone.key})"


def logged(rep: Person, old: int | None, new: int | None, by: Person | None, how: str) -> None:
    """The structured log line of a change (ids only: never names, never notes)."""
    log.info("reporting line changed workspace=%s rep=%s from=%s to=%s by=%s how=%s", rep.workspace_id, rep.id,
             old, new, by.id if by else None, how)


class Lines:
    """Invitations, acceptances, withdrawals and direct settings of reporting lines."""

    def __init__(self, ctx: Context, buttons: Buttons | None = None):
        self.ctx = ctx
        if buttons is not None:
            buttons.add(Button("line_accept", "nudge", self._pressed_accept, ("line_invite",)))
            buttons.add(Button("line_decline", "nudge", self._pressed_decline, ("line_invite",)))

    async def cycle(self, s, rep: Person, manager: Person) -> str | None:
        """Why `manager` cannot manage `rep` because of the chain above them, or None."""
        if await lines.manages(s, boss=rep, person=manager):
            return (f"{manager.name} reports to {rep.name} (directly or further up), so {rep.name} can't "
                    f"report to {manager.name}.")
        return None

    async def invite(self, s, me: Person, rep: Person, now: datetime) -> str:
        """Ask `rep` to confirm that they report to `me`; the answer for the manager."""
        if rep.manager_id == me.id:
            return f"{rep.name} is already on your team."
        why = await self.cycle(s, rep, me)
        if why:
            return why
        waiting = await lines.pending_between(s, rep=rep, manager=me, now=now)
        if waiting is not None:
            return f"{rep.name} hasn't answered your invitation yet (it stays open until {waiting.expires_at:%Y-%m-%d})."
        again = await lines.next_invite_allowed(s, rep=rep, manager=me, now=now)
        if again is not None:
            return (f"You've invited {rep.name} {lines.INVITES_PER_DAY} times in the last 24 hours, so I won't ask "
                    f"them again yet: you can invite them again from {when(again, me)}.")
        row, new = await lines.invite(s, rep=rep, manager=me, now=now)
        if not new:  # another request invited them a moment ago
            return (f"{rep.name} already has a pending invitation from {me.name} (it stays open until "
                    f"{row.expires_at:%Y-%m-%d}).")
        await lines.log_change(s, workspace_id=me.workspace_id, rep_id=rep.id, old=rep.manager_id, new=me.id, by=me,
                               how="invited", now=now)
        logged(rep, rep.manager_id, me.id, me, "invited")
        await nudges.schedule(s, [NewNudge(rep.workspace_id, rep.id, "line_invite", subject("invite", row.id),
                                           f"invite:{row.id}:{now.timestamp():.0f}", now, {})], now=now)
        return (f"Invited {rep.name} to confirm they report to you. Until they accept, nothing of theirs is "
                f"shared with you and nothing goes to them.")

    async def withdraw(self, s, me: Person, rep: Person, now: datetime) -> str | None:
        """Withdraw `me`'s pending invitation to `rep`; None when there is none."""
        pending = [i for i, _ in await lines.invites_from(s, manager=me, now=now) if i.rep_id == rep.id]
        if not pending:
            return None
        await lines.drop_invite(s, row=pending[0], by=me, how="withdrawn", now=now)
        logged(rep, None, None, me, "withdrawn")
        await nudges.cancel_pending(s, subject=subject("invite", pending[0].id), reason="invitation withdrawn")
        return f"Withdrew your invitation to {rep.name}."

    async def remove(self, s, me: Person, rep: Person, now: datetime) -> tuple[str, list[Any]]:
        """`team remove @rep`: withdraw a pending invitation, or end a confirmed line (the rep is told)."""
        withdrawn = await self.withdraw(s, me, rep, now)
        if withdrawn:
            return withdrawn, []
        if rep.manager_id != me.id:
            return f"{rep.name} isn't on your team.", []
        await lines.unlink(s, rep=rep, by=me, how="removed", now=now)
        logged(rep, me.id, None, me, "removed")
        return (f"Removed {rep.name}. Their past plans and retrospectives stay with you as history.",
                [told(rep, f"{me.name} removed you from their team on coachbot, so your new check-ins and "
                           f"retrospectives are no longer shared with them.")])

    async def confirm(self, s, rep: Person, manager: Person, by: Person | None, how: str, now: datetime) -> list[Any]:
        """Confirm a line (after the path was checked); tells both people, and a previous manager."""
        why = await self.cycle(s, rep, manager)
        if why:
            return [Refused(why)]
        old = await lines.confirm(s, rep=rep, manager=manager, by=by, how=how, now=now)
        logged(rep, old, manager.id, by, how)
        for talk in await lines.open_shared_plans(s, rep=rep, manager=manager):
            await planner.replan_rep_side(s, talk=talk, manager=manager, rep=rep, now=now)
        out: list[Any] = []
        if by is None or by.id != rep.id:
            out.append(told(rep, f"You now report to {manager.name} on coachbot" +
                            (f" (set by {by.name}, a workspace admin)." if by else " (from your organisation's data).")))
        if by is None or by.id != manager.id:
            out.append(told(manager, f"{rep.name} now reports to you on coachbot; you'll see their plans, "
                                     f"check-ins and retrospectives from here on."))
        if old is not None and old != manager.id:
            before = await people.get_person(s, workspace_id=rep.workspace_id, person_id=old)
            if before is not None:
                out.append(told(before, f"{rep.name} now reports to {manager.name}, so their plans, check-ins and "
                                        f"retrospectives are no longer shared with you. Your own notes stay yours."))
        return out

    async def answer(self, s, me: Person, invite_id: int | None, accept: bool, now: datetime) -> list[Any]:
        """The rep accepts or declines one invitation (None: the only one waiting)."""
        waiting = await lines.invites_to(s, rep=me, now=now)
        chosen = [(i, m) for i, m in waiting if invite_id is None or i.id == invite_id]
        if not chosen:
            return [Refused("There's no open invitation to answer: it was withdrawn, it expired, or it was "
                            "already answered. Your manager can invite you again with /coach team add.")]
        if len(chosen) > 1:
            names = ", ".join(m.name for _, m in chosen)
            return [Say(f"Several managers invited you ({names}). Name the one you report to, e.g. "
                        f"/coach team {'accept' if accept else 'decline'} @{chosen[0][1].name.split()[0].lower()}.",
                        tone="error")]
        row, manager = chosen[0]
        if accept:
            why = await self.cycle(s, me, manager)  # before anything changes: a refusal leaves all as it was
            if why:
                return [Refused(f"{why} Your invitation from {manager.name} stays open; you can decline it with "
                                f"/coach team decline.")]
        await nudges.cancel_pending(s, subject=subject("invite", row.id), reason="invitation answered")
        if accept:
            out = await self.confirm(s, me, manager, me, "accepted", now)
            if out and isinstance(out[0], Refused):
                return out
            return [Say(f"Done: you report to {manager.name}. They'll see your plans, check-ins and "
                        f"retrospectives.", tone="success")] + out
        await lines.drop_invite(s, row=row, by=me, how="declined", now=now)
        logged(me, None, None, me, "declined")
        return [Say(f"Declined: {manager.name} is not your manager on coachbot and sees nothing of yours.",
                    tone="success"),
                told(manager, f"{me.name} declined your invitation, so they are not on your team. If that's a "
                              f"mistake, talk to them or ask a workspace admin.")]

    async def by_name(self, s, me: Person, ref_people, accept: bool, now: datetime) -> list[Any]:
        """`team accept|decline [@manager]`."""
        if not ref_people:
            return await self.answer(s, me, None, accept, now)
        waiting = await lines.invites_to(s, rep=me, now=now)
        wanted = {r.external_id.lower() for r in ref_people} | {r.name.lower() for r in ref_people}
        match = [i for i, m in waiting if m.platform_user_id.lower() in wanted or m.name.lower() in wanted]
        return await self.answer(s, me, match[0].id if match else -1, accept, now)

    async def admin_set(self, s, me: Person, manager: Person, rep: Person, now: datetime) -> list[Any]:
        """`team set @manager @rep` by a workspace admin: a confirmed line at once."""
        if not me.is_admin:
            return [Refused(ADMINS_ONLY)]
        if manager.id == rep.id:
            return [Refused("Someone can't be their own manager.")]
        if rep.manager_id == manager.id:
            return [Say(f"{rep.name} already reports to {manager.name}.")]
        out = await self.confirm(s, rep, manager, me, "admin", now)
        if out and isinstance(out[0], Refused):
            return out
        return [Say(f"Set: {rep.name} reports to {manager.name}.", tone="success")] + out

    async def _pressed(self, s, me: Person, n: Nudge, accept: bool) -> list[Any]:
        return await self.answer(s, me, subject_id(n.subject, "invite") or -1, accept, self.ctx.clock.now())

    async def _pressed_accept(self, s, me: Person, n: Nudge, _option: str) -> list[Any]:
        return await self._pressed(s, me, n, True)

    async def _pressed_decline(self, s, me: Person, n: Nudge, _option: str) -> list[Any]:
        return await self._pressed(s, me, n, False)
