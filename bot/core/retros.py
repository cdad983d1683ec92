"""Loss retrospectives: a lost deal comes in, the rep looks back on it, the manager and team learn."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core import outbox, planner
from bot.core.commands import Command, PersonRef
from bot.core.identity import Actor, effective_tz, person_for, person_named, zone_of
from bot.core.runner import UNREADABLE, Context, FlowRunner, StateUnreadable
from bot.core.views import LossPrompt
from flows import retro as retro_flow
from flows.dates import add_business_days, format_day
from flows.outputs import Done, Notify, Refused, Say
from flows.subjects import subject, subject_id
from storage import nudges, people, retros, sessions
from storage.models import FlowSession, Person

DEAL_NAME_MAX = 200  # retrospectives.deal_name; the lost-deal form allows as much
DEAL_KEY_MAX = 128  # retrospectives.deal_key
AMOUNT = re.compile(r"^[$€£]?(\d[\d,]*(?:\.\d+)?)([kKmM]?)$")
MAX_AMOUNT = 1e12  # larger than any deal; keeps sums and charts finite
LOST_USAGE = "Usage: /coach lost <deal name> [amount] [@rep] — e.g. /coach lost Acme renewal 12k @alex"


def parse_amount(token: str) -> float | None:
    """12000, 12k, $12,000, €8.5k, 1.2m → a number; None if the token isn't an amount (or is beyond MAX_AMOUNT)."""
    m = AMOUNT.match(token)
    if not m:
        return None
    value = float(m.group(1).replace(",", "")) * {"k": 1e3, "m": 1e6}.get(m.group(2).lower(), 1)
    return value if value <= MAX_AMOUNT else None  # a 400-digit number reads as infinity


def manual_deal_key(rep_id: int, deal: str) -> str:
    """The key that makes a deal typed in twice by hand one retrospective, short enough for its column:
    the name itself when it fits (as keys always were), else a digest of it."""
    key = f"manual:{rep_id}:{deal.lower()}"
    # A name that itself starts "sha256:" is digested too, so no typed name can pose as another's digest.
    if len(key) <= DEAL_KEY_MAX and not deal.lower().startswith("sha256:"):
        return key
    return f"manual:{rep_id}:sha256:{hashlib.sha256(deal.lower().encode()).hexdigest()}"


def retro_ref(retro_id: int) -> str:
    """The reference a retrospective's flow session carries."""
    return subject("retro", retro_id)


class RetroService:
    def __init__(self, ctx: Context, runner: FlowRunner):
        self.ctx = ctx
        self.runner = runner
        self.db, self.cipher, self.clock = ctx.db, ctx.cipher, ctx.clock
        runner.on_finish(retro_flow.NAME, self.finish)

    # ---- a lost deal comes in ----------------------------------------------------------------

    async def lost(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`/coach lost <deal> [amount] [@rep]`: open a retrospective and prompt the rep in the channel."""
        words = [w for w in cmd.args]
        amounts = [parse_amount(w) for w in words]
        amount = next((a for a in reversed(amounts) if a is not None), None)
        name_words = [w for w, a in zip(words, amounts) if a is None or a != amount] if amount is not None else words
        if len(cmd.people) > 1:
            return [Say(f"Name one rep (or none, if it was your deal). {LOST_USAGE}", tone="error")]
        huge = next((w for w, a in zip(words, amounts) if a is None and AMOUNT.match(w)), None)
        if huge is not None:
            return [Say(f"“{huge[:30]}” is more than any deal I can keep (at most {MAX_AMOUNT:,.0f}). "
                        f"{LOST_USAGE}", tone="error")]
        outputs, _ = await self.log_lost(actor, " ".join(name_words), amount,
                                         cmd.people[0] if cmd.people else None, channel)
        return outputs

    async def log_lost(self, actor: Actor, deal: str, amount: float | None, rep_ref: PersonRef | None,
                       channel: str | None) -> tuple[list[Any], str | None]:
        """Open the retrospective of a lost deal named exactly `deal` (a form's field, or a command's words)
        and prompt its rep; with the outputs, the field a problem is about ("deal" or "rep"), if any."""
        deal = deal.replace("\x00", "").strip()  # NUL: PostgreSQL refuses it (Socket Mode and the console pass it on)
        if not deal:
            return [Say(f"Name the deal that was lost. {LOST_USAGE}", tone="error")], "deal"
        if len(deal) > DEAL_NAME_MAX:
            return [Say(f"That deal name is {len(deal)} characters long; {DEAL_NAME_MAX} is the most I can keep. "
                        f"Shorten it and try again. {LOST_USAGE}", tone="error")], "deal"
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            rep = await person_named(s, me, rep_ref, self.ctx.defaults) if rep_ref else me
            if rep.id != me.id and rep.manager_id != me.id:
                return [Refused(f"Only {rep.name} or their manager can log {rep.name}'s lost deals. If you manage "
                                f"{rep.name}, invite them with /coach team add @{rep.name.split()[0].lower()}; "
                                f"once they accept, you can.")], "rep"
            key = manual_deal_key(rep.id, deal)
            retro, created = await retros.open_retro(
                s, workspace_id=me.workspace_id, deal_key=key, deal_name=deal, rep=rep, amount=amount,
                lost_on=now.astimezone(zone_of(me)).date(), now=now, opened_by_id=me.id, channel_id=channel)
            prompt = LossPrompt(retro.id, retro.deal_name, retro.amount, rep.name, rep.platform_user_id, channel)
            if created:
                await self._plan_reminders(s, retro, rep, now)
            if not created:
                state = "done" if retro.status == "done" else "still open"
                return [Say(f"{deal} already has a retrospective ({state}); no second one was opened.",
                            tone="warning")], "deal"
            return [prompt, Say(f"Logged {deal} as lost. {rep.name + ' has' if rep.id != me.id else 'You have'} "
                                "a retrospective waiting.", tone="success")], None

    async def from_crm(self, *, platform: str, workspace: str, deal: dict[str, Any], owner: Actor,
                       channel: str | None, source: str) -> tuple[int, bool]:
        """A lost deal reported by a CRM: open its retrospective once, however often it arrives, and queue
        the rep's prompt with it (the dispatcher posts it); the retrospective's id, and whether it is new."""
        now = self.clock.now()
        async with self.db.session() as s:
            rep = await person_for(s, owner, self.ctx.defaults)
            lost_on = deal.get("close_date") or now.astimezone(zone_of(rep)).date()
            retro, created = await retros.open_retro(
                s, workspace_id=rep.workspace_id, deal_key=f"crm:{deal['id']}", deal_name=deal["name"], rep=rep,
                amount=deal.get("amount"), lost_on=lost_on, now=now, source=source, channel_id=channel,
                crm_url=deal.get("url"), stage=deal.get("stage"))
            if created:
                await self._plan_reminders(s, retro, rep, now)
                # In the retrospective's transaction: a crash after the commit still sends it, one before sends nothing.
                await nudges.schedule(s, [outbox.loss_prompt(rep.workspace_id, rep.id, retro.id, now,
                                                             channel=channel)], now=now)
        if created:
            self.runner.wake()  # committed: deliver now rather than at the next tick
        return retro.id, created

    async def queue_prompt(self, actor: Actor, retro_id: int, *, channel: str | None = None,
                           reach: dict[str, Any] | None = None) -> bool:
        """Hand a retrospective's prompt to the outbox (posted in `channel`, reached as `reach` says, or the
        rep's DM when there is none or the bot can't post there), for a transport that could not deliver it at
        once; False when the retrospective is not in the actor's workspace."""
        now = self.clock.now()
        async with self.db.session() as s:
            ws = await people.get_or_create_workspace(s, platform=actor.platform, external_id=actor.workspace)
            retro = await retros.get_retro(s, workspace_id=ws.id, retro_id=retro_id)
            if retro is None:
                return False
            queued = outbox.loss_prompt(ws.id, retro.rep_id, retro.id, now, channel=channel, reach=reach)
            await nudges.schedule(s, [queued], now=now)
        self.runner.wake()
        return True

    async def _plan_reminders(self, s, retro, rep: Person, now: datetime) -> None:
        manager = await people.get_person(s, workspace_id=rep.workspace_id, person_id=rep.manager_id) \
            if rep.manager_id else None
        await planner.plan_retro(s, retro_id=retro.id, rep=rep, manager=manager, deal=retro.deal_name, now=now)

    async def record_prompt(self, actor_workspace: tuple[str, str], retro_id: int, channel: str, ts: str) -> None:
        """Remember where the channel prompt was posted, so the summary can go into its thread."""
        platform, workspace = actor_workspace
        async with self.db.session() as s:
            ws = await people.get_or_create_workspace(s, platform=platform, external_id=workspace)
            await retros.record_prompt(s, workspace_id=ws.id, retro_id=retro_id, channel=channel, ts=ts)

    # ---- the rep fills it in -----------------------------------------------------------------

    async def start(self, actor: Actor, retro_id: int) -> list[Any]:
        """Open (or resume) the retrospective flow — only for the rep or the rep's manager."""
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            # A pressed button's id beyond any row id would overflow SQLite's integers: it names nothing.
            retro = await retros.get_retro(s, workspace_id=me.workspace_id, retro_id=retro_id) \
                if 0 < retro_id < 2 ** 63 else None
            if retro is None:
                return [Refused("That retrospective doesn't exist in this workspace.")]
            rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=retro.rep_id)
            if me.id not in (retro.rep_id, rep.manager_id if rep else None):
                return [Refused(f"Thanks for the help! This retrospective is for {rep.name if rep else 'the rep'} "
                                "(or their manager) to fill in, so I can't open it for you.")]
            if retro.status == "done":
                return [Say(f"The retrospective for {retro.deal_name} is already done — thank you.")]
            row = await sessions.active_session(s, workspace_id=me.workspace_id, user_id=me.id, ref=retro_ref(retro.id))
            if row is not None:
                try:
                    return list((await self.runner.resume(s, row, now, actor=actor))[1].outputs)
                except StateUnreadable:  # a button, not a command: refused here, nothing written
                    return [UNREADABLE]
            retro.status = "in_progress"
            s.add(retro)
            params = {"deal": retro.deal_name, "rep": rep.name if rep else "", "retro_id": retro.id,
                      "tz": effective_tz(me)}
            return await self.runner.start(s, me, retro_flow.NAME, params, retro.rep_id, now,
                                               ref=retro_ref(retro.id), actor=actor)

    async def retro_command(self, actor: Actor, cmd: Command, channel: str | None = None) -> list[Any]:
        """`/coach retro`: start the oldest retrospective waiting for me, or say there is none."""
        async with self.db.session() as s:
            me = await person_for(s, actor, self.ctx.defaults)
            waiting = await retros.pending_for(s, rep=me)
        if not waiting:
            return [Say("No retrospectives are waiting for you. When a deal is lost: /coach lost <deal name>.")]
        outputs = await self.start(actor, waiting[0].id)
        if len(waiting) > 1:
            others = ", ".join(r.deal_name for r in waiting[1:])
            outputs.insert(0, Say(f"Starting with {waiting[0].deal_name}; also waiting: {others}."))
        return outputs

    async def finish(self, s, me: Person, row: FlowSession, done: Done, now: datetime) -> list[Any]:
        """Store the finished retrospective, tell the manager, post in the thread, plan follow-ups."""
        retro_id = subject_id(row.ref, "retro") or -1
        retro = await retros.get_retro(s, workspace_id=me.workspace_id, retro_id=retro_id)
        if retro is None:
            return [Say("This retrospective's deal is no longer here, so nothing was stored.", tone="error")]
        answers = done.answers
        await retros.complete(s, self.cipher, retro=retro, answers=answers, now=now)
        rep = await people.get_person(s, workspace_id=me.workspace_id, person_id=retro.rep_id)
        if rep is not None and retro.manager_id != rep.manager_id:
            # Access moves with the reporting line: the answers go to (and count for) the rep's confirmed
            # manager now, not whoever managed them when the deal was lost.
            retro.manager_id = rep.manager_id
        today = now.astimezone(zone_of(me)).date()
        followups = [dict(item) for item in answers.get("at_risk") or []]
        if answers.get("debrief"):
            followups.append({"text": f"Ask the {retro.deal_name} buyer for a 15-minute debrief",
                              "due": add_business_days(today, 3).isoformat()})
        await nudges.cancel_pending(s, subject=subject("retro", retro.id), reason="retrospective done")
        if followups and rep is not None:
            rows = await retros.add_followups(s, self.cipher, person=rep, retro_id=retro.id, items=followups, now=now)
            await planner.plan_followups(s, person=rep, followups=rows, now=now)
        outputs: list[Any] = [done]
        reason = retro_flow.REASON_LABELS.get(answers.get("primary", ""), "—")
        if answers.get("share") == "channel":
            text = (f"Retrospective on {retro.deal_name} ({rep.name if rep else ''}): lost mainly on "
                    f"{reason.lower()}. Lesson: {answers.get('lesson', '')}")
        else:
            text = f"{rep.name if rep else 'The rep'} finished the retrospective on {retro.deal_name} ✅ (shared with their manager)."
        # Both go through the outbox (queued with what was stored): the rep's answers and whoever logged the loss.
        about = tuple(i for i in (retro.rep_id, retro.opened_by_id) if i is not None)
        if retro.channel_id:
            # Where the prompt was posted, as stored on the retrospective: the reply goes into its thread.
            outputs.append(Notify(me.id, me.name, Say(text), me.platform_user_id, about=about,
                                  channel=retro.channel_id, thread=retro.message_ts))
        manager = await people.get_person(s, workspace_id=me.workspace_id, person_id=retro.manager_id) \
            if retro.manager_id else None
        if manager is not None and manager.id != me.id:
            outputs.append(Notify(manager.id, manager.name,
                                  replace(done, title=f"Loss retrospective: {retro.deal_name}"),
                                  manager.platform_user_id, about=about))
        thanks = "Thanks — that's the most useful thing to do with a lost deal."
        if followups:
            thanks += f" I'll remind you about {len(followups)} follow-up{'s' if len(followups) > 1 else ''}: " + \
                "; ".join(f"{f['text']}" + (f" (by {format_day(f['due'])})" if f.get("due") else "") for f in followups)
        outputs.append(Say(thanks, tone="success"))
        return outputs

