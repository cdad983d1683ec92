"""Chat messages: any output as one or more messages, and the nudge, loss-prompt and team posts."""
from __future__ import annotations

from typing import Any

from bot.core.views import LossPrompt, NudgeMessage, Plans, ReportView, SettingsView, Team
from bot.core.wording import Line, plans_lines, settings_lines, team_lines
from bot.slack.blocks.steps import summary_blocks
from bot.slack.mrkdwn import (
    BUTTON_TEXT, MESSAGE_BLOCKS, SECTION_TEXT, context, escape, fallback, long_text_sections, plain, section,
    text_sections, unescape,
)
from flows.outputs import Cancelled, Done, Refused, Say
from flows.report import lines as report_lines

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
    blocks = mrkdwn_blocks(plans_lines(p))
    return {"text": f"{len(p.plans)} open plan{'s' if len(p.plans) != 1 else ''}" if p.plans else "No open plans.",
            "blocks": blocks}


def mrkdwn_lines(lines: list[Line]) -> list[str]:
    """Lines written once in the core, as Slack mrkdwn: labels bold, the person's words escaped once."""
    out = []
    for line in lines:
        text = escape(line.text)
        if line.label:
            text = f"*{escape(line.label)}*" + (f" {text}" if text else "")
        if line.kind == "item":
            text = f"• {text}"
        if line.flag:
            text += f" :warning: *{escape(line.flag)}*"
        if line.commands:
            text += " " + " · ".join(f"`/coach {escape(c)}`" for c in line.commands)
        out.append(text)
    return out


def mrkdwn_blocks(lines: list[Line]) -> list[dict]:
    """Lines as sections, a new one at each heading, so a plan never starts in the middle of a section."""
    groups: list[list[Line]] = []
    for line in lines:
        if line.kind == "heading" or not groups:
            groups.append([])
        groups[-1].append(line)
    return [block for group in groups for block in text_sections(mrkdwn_lines(group))]


def settings_text(v: SettingsView) -> str:
    """Settings as a short mrkdwn summary (changed in the settings form, so no typing hints)."""
    return "\n".join(mrkdwn_lines(settings_lines(v, how_to_change=False)))


def team_message(t: Team) -> dict:
    """Who is on a manager's team."""
    return {"text": f"Your team ({len(t.reps)})" if t.reps else "Nobody is on your team yet.",
            "blocks": mrkdwn_blocks(team_lines(t))}


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


def _is_slack_id(value: str) -> bool:
    return bool(value) and value[0] in "UW" and value[1:].isalnum() and value.upper() == value


# Where the whole of a nudge cut short is to be read, by its kind (the commands are in bot/core/commands).
IN_FULL_PLANS = "`/coach plans` shows every plan in full."
IN_FULL = {
    "digest": "`/coach signals` and `/coach plans` show your reps' signals and plans in full.",
    "signal": "`/coach signals` shows the signals about your reps in full.",
}


def nudge_message(m: NudgeMessage, most: int = MESSAGE_BLOCKS) -> dict:
    """A nudge DM: its text, any detail lines, and its quick-answer buttons, in one message.

    A nudge is one message (its metadata is what a re-send is checked against), so detail lines
    that would not fit are counted in a closing note instead of being dropped unseen. A merged
    message shows its lead, then each item with its own buttons, sharing the message's blocks.
    """
    if m.parts:
        return _merged(m, most)
    buttons = [{"type": "button", "action_id": action_id, "text": plain(label, BUTTON_TEXT), "value": value}
               for action_id, label, value in m.actions]
    actions = [{"type": "actions", "block_id": f"nudge_{m.nudge_id}" + (f"_{i // 25}" if i else ""),
                "elements": buttons[i:i + 25]} for i in range(0, len(buttons), 25)]
    lines = [escape(m.text)] + [escape(d) for d in m.detail]
    room = most - len(actions) - 1
    out = text_sections(lines)
    if len(out) > room:
        shown = text_sections(lines[:_lines_fitting(lines, room)])
        left = len(lines) - _lines_fitting(lines, room)
        out = shown + [context(f"{left} more line{'s' if left != 1 else ''} didn't fit in this message: "
                               + IN_FULL.get(m.kind, IN_FULL_PLANS))]
    return {"text": fallback("\n".join((m.text, *m.detail))), "blocks": out + actions}


def _merged(m: NudgeMessage, most: int) -> dict:
    """A merged nudge: the lead, then each item (Slack: at most 50 blocks a message, docs.slack.dev/reference/
    block-kit/blocks); an item with long detail gets the room the others leave, and says what didn't fit."""
    head = text_sections([escape(m.text)])
    rendered = [nudge_message(p) for p in m.parts]
    room = most - len(head)
    if sum(len(r["blocks"]) for r in rendered) > room:
        share = room // len(m.parts)
        rendered = [nudge_message(p, max(share, 3)) for p in m.parts]
    return {"text": fallback("\n".join([m.text] + [r["text"] for r in rendered])),
            "blocks": head + [b for r in rendered for b in r["blocks"]]}


def answered(message: dict, outcome: str, pressed: str | None = None) -> dict:
    """A message whose button was pressed, as Slack handed it back: the same content without its buttons,
    then what pressing did. Slack hands text back as it was sent (escaped), so it goes back unchanged.

    In a merged message (several items, each with its buttons in blocks `nudge_<id>`, `nudge_<id>_1`...)
    only the buttons of the item whose button (action id `pressed`, unique in the message) was pressed go:
    the others are still to be answered."""
    found = message.get("blocks") or []
    actions = [b for b in found if b.get("type") == "actions"]
    items = {_item_of(b.get("block_id")) for b in actions}
    hit = [b.get("block_id") for b in actions for e in b.get("elements") or [] if e.get("action_id") == pressed]
    gone = _item_of(hit[0]) if len(items) > 1 and hit else None  # None: every button goes
    kept = [b for b in found
            if b.get("type") != "actions" or (gone is not None and _item_of(b.get("block_id")) != gone)]
    if not kept and message.get("text"):  # a message from before blocks: its text is all there is
        kept = text_sections([message["text"]])
    result = long_text_sections(outcome)
    room = MESSAGE_BLOCKS - len(result)
    text = message.get("text") or ""
    return {"text": (text + "\n" if text else "") + fallback(outcome), "blocks": kept[:room] + result}


def _item_of(block_id: object) -> str:
    """Which nudge a button block belongs to: `nudge_5` for `nudge_5` and its overflow rows `nudge_5_1`..."""
    parts = str(block_id or "").split("_")
    return "_".join(parts[:2])


def _lines_fitting(lines: list[str], sections: int) -> int:
    """How many of `lines` pack into at most `sections` sections."""
    n = len(lines)
    while n and len(text_sections(lines[:n])) > sections:
        n -= 1
    return n
