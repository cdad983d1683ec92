"""What each nudge says, built at send time from the current state (so a closed plan sends nothing)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import signals
from bot.core.nudge_actions import PULSE_CHOICES, pulse_when
from bot.core.views import LossPrompt, NudgeMessage
from bot.scheduler import target_series, weekly_digest
from bot.scheduler.delivery import target_of
from flows.dates import format_day
from flows.subjects import subject_id
from storage import checkins as checkins_repo, lines, opportunities, people, talks
from storage.crypto import NotesCipher
from storage.models import ActionItem, Conversation, FollowUp, Nudge, Person, Retrospective

OPENERS = (
    "How's the week going — anything I can clear out of your way?",
    "What's one thing that went better than expected since we talked?",
    "Anything on the plan that turned out harder than we thought?",
    "Which of your open deals would you like a second pair of eyes on?",
    "How are the new conversations with prospects going?",
)
STATUS_LABELS = {"on_track": "on track", "need_hand": "could use a hand", "stuck": "stuck"}


def choice(action: str, label: str, nudge_id: int, option: str) -> tuple[str, str, str]:
    """One of several buttons that do the same action with a different option.

    Slack refuses a block whose buttons share an action_id, so each option gets its own id
    (`nudge_checkin.stuck`); the button registry (`bot.core.buttons`) reads the action before the dot.
    """
    return f"{action}.{_id_safe(option)}", label, f"{nudge_id}:{option}"


def _id_safe(option: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in option)


class Skip(Exception):
    """The nudge is no longer needed; the message says why."""


class Batch:
    """Facts looked up once for a whole claimed batch instead of once per nudge (None: not looked up,
    so a builder asks the database itself)."""

    def __init__(self, crm_workspaces: set[int] | None = None):
        self.crm_workspaces = crm_workspaces  # workspaces whose CRM reports new deals: no pulse question

    @classmethod
    async def load(cls, s: AsyncSession, claimed: list[Nudge]) -> "Batch":
        """Which of the pulse nudges' workspaces count new deals from the CRM (no question there)."""
        spaces = {n.workspace_id for n in claimed if n.kind == "pulse"}
        if not spaces:
            return cls(None)
        return cls({w for w in spaces if await opportunities.crm_reports_new_deals(s, workspace_id=w)})


async def build(s: AsyncSession, cipher: NotesCipher, nudge: Nudge, recipient: Person, now: datetime,
                batch: Batch | None = None) -> NudgeMessage:
    """The message for a claimed nudge, or Skip when its subject is closed or already handled."""
    data = json.loads(nudge.payload or "{}")
    builder = BUILDERS.get(nudge.kind)
    if builder is None:
        raise Skip(f"unknown nudge kind {nudge.kind}")
    if not await _line_holds(s, nudge, recipient):
        raise Skip("the reporting line is not confirmed")
    return await builder(s, cipher, nudge, recipient, data, now, batch or Batch())


async def _line_holds(s: AsyncSession, nudge: Nudge, recipient: Person) -> bool:
    """Nothing about a plan reaches its rep unless the plan's manager is the rep's confirmed manager
    (a plan kept while the line was pending is the manager's private notes)."""
    if nudge.kind == "pulse":
        return recipient.manager_id is not None
    talk_id = subject_id(nudge.subject, "talk")
    if talk_id is None and subject_id(nudge.subject, "item") is not None:
        item = await s.get(ActionItem, subject_id(nudge.subject, "item"))
        talk_id = item.conversation_id if item else None
    talk = await s.get(Conversation, talk_id) if talk_id is not None else None
    return talk is None or recipient.id != talk.rep_id or talk.manager_id == recipient.manager_id


async def _open_talk(s: AsyncSession, nudge: Nudge) -> Conversation:
    talk_id = subject_id(nudge.subject, "talk") or -1
    talk = await s.get(Conversation, talk_id)
    if talk is None or talk.status != "open":
        raise Skip("the plan was closed")
    _kept_from(talk, nudge)
    return talk


def _kept_from(talk: Conversation, nudge: Nudge) -> None:
    """Skip a nudge to the rep about a plan their manager kept to themselves, however it was queued."""
    if nudge.recipient_id == talk.rep_id and not talk.shared_with_rep:
        raise Skip("the plan was not shared with the rep")


async def _checkin_rep(s, cipher, n, recipient, data, now, _batch):
    talk = await _open_talk(s, n)
    return NudgeMessage(n.id, n.kind, f"Quick check-in on the plan you agreed with {data.get('manager', 'your manager')}: "
                        "how's it going this week?",
                        (choice("nudge_checkin", "On track", n.id, "on_track"),
                         choice("nudge_checkin", "Could use a hand", n.id, "need_hand"),
                         choice("nudge_checkin", "Stuck", n.id, "stuck")),
                        await target_series.series(s, talk, now.date()))


async def _checkin_manager(s, cipher, n, recipient, data, now, _batch):
    talk = await _open_talk(s, n)
    rep = data.get("rep", "your rep")
    days = max(1, (now.date() - talk.created_at.date()).days)
    opener = OPENERS[n.id % len(OPENERS)]
    return NudgeMessage(n.id, n.kind, f"It's been {days} day{'s' if days != 1 else ''} since your talk with {rep}. "
                        f"A two-minute check-in keeps the plan alive — you could open with: “{opener}”",
                        (("nudge_checked_in", "I checked in", str(n.id)),
                         ("nudge_send_checkin", f"Send {rep} a check-in", str(n.id)),
                         choice("nudge_snooze", "In 1 hour", n.id, "1h"),
                         choice("nudge_snooze", "Tomorrow", n.id, "tomorrow"),
                         choice("nudge_snooze", "Next week", n.id, "week")))


async def _action_due(s, cipher, n, recipient, data, now, _batch):
    item = await s.get(ActionItem, subject_id(n.subject, "item") or -1)
    if item is None or item.status != "open":
        raise Skip("the action is done")
    talk = await s.get(Conversation, item.conversation_id)
    if talk is None or talk.status != "open":
        raise Skip("the plan was closed")
    _kept_from(talk, n)
    due = format_day(item.due_on) if item.due_on else "soon"
    return NudgeMessage(n.id, n.kind, f"Reminder: “{cipher.decrypt(item.text_encrypted)}” is due {due}.",
                        (("item_done", "Done", str(item.id)), choice("nudge_snooze", "Tomorrow", n.id, "tomorrow")))


async def _review_reminder(s, cipher, n, recipient, data, now, _batch):
    talk = await _open_talk(s, n)
    other = data.get("manager") if recipient.id == talk.rep_id else data.get("rep")
    return NudgeMessage(n.id, n.kind, f"Tomorrow ({format_day(talk.review_on)}) you review the plan with {other}. "
                        "A look at what was agreed beforehand makes it a short, useful conversation.")


async def _review_pack(s, cipher, n, recipient, data, now, _batch):
    talk = await _open_talk(s, n)
    items = await talks.items_of(s, conversation_id=talk.id)
    today = now.date()
    lines = ["What was agreed:"]
    for i in items:
        state = "done ✓" if i.status == "done" else ("OVERDUE" if i.due_on and i.due_on < today else "open")
        owner = data.get("manager", "you") if i.owner_role == "manager" else data.get("rep", "rep")
        due = f", due {format_day(i.due_on)}" if i.due_on else ""
        lines.append(f"• {owner}: {cipher.decrypt(i.text_encrypted)}{due} — {state}")
    rep = await s.get(Person, talk.rep_id)
    confirmed = rep is not None and rep.manager_id == talk.manager_id  # else the rep's check-ins are not theirs
    checkins = await checkins_repo.since(s, rep_id=talk.rep_id, since=talk.created_at) if confirmed else []
    lines.append("Check-ins since:" if checkins else "No check-ins since the talk.")
    for c in checkins:
        what = f"{data.get('rep', 'rep')}: {STATUS_LABELS.get(c.status or '', c.status or '')}" if c.kind == "rep" \
            else ("you checked in" if c.kind == "manager" else f"pipeline pulse: {c.status} new opportunities")
        note = f" — “{cipher.decrypt(c.note_encrypted)}”" if c.note_encrypted else ""
        lines.append(f"• {format_day(c.created_at.date())}: {what}{note}")
    # counted as the signals count them: one number a week, the larger of the pulse answer and the CRM's
    shown = await target_series.weeks(s, talk, today) if confirmed else ()
    target = talk.weekly_target if confirmed else None
    if target:
        lines += target_series.lines(shown, target)
    elif any(w.count is not None for w in shown):
        lines.append("New opportunities per week: " + ", ".join(
            f"{format_day(w.start)}: " + ("no answer" if w.count is None else
                                          f"{w.count}{' (CRM)' if w.source == 'crm' else ''}") for w in shown))
    return NudgeMessage(n.id, n.kind, f"Review day with {data.get('rep', 'your rep')}. Here's the plan and how it went:",
                        (("plan_close", "Close the plan", str(talk.id)),), tuple(lines),
                        series=(shown, target) if target and shown else None)


async def _retro_reminder(s, cipher, n, recipient, data, now, _batch):
    retro = await s.get(Retrospective, subject_id(n.subject, "retro") or -1)
    if retro is None or retro.status == "done":
        raise Skip("the retrospective is done")
    if recipient.id == retro.rep_id:
        return NudgeMessage(n.id, n.kind, f"The retrospective on {retro.deal_name} is still waiting. Ten minutes now, "
                            "while you remember it, will pay off on the next deal.",
                            (("retro_start", "Start it", str(retro.id)),))
    return NudgeMessage(n.id, n.kind, f"{data.get('rep', 'Your rep')}'s retrospective on {retro.deal_name} has been "
                        "open for five working days. A quick word might help them get to it.")


async def _followup_due(s, cipher, n, recipient, data, now, _batch):
    f = await s.get(FollowUp, subject_id(n.subject, "followup") or -1)
    if f is None or f.status != "open":
        raise Skip("the follow-up is done")
    return NudgeMessage(n.id, n.kind, f"Time to check: {cipher.decrypt(f.text_encrypted)}",
                        (("followup_done", "Done", str(f.id)), choice("nudge_snooze", "Tomorrow", n.id, "tomorrow")))


async def _pulse(s, cipher, n, recipient, data, now, batch: Batch):
    known = batch.crm_workspaces
    crm = n.workspace_id in known if known is not None else \
        await opportunities.crm_reports_new_deals(s, workspace_id=n.workspace_id)
    if crm:
        raise Skip("the CRM reports new deals in this workspace")
    return NudgeMessage(n.id, n.kind, f"Pipeline pulse: how many new opportunities did you open "
                        f"{pulse_when(recipient, n, now)}?",
                        tuple(choice("pulse", label, n.id, option) for option, label in PULSE_CHOICES))


async def _digest(s, cipher, n, recipient, data, now, _batch):
    ranked = await weekly_digest.ranked_lines(s, cipher, recipient, now)
    if not ranked:
        raise Skip("no reps")
    return NudgeMessage(n.id, n.kind, weekly_digest.TITLE, (), ranked)


async def _signal(s, cipher, n, recipient, data, now, _batch):
    message = await signals.signal_message(s, cipher, n, recipient, now)
    if isinstance(message, str):
        raise Skip(message)
    return message


async def _message(s, cipher, n, recipient, data, now, _batch):
    if "loss" in data:
        return await _loss_prompt(s, n, recipient, data)
    return NudgeMessage(n.id, n.kind, cipher.decrypt(data["enc"]))


async def _loss_prompt(s, n: Nudge, recipient: Person, data: dict) -> NudgeMessage:
    """A lost deal's prompt for its rep, from the retrospective as it is now (the row holds only its id)."""
    retro = await s.get(Retrospective, data["loss"])
    if retro is None or retro.workspace_id != n.workspace_id:
        raise Skip("the retrospective no longer exists")
    if retro.status == "done":
        raise Skip("the retrospective is already done")
    target = target_of(n)
    prompt = LossPrompt(retro.id, retro.deal_name, retro.amount, recipient.name, recipient.platform_user_id,
                        target.channel if target else None)
    amount = f" ({retro.amount:,.0f})" if retro.amount else ""
    return NudgeMessage(n.id, n.kind, f"{retro.deal_name}{amount} was lost. A short retrospective is waiting for you — "
                        "ten minutes now makes the next deal easier.",
                        (("retro_start", "Start retrospective", str(retro.id)),), prompt=prompt)


async def _invitation(s, n: Nudge, recipient: Person, now: datetime):
    row = await lines.get_invite(s, invite_id=subject_id(n.subject, "invite") or -1, workspace_id=n.workspace_id)
    if row is None or row.expires_at <= now:
        raise Skip("the invitation was answered, withdrawn or has expired")
    return row, await people.by_ids(s, [row.rep_id, row.manager_id])


async def _line_invite(s, cipher, n, recipient, data, now, _batch):
    row, who = await _invitation(s, n, recipient, now)
    manager = who[row.manager_id].name
    return NudgeMessage(n.id, n.kind, f"{manager} says you report to them. If that's right, accept: they'll see your "
                        f"plans, check-ins and retrospectives. If not, decline and nothing is shared. (Or type "
                        f"/coach team accept or /coach team decline; this invitation lapses on "
                        f"{format_day(row.expires_at.date())}.)",
                        (("line_accept", "Accept", str(n.id)), ("line_decline", "Decline", str(n.id))))


async def _line_pending(s, cipher, n, recipient, data, now, _batch):
    row, who = await _invitation(s, n, recipient, now)
    rep = who[row.rep_id].name
    return NudgeMessage(n.id, n.kind, f"Reporting lines on coachbot are now confirmed by the rep. {rep} was on your "
                        f"team without having confirmed it, so they've been asked to. Until they accept, you see "
                        f"nothing of theirs and nothing is sent to them; your own notes stay yours.")


BUILDERS = {
    "message": _message, "line_invite": _line_invite, "line_pending": _line_pending,
    "checkin_rep": _checkin_rep, "checkin_manager": _checkin_manager, "action_due": _action_due,
    "review_reminder": _review_reminder, "review_pack": _review_pack, "retro_reminder": _retro_reminder,
    "followup_due": _followup_due, "pulse": _pulse, "digest": _digest, "signal": _signal,
}
