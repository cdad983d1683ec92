"""Pure renderers: neutral outputs → Adaptive Cards (dicts) and Teams message text.

Nothing here imports the Agents SDK; `bot.teams.app` wraps these dicts into activities. Every piece
of user text goes through `safe()` first, so nobody can smuggle a link, markup or a fake mention
into a message through a plan item or a deal name.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.commands import help_text
from bot.views import LossPrompt, NudgeMessage, Plans, ReportView, SettingsView, Team
from flows.dates import format_day
from flows.outputs import Cancelled, Done, InputKind, Prompt, Refused, Say
from flows.report import lines as report_lines

CARD_VERSION = "1.5"  # what Teams renders on desktop, web and mobile
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ANSWER = "answer"  # the id of a step's input; a submission carries its value under this key
MAX_TEXT = 20000  # far below Teams' ~28 KB message limit, leaving room for the card's own JSON
MAX_CHOICES = 100
_MARKUP = re.compile(r"([\\`*_\[\]<>#~|])")
_COMMAND = re.compile(r"/coach ")


def safe(text: Any) -> str:
    """User text with markdown and HTML characters escaped, so it shows literally and links can't hide."""
    return _MARKUP.sub(r"\\\1", str(text)).replace("\n", "\n\n") if text is not None else ""


def teams_words(text: str) -> str:
    """Our own texts name Slack's `/coach x`; in Teams the command is typed without the slash prefix."""
    return _COMMAND.sub("", text)


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Text cut to `limit`, marked with an ellipsis when cut (never silently dropped)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def teams_help() -> str:
    """The help text, with commands as they are typed in Teams (markdown-escaped: `<deal>` must show)."""
    lines = []
    for line in help_text(prefix="").replace("•  ", "• ").replace("(e.g. /coach ", "(e.g. ").splitlines():
        syntax, _, example = line.partition("  (e.g. ")
        if example.rstrip(")") == syntax.removeprefix("• ").split(" — ")[0]:
            line = syntax  # "help (e.g. help)" says nothing twice
        lines.append(safe(line))
    return ("\n".join(lines) + "\n\nIn a personal chat just type the command; in a channel, @mention me first "
            "(e.g. @coachbot lost Acme 12k @Alex). Name people by @mention, or by name in our chat.")


def text_block(text: str, **extra) -> dict:
    """A wrapping TextBlock (text must already be escaped where it holds user input)."""
    return {"type": "TextBlock", "text": clip(text) or " ", "wrap": True, **extra}


def card(body: list[dict], actions: list[dict] | None = None) -> dict:
    """An Adaptive Card with the given body and actions."""
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                           "version": CARD_VERSION, "body": body or [text_block(" ")]}
    if actions:
        out["actions"] = actions
    return out


def submit(title: str, data: dict, *, inputs: bool = False, style: str | None = None) -> dict:
    """An Action.Submit; `inputs=False` sends none of the card's inputs (back, discard, buttons)."""
    action = {"type": "Action.Submit", "title": title[:80], "data": data,
              "associatedInputs": "auto" if inputs else "none"}
    if style:
        action["style"] = style
    return action


def step_data(p: Prompt, what: str) -> dict:
    """What a step card's button sends back: which session, step and version it was answering."""
    return {"coachbot": what, "sid": p.session_id, "step": p.step_id, "v": p.version, "kind": str(p.kind)}


def prompt_card(p: Prompt, notice: str | None = None, intro: str | None = None) -> dict:
    """One step of a flow: guidance, errors and hints, the input of the right kind, and the buttons.

    `notice` is a warning (a stale press); `intro` is what the turn said before the step (e.g. that
    the rep joined your team, or that an unfinished draft was picked up).
    """
    body: list[dict] = [text_block(safe(p.flow_title), weight="Bolder", size="Medium")]
    if intro:
        body.append(text_block(safe(teams_words(intro))))
    if notice:
        body.append(text_block("⚠️ " + safe(teams_words(notice)), color="Warning"))
    if p.stage:
        body.append(text_block(f"**{safe(p.stage)}** · {safe(p.title)}", isSubtle=True, spacing="Small"))
    if p.guidance:
        body.append(text_block(safe(p.guidance)))
    for err in p.errors:
        body.append(text_block("⚠️ " + safe(err.message), color="Attention", weight="Bolder"))
    for hint in p.hints:
        body.append(text_block("💡 " + safe(hint.message), color="Accent"))
    if p.hints:
        body.append(text_block("Revise your answer below, or press **Continue** to keep it as it is.", isSubtle=True))
    if p.kind == InputKind.INFO:
        body.append(text_block(f"**{safe(p.text)}**"))
    else:
        body.append(text_block(safe(p.text), weight="Bolder"))
        body.append(input_for(p))
    go = "Continue" if p.hints else ("Next" if p.kind == InputKind.INFO else "Save & continue")
    actions = [submit(go, step_data(p, "step"), inputs=True, style="positive")]
    if p.can_go_back:
        actions.append(submit("← Back", step_data(p, "back")))
    actions.append(submit("Discard draft", step_data(p, "discard"), style="destructive"))
    body.append(text_block("Every step is saved as you go: type the same command again to pick this up later.",
                           isSubtle=True, size="Small"))
    return card(body, actions)


def input_for(p: Prompt) -> dict:
    """The Adaptive Card input for a step's input kind, prefilled with the best known value."""
    value = p.value
    if p.kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT, InputKind.PERSON):
        el: dict[str, Any] = {"type": "Input.Text", "id": ANSWER, "isMultiline": p.kind == InputKind.LONG_TEXT}
        if p.max_length:
            el["maxLength"] = p.max_length
        if isinstance(value, str) and value:
            el["value"] = value
        if p.placeholder:
            el["placeholder"] = p.placeholder.replace("\n", " · ")[:200]
        return el
    if p.kind in (InputKind.CHOICE, InputKind.YES_NO, InputKind.MULTI_CHOICE):
        options = [(o.value, o.label) for o in p.options] if p.kind != InputKind.YES_NO else [("yes", "Yes"),
                                                                                             ("no", "No")]
        el = {"type": "Input.ChoiceSet", "id": ANSWER, "style": "expanded",
              "choices": [{"title": label, "value": v} for v, label in options[:MAX_CHOICES]]}
        if p.kind == InputKind.MULTI_CHOICE:
            el["isMultiSelect"] = True
            if isinstance(value, list) and value:
                el["value"] = ",".join(str(v) for v in value)
        else:
            chosen = _yes_no(value) if p.kind == InputKind.YES_NO else value
            if chosen in {v for v, _ in options}:
                el["value"] = chosen
        return el
    if p.kind == InputKind.DATE:
        el = {"type": "Input.Date", "id": ANSWER}
        initial = _iso_date(value) or _iso_date(p.suggestion)
        if initial:
            el["value"] = initial
        return el
    raise ValueError(f"no Adaptive Card input for {p.kind}")


def read_answer(value: dict, kind: str) -> Any:
    """The answer a card submission carries for the step's input kind (None when left empty)."""
    raw = value.get(ANSWER)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return [] if kind == InputKind.MULTI_CHOICE else None
    if kind == InputKind.MULTI_CHOICE:
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return [str(v).strip() for v in items if str(v).strip()]
    return raw if isinstance(raw, str) else str(raw)


def done_card(done: Done) -> dict:
    """The last card of a flow: its summary."""
    body = [text_block(f"**{safe(done.title)} — summary**", size="Medium")]
    for s in done.sections:
        body.append(text_block(f"**{safe(s.heading)}**", spacing="Medium"))
        body.append(text_block("\n\n".join(safe(line) for line in s.lines) or " "))
    return card(body)


def notice_card(title: str, text: str) -> dict:
    """A card with one message (discarded, refused, nothing to do), replacing a step card."""
    return card([text_block(f"**{safe(title)}**"), text_block(safe(teams_words(text)))])


def loss_prompt_card(p: LossPrompt) -> dict:
    """The post for a lost deal: names the deal and the rep, with a button to start the retrospective."""
    amount = f" ({p.amount:,.0f})" if p.amount else ""
    text = (f"📉 **{safe(p.deal_name)}**{amount} was lost. {safe(p.rep_name)}, a short retrospective is waiting "
            "for you — ten minutes now makes the next deal easier.")
    return card([text_block(text), text_block("Only the rep or their manager can open it. The details go to the "
                                              "manager; the rep decides whether the channel sees a summary.",
                                              isSubtle=True, size="Small")],
                [submit("Start retrospective", {"coachbot": "retro_start", "retro": p.retro_id}, style="positive")])


def nudge_card(m: NudgeMessage) -> dict:
    """A scheduled nudge: its text, any detail lines, and its quick-answer buttons."""
    body = [text_block(safe(m.text))] + [text_block(safe(line), spacing="Small") for line in m.detail]
    actions = [submit(label, {"coachbot": "nudge", "action": action_id, "value": value[:2000]})
               for action_id, label, value in m.actions[:6]]
    return card(body, actions)


def message_text(output: Any) -> str:
    """A chat message's markdown for outputs shown as text (replies, notifications)."""
    if isinstance(output, Plans):
        return plans_text(output)
    if isinstance(output, SettingsView):
        return settings_text(output)
    if isinstance(output, Team):
        if not output.reps:
            return "Nobody is on your team yet. Add reps with: team add @Alex"
        return "**Your team:** " + ", ".join(safe(r) for r in output.reps)
    if isinstance(output, ReportView):
        rows = report_lines(output.report)
        return f"**{safe(rows[0])}**\n\n" + "\n\n".join(safe(r) for r in rows[1:])
    if isinstance(output, Done):
        return "\n\n".join([f"**{safe(output.title)} — summary**"] + [
            f"**{safe(s.heading)}**\n\n" + "\n\n".join(safe(x) for x in s.lines) for s in output.sections])
    if isinstance(output, Refused):
        return "⚠️ " + safe(teams_words(output.reason))
    text = output.text if isinstance(output, (Say, Cancelled)) else str(output)
    icon = {"error": "⚠️ ", "warning": "⚠️ ", "success": "✅ "}.get(getattr(output, "tone", ""), "")
    return clip(icon + safe(teams_words(text)))


def plans_text(p: Plans) -> str:
    """Open plans: one paragraph per plan with its items and overdue marks."""
    parts = []
    if p.followups:
        parts.append("**To check**\n\n" + "\n\n".join(
            f"• {safe(text)}" + (f" (by {format_day(due)})" if due else "") for text, due in p.followups))
    if not p.plans:
        parts.append("No open plans. Start one with: talk @name")
    for plan in p.plans:
        parts.append(plan_text(plan, p.viewer_id, p.today))
    return clip("\n\n".join(parts))


def plan_text(plan, viewer_id: int, today: date) -> str:
    """One plan: who it is with, when it is reviewed, and each item with its due date."""
    head = f"**Plan with {safe(plan.rep_name)}**" if plan.manager_id == viewer_id else \
        f"**Your plan with {safe(plan.manager_name)}**"
    rows = [f"{head} — review {format_day(plan.review_on)}"]
    overdue = {i.id for i in plan.overdue(today)}
    for item in plan.items:
        due = f"due {format_day(item.due_on)}" if item.due_on else "no date"
        rows.append(f"• {safe(item.owner_name)}: {safe(item.text)} ({due})" + (" ⚠️ **overdue**" if item.id in overdue
                                                                               else ""))
    return "\n\n".join(rows)


def settings_text(v: SettingsView) -> str:
    """Settings as a short summary, with how to change them by typing."""
    source = "your choice" if v.tz_override else "from your profile"
    paused = f"\n\n**Paused until** {v.paused_until:%Y-%m-%d %H:%M} UTC" if v.paused_until else ""
    return (f"**Time zone** {safe(v.tz)} ({source})\n\n**Working hours** {v.work_start}–{v.work_end}\n\n"
            f"**Working days** {', '.join(d.title() for d in v.work_days)}{paused}\n\n"
            "Change them by typing, e.g. settings tz Europe/Berlin · settings hours 08:30-17:00 · "
            "settings days sun,mon,tue,wed,thu")


def _yes_no(value: Any) -> str | None:
    if value is True or value == "yes":
        return "yes"
    if value is False or value == "no":
        return "no"
    return None


def _iso_date(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    return None
