"""Pure renderers: neutral outputs in, Block Kit dicts out. Every piece of user text is escaped here."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from bot.slack.mrkdwn import (
    BUTTON_TEXT, MESSAGE_BLOCKS, MODAL_BLOCKS, MODAL_TITLE, OPTION_TEXT, PLACEHOLDER, SECTION_TEXT, context,
    clip, escape, fallback, long_text_sections, plain, section, text_sections, unescape,
)
from bot.core.views import Home, LossPrompt, NudgeMessage, Plans, ReportView, SettingsView, Team
from flows.report import lines as report_lines
from flows.dates import format_day
from flows.outputs import Cancelled, Done, InputKind, Prompt, Refused, Say

FLOW_STEP = "flow_step"
SETTINGS = "settings"
PICK_REP = "pick_rep"
LOST_DEAL = "lost_deal"
ANSWER_BLOCK = "answer"
NOTICE_PREFIX = "notice_"
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
        blocks += long_text_sections(hint.message, prefix="💡 ")
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
        "blocks": blocks,
    }


def element_for(p: Prompt) -> dict:
    """The Block Kit input element for a step's input kind, prefilled with the best known value."""
    value = p.value
    if p.kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT):
        el: dict[str, Any] = {"type": "plain_text_input", "action_id": ANSWER_ACTION,
                              "multiline": p.kind == InputKind.LONG_TEXT}
        if p.max_length:
            el["max_length"] = min(p.max_length, 3000)
        if isinstance(value, str) and value:  # a draft longer than the field now allows shows where it was cut
            el["initial_value"] = clip(value, el.get("max_length", 3000))
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
    """The last screen of a flow: its summary, in the same modal (the whole of it is also sent by DM)."""
    blocks = [section(f"*{escape(done.title)} — summary*")]
    body = summary_blocks(done)
    room = MODAL_BLOCKS - 2
    if len(body) > room:
        left = len(body) - (room - 1)
        body = body[:room - 1] + [context(f"{left} more part{'s' if left != 1 else ''} of this summary "
                                          "didn't fit here: the copy in your DMs has all of it.")]
    blocks += body
    if dm_sent:
        blocks.append(context("A copy of this summary is in your DMs with coachbot."))
    return {"type": "modal", "callback_id": "flow_done", "title": plain(done.title, MODAL_TITLE),
            "close": plain("Done", 24), "blocks": blocks}


def summary_blocks(done: Done) -> list[dict]:
    """Each section of a summary: a bold heading, then the user's words, escaped and split if long."""
    blocks: list[dict] = []
    for s in done.sections:
        body = "\n".join(str(line) for line in s.lines)
        blocks += long_text_sections(body, prefix=f"*{escape(s.heading)}*\n")
    return blocks


VIEW_KEYS = ("type", "title", "submit", "close", "blocks", "private_metadata", "callback_id", "notify_on_close",
             "clear_on_close", "external_id")


def with_notice(view: dict, text: str) -> dict:
    """The view Slack handed back in a submission, rebuilt to send again with a warning on top.

    For a message that belongs to no input block of the view (Slack only takes `errors` for
    those); the inputs keep their block and action ids, so what the person typed stays.
    """
    again = {k: view[k] for k in VIEW_KEYS if view.get(k) not in (None, "")}  # Slack hands back "" and null
    kept = [b for b in view.get("blocks") or [] if not str(b.get("block_id", "")).startswith(NOTICE_PREFIX)]
    notice = long_text_sections(text, prefix="⚠️ ")
    for i, block in enumerate(notice):
        block["block_id"] = f"{NOTICE_PREFIX}{i}"
    again["blocks"] = notice + kept
    return again


def notice_view(title: str, text: str) -> dict:
    """A modal with a single message (cancelled, refused, nothing to do)."""
    return {"type": "modal", "callback_id": "notice", "title": plain(title, MODAL_TITLE),
            "close": plain("Close", 24), "blocks": [section(escape(text))]}


def message(output: Any) -> dict:
    """One chat message for an output that always fits one (a short notice, an acknowledgement)."""
    parts = messages(output)
    if len(parts) != 1:
        raise ValueError(f"{type(output).__name__} needs {len(parts)} messages; send messages(output)")
    return parts[0]


def messages(output: Any) -> list[dict]:
    """An output as chat messages — as many as it takes to show all of it ({'text', 'blocks'} each)."""
    return split_message(_whole_message(output))


def split_message(m: dict, most: int = MESSAGE_BLOCKS) -> list[dict]:
    """A message with more blocks than Slack takes, as several messages that say they continue."""
    blocks = m["blocks"]
    if len(blocks) <= most:
        return [m]
    size = most - 1
    parts = [blocks[i:i + size] for i in range(0, len(blocks), size)]
    n = len(parts)
    return [{"text": m["text"] if i == 0 else f"{m['text']} (part {i + 1} of {n})",
             "blocks": part + [context(f"Part {i + 1} of {n}" + (", continued in the next message." if i < n - 1
                                                                 else "."))]}
            for i, part in enumerate(parts)]


def _whole_message(output: Any) -> dict:
    if isinstance(output, Plans):
        return plans_message(output)
    if isinstance(output, SettingsView):
        return {"text": "Your settings", "blocks": [section(settings_text(output))]}
    if isinstance(output, Team):
        return team_message(output)
    if isinstance(output, ReportView):
        return report_message(output)
    if isinstance(output, LossPrompt):
        return loss_prompt_message(output)
    if isinstance(output, Done):
        blocks = [section(f"*{escape(output.title)} — summary*")] + summary_blocks(output)
        return {"text": fallback(f"{output.title} — summary"), "blocks": blocks}
    text = output.reason if isinstance(output, Refused) else output.text if isinstance(output, (Say, Cancelled)) \
        else None
    if text is None:
        raise TypeError(f"no Slack message for {type(output).__name__}")
    icon = {"error": "⚠️ ", "warning": "⚠️ ", "success": "✅ "}.get(getattr(output, "tone", ""), "")
    if isinstance(output, Refused):
        icon = "⚠️ "
    return {"text": fallback(text), "blocks": long_text_sections(text, prefix=icon)}


def plain_text_of(parts: list[dict]) -> str:
    """The words of messages' section blocks, unescaped (to queue what could not be delivered)."""
    return "\n".join(unescape(b["text"]["text"]) for m in parts for b in m["blocks"]
                     if b.get("type") == "section" and b.get("text"))


def report_message(r: ReportView) -> dict:
    """A loss report: its title, then its table in code blocks (split, never clipped, when long)."""
    text = report_lines(r.report)
    body = [escape(line) for line in text[1:]]
    tables = [f"```{b['text']['text']}```" for b in text_sections(body, SECTION_TEXT - 6)] if body else []
    return {"text": fallback(text[0]), "blocks": [section(f"*{escape(text[0])}*")] + [section(t) for t in tables]}


def plans_message(p: Plans) -> dict:
    """Open plans as a message: each plan with all its items and overdue marks."""
    blocks = followup_blocks(p.followups)
    if not p.plans:
        blocks.append(section("No open plans. Start one with `/coach talk @name`."))
        return {"text": "No open plans.", "blocks": blocks}
    for plan in p.plans:
        blocks += text_sections(plan_lines(plan, p.viewer_id, p.today))
    return {"text": f"{len(p.plans)} open plan{'s' if len(p.plans) != 1 else ''}", "blocks": blocks}


def followup_blocks(followups) -> list[dict]:
    """The things a person said they would check, as sections (none when there are none)."""
    if not followups:
        return []
    return text_sections(["*To check*"] + [f"• {escape(text)}" + (f" (by {format_day(due)})" if due else "")
                                           for text, due in followups])


def plan_lines(plan, viewer_id: int, today: date) -> list[str]:
    """One plan in mrkdwn lines: who it is with, when it is reviewed, and each item with its due date."""
    head = f"*Plan with {escape(plan.rep_name)}*" if plan.manager_id == viewer_id else \
        f"*Your plan with {escape(plan.manager_name)}*"
    lines = [f"{head} — review {format_day(plan.review_on)}"]
    overdue = {i.id for i in plan.overdue(today)}
    for item in plan.items:
        due = f"due {format_day(item.due_on)}" if item.due_on else "no date"
        flag = " :warning: *overdue*" if item.id in overdue else ""
        lines.append(f"• {escape(item.owner_name)}: {escape(item.text)} ({due}){flag}")
    return lines


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


HOME_PAGE = "home_page"
SHOW_ALL = "home_show_all"


def home_view(h: Home, now: datetime) -> dict:
    """The App Home tab: unfinished drafts, plans led, reps needing time, and the person's own plan.

    Slack shows at most 100 blocks. The main buttons always come last and always fit; when the
    rest does not, the tab says how many items are left out and offers *Show all* (`home_items_view`).
    """
    head = [{"type": "header", "text": plain(f"Hi {h.name} — your coaching", 150)}]
    main = [{"type": "button", "action_id": "home_start_talk", "text": plain("Start a difficult conversation", 75),
             "style": "primary"},
            {"type": "button", "action_id": "home_settings", "text": plain("Settings", 75)}]
    if h.own:
        main.insert(0, {"type": "button", "action_id": "home_checkin", "text": plain("Check in", 75)})
        main[1].pop("style")
        main[0]["style"] = "primary"
    tail = [{"type": "actions", "block_id": "home_main", "elements": main},
            context("Type `/coach help` anywhere to see every command.")]
    items = home_items(h, now, buttons=True)
    room = MODAL_BLOCKS - len(head) - len(tail)
    shown: list[dict] = []
    count = 0
    for item in items:
        if len(shown) + len(item) > room - (1 if count + 1 < len(items) else 0):
            break
        shown += item
        count += 1
    if count < len(items):
        left = len(items) - count
        shown.append({"type": "section", "text": {"type": "mrkdwn", "text": f"{left} more item{'s' if left != 1 else ''}"
                                                                             " didn't fit on this page."},
                      "accessory": {"type": "button", "action_id": SHOW_ALL, "text": plain("Show all", 75),
                                    "value": "1"}})
    return {"type": "home", "blocks": head + shown + tail}


def home_items(h: Home, now: datetime, *, buttons: bool) -> list[list[dict]]:
    """Everything the home tab lists, one list of blocks per item (a heading travels with its first item)."""
    items: list[list[dict]] = []
    for u in h.unfinished:
        what = f"Conversation with {escape(u.about)}" if u.flow == "talk" else "Your check-in"
        items.append([_with_button(f":pencil2: *{what}* — unfinished (saved {format_day(u.updated_at.date())})",
                                   "home_resume", "Continue", u.session_id, buttons)])
    for retro_id, deal in h.waiting_retros:
        items.append([_with_button(f":chart_with_downwards_trend: *{escape(deal)}* was lost — a short retrospective "
                                   "is waiting for you", "retro_start", "Start", str(retro_id), buttons)])
    if h.followups:
        items.append(followup_blocks(h.followups))
    team = [text_sections(plan_lines(plan, h.viewer_id, h.today)) for plan in h.leading]
    for rep in h.needs_contact(now):
        when = "no check-in or conversation yet" if rep.last_contact is None else \
            f"last contact {(now - rep.last_contact).days} days ago"
        team.append([_with_button(f"*{escape(rep.name)}* — {when}", "home_checked_in", "I checked in",
                                  rep.external_id, buttons)])
    if team:
        team[0].insert(0, {"type": "header", "text": plain("Your team", 150)})
    own = [text_sections(plan_lines(plan, h.viewer_id, h.today)) for plan in h.own]
    if own:
        own[0].insert(0, {"type": "header", "text": plain("Your plan", 150)})
        if h.next_checkin:
            own[-1].append(context(f"Next check-in: {format_day(h.next_checkin.date())} around "
                                   f"{h.next_checkin:%H:%M} — or check in any time with the *Check in* button."))
    return items + team + own


def _with_button(text: str, action_id: str, label: str, value: str, buttons: bool) -> dict:
    block = section(text)
    if buttons:
        block["accessory"] = {"type": "button", "action_id": action_id, "text": plain(label, 75), "value": value}
    return block


def home_items_view(h: Home, now: datetime, page: int) -> dict:
    """Everything on the home tab, a page at a time, in a modal (the tab itself holds 100 blocks)."""
    pages: list[list[dict]] = [[]]
    for item in home_items(h, now, buttons=False):
        if pages[-1] and len(pages[-1]) + len(item) > MODAL_BLOCKS - 3:
            pages.append([])
        pages[-1] += item
    page = min(max(page, 1), len(pages))
    nav = []
    if page > 1:
        nav.append({"type": "button", "action_id": f"{HOME_PAGE}.prev", "text": plain("← Previous", 75),
                    "value": str(page - 1)})
    if page < len(pages):
        nav.append({"type": "button", "action_id": f"{HOME_PAGE}.next", "text": plain("Next →", 75),
                    "value": str(page + 1)})
    blocks = [context(f"Page {page} of {len(pages)}")] + (pages[page - 1] or [section("Nothing to show.")])
    if nav:
        blocks.append({"type": "actions", "block_id": "pages", "elements": nav})
    return {"type": "modal", "callback_id": "home_items", "title": plain("Your coaching", MODAL_TITLE),
            "close": plain("Close", 24), "blocks": blocks}


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
        "text": fallback(f"{p.deal_name} was lost — retrospective waiting for {p.rep_name}"),
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
    deal_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 200}  # deal_name
    if deal:
        deal_el["initial_value"] = clip(deal, 200)
    amount_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 30,
                                 "placeholder": plain("e.g. 12000 or 12k", PLACEHOLDER)}
    if amount:
        amount_el["initial_value"] = clip(amount, 30)
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
    return {"text": "Your team", "blocks": text_sections(
        [f"*Your team ({len(t.reps)}):*"] + [f"• {escape(r)}" for r in t.reps])}


def _is_slack_id(value: str) -> bool:
    return bool(value) and value[0] in "UW" and value[1:].isalnum() and value.upper() == value


def nudge_message(m: NudgeMessage) -> dict:
    """A nudge DM: its text, any detail lines, and its quick-answer buttons, in one message.

    A nudge is one message (its metadata is what a re-send is checked against), so detail lines
    that would not fit are counted in a closing note instead of being dropped unseen.
    """
    buttons = [{"type": "button", "action_id": action_id, "text": plain(label, BUTTON_TEXT), "value": value}
               for action_id, label, value in m.actions]
    actions = [{"type": "actions", "block_id": f"nudge_{m.nudge_id}" + (f"_{i // 25}" if i else ""),
                "elements": buttons[i:i + 25]} for i in range(0, len(buttons), 25)]
    lines = [escape(m.text)] + [escape(d) for d in m.detail]
    room = MESSAGE_BLOCKS - len(actions) - 1
    out = text_sections(lines)
    if len(out) > room:
        shown = text_sections(lines[:_lines_fitting(lines, room)])
        left = len(lines) - _lines_fitting(lines, room)
        out = shown + [context(f"{left} more line{'s' if left != 1 else ''} didn't fit in this message: "
                               "`/coach plans` shows every plan in full.")]
    return {"text": fallback("\n".join((m.text, *m.detail))), "blocks": out + actions}


def answered(message: dict, outcome: str) -> dict:
    """A message whose button was pressed, as Slack handed it back: the same content without its buttons,
    then what pressing did. Slack hands text back as it was sent (escaped), so it goes back unchanged."""
    kept = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
    if not kept and message.get("text"):  # a message from before blocks: its text is all there is
        kept = text_sections([message["text"]])
    result = long_text_sections(outcome)
    room = MESSAGE_BLOCKS - len(result)
    text = message.get("text") or ""
    return {"text": (text + "\n" if text else "") + fallback(outcome), "blocks": kept[:room] + result}


def _lines_fitting(lines: list[str], sections: int) -> int:
    """How many of `lines` pack into at most `sections` sections."""
    n = len(lines)
    while n and len(text_sections(lines[:n])) > sections:
        n -= 1
    return n
