"""Pure renderers: neutral outputs in, Block Kit dicts out. Every piece of user text is escaped here."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.slack.mrkdwn import (
    BUTTON_TEXT, MESSAGE_BLOCKS, MODAL_BLOCKS, MODAL_TITLE, OPTION_TEXT, PLACEHOLDER, clip, context, escape,
    long_text_sections, plain, section,
)
from bot.views import Home, LossPrompt, NudgeMessage, Plans, ReportView, SettingsView, Team
from flows.report import lines as report_lines
from flows.dates import format_day
from flows.outputs import Cancelled, Done, InputKind, Prompt, Refused, Say

FLOW_STEP = "flow_step"
SETTINGS = "settings"
PICK_REP = "pick_rep"
LOST_DEAL = "lost_deal"
ANSWER_BLOCK = "answer"
ANSWER_ACTION = "value"
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}


def step_meta(p: Prompt) -> str:
    """What a modal must carry so its submission can be matched to the exact step and version."""
    return json.dumps({"sid": p.session_id, "v": p.version, "step": p.step_id, "kind": str(p.kind)})


def prompt_view(p: Prompt, notice: str | None = None) -> dict:
    """One step of a flow as a modal: guidance, hints, the input, and back/discard buttons."""
    blocks: list[dict] = []
    if notice:
        blocks.append(context("⚠️ " + escape(notice)))
    if p.stage:
        blocks.append(context(f"*{escape(p.stage)}* · {escape(p.title)}"))
    if p.guidance:
        blocks.append(section(escape(p.guidance)))
    for hint in p.hints:
        blocks.append(section("💡 " + escape(hint.message)))
    if p.hints:
        blocks.append(context("Revise your answer below, or press *Continue* to keep it as it is."))
    if p.kind == InputKind.INFO:
        blocks.append(section("*" + escape(p.text) + "*"))
    else:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": ANSWER_BLOCK,
            "label": plain(p.text),
            "element": element_for(p),
            "optional": not p.required,
        }
        blocks.append(block)
    meta = step_meta(p)
    buttons = []
    if p.can_go_back:
        buttons.append({"type": "button", "action_id": "flow_back", "text": plain("← Back", BUTTON_TEXT),
                        "value": meta})
    buttons.append({
        "type": "button", "action_id": "flow_discard", "text": plain("Discard draft", BUTTON_TEXT),
        "style": "danger", "value": meta,
        "confirm": {"title": plain("Discard this draft?", 100),
                    "text": plain("Everything entered so far will be deleted. This can't be undone.", 300),
                    "confirm": plain("Discard", 30), "deny": plain("Keep it", 30), "style": "danger"},
    })
    blocks.append({"type": "actions", "block_id": "flow_nav", "elements": buttons})
    blocks.append(context("Closing this window keeps your draft: run the same command again to pick it up."))
    return {
        "type": "modal",
        "callback_id": FLOW_STEP,
        "title": plain(p.flow_title, MODAL_TITLE),
        "submit": plain("Continue" if p.hints else ("Next" if p.kind == InputKind.INFO else "Save & continue"), 24),
        "close": plain("Close", 24),
        "notify_on_close": True,
        "private_metadata": meta,
        "blocks": blocks[:MODAL_BLOCKS],
    }


def element_for(p: Prompt) -> dict:
    """The Block Kit input element for a step's input kind, prefilled with the best known value."""
    value = p.value
    if p.kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT):
        el: dict[str, Any] = {"type": "plain_text_input", "action_id": ANSWER_ACTION,
                              "multiline": p.kind == InputKind.LONG_TEXT}
        if p.max_length:
            el["max_length"] = min(p.max_length, 3000)
        if isinstance(value, str) and value:
            el["initial_value"] = value[:3000]
        if p.placeholder:
            el["placeholder"] = plain(p.placeholder.replace("\n", " · "), PLACEHOLDER)
        return el
    if p.kind in (InputKind.CHOICE, InputKind.YES_NO):
        options = [_option(o.value, o.label) for o in p.options] if p.kind == InputKind.CHOICE else \
            [_option("yes", "Yes"), _option("no", "No")]
        el = {"type": "radio_buttons" if len(options) <= 10 else "static_select", "action_id": ANSWER_ACTION,
              "options": options}
        chosen = _yes_no(value) if p.kind == InputKind.YES_NO else value
        initial = next((o for o in options if o["value"] == chosen), None)
        if initial:
            el["initial_option"] = initial
        return el
    if p.kind == InputKind.MULTI_CHOICE:
        options = [_option(o.value, o.label) for o in p.options]
        el = {"type": "checkboxes" if len(options) <= 10 else "multi_static_select", "action_id": ANSWER_ACTION,
              "options": options}
        chosen = [o for o in options if isinstance(value, list) and o["value"] in value]
        if chosen:
            el["initial_options"] = chosen
        return el
    if p.kind == InputKind.DATE:
        el = {"type": "datepicker", "action_id": ANSWER_ACTION}
        initial = _iso_date(value) or _iso_date(p.suggestion)
        if initial:
            el["initial_date"] = initial
        return el
    if p.kind == InputKind.PERSON:
        el = {"type": "users_select", "action_id": ANSWER_ACTION}
        if isinstance(value, str) and value.startswith("<@"):
            el["initial_user"] = value[2:].split("|")[0].rstrip(">")
        return el
    raise ValueError(f"no Slack element for {p.kind}")


def read_answer(values: dict, kind: str) -> Any:
    """The answer a modal submission carries for the step's input kind (None when left empty)."""
    el = (values.get(ANSWER_BLOCK) or {}).get(ANSWER_ACTION) or {}
    t = el.get("type")
    if t == "plain_text_input":
        return el.get("value")
    if t in ("radio_buttons", "static_select"):
        return (el.get("selected_option") or {}).get("value")
    if t in ("checkboxes", "multi_static_select"):
        return [o["value"] for o in el.get("selected_options") or []]
    if t == "datepicker":
        return el.get("selected_date")
    if t == "users_select":
        return f"<@{el['selected_user']}>" if el.get("selected_user") else None
    return None


def done_view(done: Done, dm_sent: bool = True) -> dict:
    """The last screen of a flow: its summary, in the same modal."""
    blocks = [section(f"*{escape(done.title)} — summary*")]
    blocks += summary_blocks(done)
    if dm_sent:
        blocks.append(context("A copy of this summary is in your DMs with coachbot."))
    return {"type": "modal", "callback_id": "flow_done", "title": plain(done.title, MODAL_TITLE),
            "close": plain("Done", 24), "blocks": blocks[:MODAL_BLOCKS]}


def summary_blocks(done: Done) -> list[dict]:
    """Each section of a summary: a bold heading, then the user's words, escaped and split if long."""
    blocks: list[dict] = []
    for s in done.sections:
        body = "\n".join(str(line) for line in s.lines)
        blocks += long_text_sections(body, prefix=f"*{escape(s.heading)}*\n")
    return blocks


def notice_view(title: str, text: str) -> dict:
    """A modal with a single message (cancelled, refused, nothing to do)."""
    return {"type": "modal", "callback_id": "notice", "title": plain(title, MODAL_TITLE),
            "close": plain("Close", 24), "blocks": [section(escape(text))]}


def message(output: Any) -> dict:
    """A chat message (ephemeral reply or DM) for one output: {'text': fallback, 'blocks': [...]}."""
    if isinstance(output, Plans):
        return plans_message(output)
    if isinstance(output, SettingsView):
        return {"text": "Your settings", "blocks": [section(settings_text(output))]}
    if isinstance(output, Team):
        return team_message(output)
    if isinstance(output, ReportView):
        text = report_lines(output.report)
        body = "\n".join(escape(line) for line in text[1:])
        blocks = [section(f"*{escape(text[0])}*")] + ([section(f"```{body}```")] if body else [])
        return {"text": clip(escape(text[0]), 3000), "blocks": blocks}
    if isinstance(output, LossPrompt):
        return loss_prompt_message(output)
    if isinstance(output, Done):
        blocks = [section(f"*{escape(output.title)} — summary*")] + summary_blocks(output)
        return {"text": f"{output.title} — summary", "blocks": blocks[:MESSAGE_BLOCKS]}
    text = output.reason if isinstance(output, Refused) else output.text if isinstance(output, (Say, Cancelled)) \
        else str(output)
    icon = {"error": "⚠️ ", "warning": "⚠️ ", "success": "✅ "}.get(getattr(output, "tone", ""), "")
    if isinstance(output, Refused):
        icon = "⚠️ "
    return {"text": clip(escape(text), 3000), "blocks": long_text_sections(text, prefix=icon)[:MESSAGE_BLOCKS]}


def plans_message(p: Plans) -> dict:
    """Open plans as a message: one section per plan with its items and overdue marks."""
    blocks = []
    if p.followups:
        blocks.append(section("*To check*\n" + "\n".join(
            f"• {escape(text)}" + (f" (by {format_day(due)})" if due else "") for text, due in p.followups)))
    if not p.plans:
        blocks.append(section("No open plans. Start one with `/coach talk @name`."))
        return {"text": "No open plans.", "blocks": blocks}
    for plan in p.plans:
        blocks.append(section(plan_text(plan, p.viewer_id, p.today)))
    return {"text": f"{len(p.plans)} open plan(s)", "blocks": blocks[:MESSAGE_BLOCKS]}


def plan_text(plan, viewer_id: int, today: date) -> str:
    """One plan in mrkdwn: who it is with, when it is reviewed, and each item with its due date."""
    head = f"*Plan with {escape(plan.rep_name)}*" if plan.manager_id == viewer_id else \
        f"*Your plan with {escape(plan.manager_name)}*"
    lines = [f"{head} — review {format_day(plan.review_on)}"]
    overdue = {i.id for i in plan.overdue(today)}
    for item in plan.items:
        due = f"due {format_day(item.due_on)}" if item.due_on else "no date"
        flag = " :warning: *overdue*" if item.id in overdue else ""
        lines.append(f"• {escape(item.owner_name)}: {escape(item.text)} ({due}){flag}")
    return "\n".join(lines)


def settings_text(v: SettingsView) -> str:
    """Settings as a short mrkdwn summary."""
    days = ", ".join(DAY_NAMES[d][:3] for d in v.work_days if d in DAY_NAMES)
    source = "your choice" if v.tz_override else "from your profile"
    paused = f"\n*Paused until* {v.paused_until:%Y-%m-%d %H:%M} UTC" if v.paused_until else ""
    return (f"*Time zone* {escape(v.tz)} ({source})\n*Working hours* {v.work_start}–{v.work_end}\n"
            f"*Working days* {days}{paused}")


def settings_view(v: SettingsView) -> dict:
    """The settings modal: time zone override, working hours and days."""
    tz_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 64,
                             "placeholder": plain(f"{v.profile_tz} (from your Slack profile)", PLACEHOLDER)}
    if v.tz_override:
        tz_el["initial_value"] = v.tz_override
    day_options = [_option(k, name) for k, name in DAY_NAMES.items()]
    return {
        "type": "modal", "callback_id": SETTINGS, "title": plain("Your settings", MODAL_TITLE),
        "submit": plain("Save", 24), "close": plain("Cancel", 24),
        "blocks": [
            section("Nudges and check-ins only arrive inside your working hours, on your working days, "
                    "in your time zone."),
            {"type": "input", "block_id": "tz", "optional": True, "label": plain("Time zone"), "element": tz_el,
             "hint": plain("Leave empty to follow your Slack profile. Example: Europe/Berlin")},
            {"type": "input", "block_id": "work_start", "label": plain("Working day starts"),
             "element": {"type": "timepicker", "action_id": "value", "initial_time": v.work_start}},
            {"type": "input", "block_id": "work_end", "label": plain("Working day ends"),
             "element": {"type": "timepicker", "action_id": "value", "initial_time": v.work_end}},
            {"type": "input", "block_id": "work_days", "label": plain("Working days"),
             "element": {"type": "checkboxes", "action_id": "value", "options": day_options,
                         "initial_options": [o for o in day_options if o["value"] in v.work_days]}},
        ],
    }


def pick_rep_view() -> dict:
    """A small modal to choose the rep before a difficult conversation starts."""
    return {
        "type": "modal", "callback_id": PICK_REP, "title": plain("Difficult conversation", MODAL_TITLE),
        "submit": plain("Start", 24), "close": plain("Cancel", 24),
        "blocks": [
            section("Who is the conversation with? You'll prepare and record it in six short steps."),
            {"type": "input", "block_id": "rep", "label": plain("Rep"),
             "element": {"type": "users_select", "action_id": "value"}},
        ],
    }


def home_view(h: Home, now: datetime) -> dict:
    """The App Home tab: unfinished drafts, plans led, reps needing time, and the person's own plan."""
    blocks: list[dict] = [{"type": "header", "text": plain(f"Hi {h.name} — your coaching", 150)}]
    for u in h.unfinished:
        what = f"Conversation with {escape(u.about)}" if u.flow == "talk" else "Your check-in"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f":pencil2: *{what}* — unfinished "
                                                    f"(saved {format_day(u.updated_at.date())})"},
                       "accessory": {"type": "button", "action_id": "home_resume", "text": plain("Continue", 75),
                                     "value": u.session_id}})
    for retro_id, deal in h.waiting_retros:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": f":chart_with_downwards_trend: *{escape(deal)}* was lost — "
                                                          "a short retrospective is waiting for you"},
                       "accessory": {"type": "button", "action_id": "retro_start", "text": plain("Start", 75),
                                     "value": str(retro_id)}})
    if h.followups:
        blocks.append(section("*To check*\n" + "\n".join(
            f"• {escape(text)}" + (f" (by {format_day(due)})" if due else "") for text, due in h.followups)))
    if h.leading or h.reps:
        blocks.append({"type": "header", "text": plain("Your team", 150)})
    for plan in h.leading:
        blocks.append(section(plan_text(plan, h.viewer_id, h.today)))
    for rep in h.needs_contact(now):
        when = "no check-in or conversation yet" if rep.last_contact is None else \
            f"last contact {(now - rep.last_contact).days} days ago"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(rep.name)}* — {when}"},
                       "accessory": {"type": "button", "action_id": "home_checked_in", "text": plain("I checked in", 75),
                                     "value": rep.external_id}})
    if h.own:
        blocks.append({"type": "header", "text": plain("Your plan", 150)})
        for plan in h.own:
            blocks.append(section(plan_text(plan, h.viewer_id, h.today)))
        if h.next_checkin:
            blocks.append(context(f"Next check-in: {format_day(h.next_checkin.date())} around "
                                  f"{h.next_checkin:%H:%M} — or check in any time with the button below."))
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": "home_checkin", "text": plain("Check in", 75), "style": "primary"}]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "action_id": "home_start_talk", "text": plain("Start a difficult conversation", 75),
         "style": "primary"},
        {"type": "button", "action_id": "home_settings", "text": plain("Settings", 75)},
    ]})
    blocks.append(context("Type `/coach help` anywhere to see every command."))
    return {"type": "home", "blocks": blocks[:MODAL_BLOCKS]}


def _option(value: str, label: str) -> dict:
    return {"text": plain(label, OPTION_TEXT), "value": value}


def _yes_no(value: Any) -> str | None:
    if value is True or (isinstance(value, str) and value.lower() in ("yes", "y", "true")):
        return "yes"
    if value is False or (isinstance(value, str) and value.lower() in ("no", "n", "false")):
        return "no"
    return None


def _iso_date(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def loss_prompt_message(p: LossPrompt) -> dict:
    """The channel post for a lost deal: names the deal and the rep, with a button to start."""
    amount = f" ({p.amount:,.0f})" if p.amount else ""
    rep = f"<@{p.rep_external_id}>" if _is_slack_id(p.rep_external_id) else escape(p.rep_name)
    text = (f":chart_with_downwards_trend: *{escape(p.deal_name)}*{amount} was lost. {rep}, a short retrospective "
            "is waiting for you — ten minutes now makes the next deal easier.")
    return {
        "text": clip(f"{escape(p.deal_name)} was lost — retrospective waiting for {escape(p.rep_name)}", 3000),
        "blocks": [
            section(text),
            {"type": "actions", "block_id": "retro", "elements": [
                {"type": "button", "action_id": "retro_start", "style": "primary", "value": str(p.retro_id),
                 "text": plain("Start retrospective", BUTTON_TEXT)}]},
            context("Only the rep or their manager can open it. The details go to the manager; the rep decides "
                    "whether the channel sees a summary."),
        ],
    }


def lost_deal_view(deal: str, amount: str, rep: str | None, channel: str, thread_ts: str | None) -> dict:
    """The message-shortcut modal: confirm the deal, amount and rep before opening a retrospective."""
    rep_el: dict[str, Any] = {"type": "users_select", "action_id": "value"}
    if rep:
        rep_el["initial_user"] = rep
    deal_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 200}
    if deal:
        deal_el["initial_value"] = deal[:200]
    amount_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 30,
                                 "placeholder": plain("e.g. 12000 or 12k", PLACEHOLDER)}
    if amount:
        amount_el["initial_value"] = amount[:30]
    return {
        "type": "modal", "callback_id": LOST_DEAL, "title": plain("Loss retrospective", MODAL_TITLE),
        "submit": plain("Post", 24), "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"channel": channel, "thread_ts": thread_ts}),
        "blocks": [
            section("I'll post in this channel and invite the rep to a short retrospective."),
            {"type": "input", "block_id": "deal", "label": plain("Deal"), "element": deal_el},
            {"type": "input", "block_id": "amount", "label": plain("Amount"), "optional": True, "element": amount_el},
            {"type": "input", "block_id": "rep", "label": plain("Rep"), "element": rep_el},
        ],
    }


def team_message(t: Team) -> dict:
    """Who is on a manager's team."""
    if not t.reps:
        return {"text": "Nobody is on your team yet.",
                "blocks": [section("Nobody is on your team yet. Add reps with `/coach team add @alex @jo`.")]}
    return {"text": "Your team", "blocks": [section("*Your team:* " + ", ".join(escape(r) for r in t.reps))]}


def _is_slack_id(value: str) -> bool:
    return bool(value) and value[0] in "UW" and value[1:].isalnum() and value.upper() == value


def nudge_message(m: NudgeMessage) -> dict:
    """A nudge DM: its text, any detail lines, and its quick-answer buttons."""
    full = "\n".join((m.text, *m.detail))
    out: list[dict] = long_text_sections(full)
    if m.actions:
        out.append({"type": "actions", "block_id": f"nudge_{m.nudge_id}", "elements": [
            {"type": "button", "action_id": action_id, "text": plain(label, BUTTON_TEXT), "value": value[:2000]}
            for action_id, label, value in m.actions[:25]]})
    return {"text": clip(escape(full), 3000), "blocks": out[:MESSAGE_BLOCKS]}
