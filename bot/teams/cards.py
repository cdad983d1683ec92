"""Pure renderers: neutral outputs → Adaptive Cards (dicts) and Teams message text.

Nothing here imports the Agents SDK; `bot.teams.app` wraps these dicts into activities. Every piece
of user text goes through `safe()` first, so nobody can smuggle a link, markup or a fake mention
into a message through a plan item or a deal name.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from bot.core.commands import help_text
from bot.core.views import LossPrompt, NudgeMessage, Plans, ReportView, SettingsView, Team
from flows.dates import format_day
from flows.outputs import Cancelled, Done, InputKind, Prompt, Refused, Say
from flows.report import lines as report_lines

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ANSWER = "answer"  # the id of a step's input; a submission carries its value under this key
# Teams refuses a message over its size limit (100 KB as UTF-16 in today's docs, 40 KB in older ones,
# about 28 KB as met in practice). A card or text is kept under BUDGET UTF-8 bytes of JSON, leaving
# room for the activity around it; whatever is longer goes out as several messages.
BUDGET = 24_000
MAX_CHOICES = 100
# The Adaptive Card version each element and property needs (adaptivecards.io/explorer): a card
# declares the lowest version its content uses, so older clients (Teams mobile) still render it.
ELEMENT_VERSION = {"ActionSet": "1.2", "Table": "1.5", "Action.Execute": "1.4", "Input.Time": "1.0"}
PROPERTY_VERSION = {
    ("Action.Submit", "associatedInputs"): "1.3", ("Action.Submit", "style"): "1.2",
    ("Action.Submit", "isEnabled"): "1.5", ("Action.Submit", "mode"): "1.5", ("Action.Submit", "tooltip"): "1.5",
    ("Container", "style"): "1.0", ("Container", "minHeight"): "1.2", ("Container", "bleed"): "1.2",
    ("Column", "minHeight"): "1.2", ("Column", "bleed"): "1.2", ("TextBlock", "fontType"): "1.2",
    ("TextBlock", "style"): "1.5", ("Input.Text", "label"): "1.3", ("Input.ChoiceSet", "label"): "1.3",
    ("Input.Date", "label"): "1.3", ("Input.Text", "isRequired"): "1.3", ("Input.Text", "errorMessage"): "1.3",
    ("Input.ChoiceSet", "wrap"): "1.2", ("Input.Text", "inlineAction"): "1.2",
}
CONTAINER_STYLE_VERSION = {"good": "1.2", "attention": "1.2", "warning": "1.2", "accent": "1.2"}
_MARKUP = re.compile(r"([\\`*_\[\]<>#~|])")
_COMMAND = re.compile(r"/coach ")


def safe(text: Any) -> str:
    """User text with markdown and HTML characters escaped, so it shows literally and links can't hide."""
    return _MARKUP.sub(r"\\\1", str(text)).replace("\n", "\n\n") if text is not None else ""


def paragraphs(text: str) -> str:
    """Teams ignores a single line break in markdown: each line becomes its own paragraph."""
    return re.sub(r"(?<!\n)\n(?!\n)", "\n\n", text)


def teams_words(text: str) -> str:
    """Our own texts name Slack's `/coach x`; in Teams the command is typed without the slash prefix."""
    return _COMMAND.sub("", text)


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
    return {"type": "TextBlock", "text": paragraphs(text) or " ", "wrap": True, **extra}


def card(body: list[dict], actions: list[dict] | None = None, *, fallback: str | None = None) -> dict:
    """An Adaptive Card with the given body and actions, declaring the lowest version it needs, with a
    plain fallback text (what a client that cannot render it shows, and the notification line)."""
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                           "version": "1.0", "body": body or [text_block(" ")]}
    if actions:
        out["actions"] = actions
    out["version"] = needed_version(out)
    out["fallbackText"] = fallback or plain_words(out)
    return out


def needed_version(node: Any) -> str:
    """The highest Adaptive Card version any element or property in `node` needs."""
    found = "1.0"
    if isinstance(node, dict):
        kind = node.get("type")
        if isinstance(kind, str):
            found = max(found, ELEMENT_VERSION.get(kind, "1.0"))
            for key in node:
                found = max(found, PROPERTY_VERSION.get((kind, key), "1.0"))
            if kind == "Container":
                found = max(found, CONTAINER_STYLE_VERSION.get(node.get("style", ""), "1.0"))
        for value in node.values():
            found = max(found, needed_version(value))
    elif isinstance(node, list):
        for value in node:
            found = max(found, needed_version(value))
    return found


def plain_words(node: Any, limit: int = 300) -> str:
    """The first words of a card as plain text (markdown escapes and markers dropped)."""
    texts: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if n.get("type") == "TextBlock" and isinstance(n.get("text"), str) and n["text"].strip():
                texts.append(n["text"])
            for key in ("body", "items", "columns"):
                for child in n.get(key) or []:
                    walk(child)
    walk(node)
    words = re.sub(r"\\(.)", r"\1", re.sub(r"\*\*|\s+", " ", " ".join(texts))).strip()
    return words if len(words) <= limit else words[:limit - 1] + "…"


def size(payload: Any) -> int:
    """Bytes of a card (or any JSON) as it goes over the wire: the SDK sends JSON with every non-ASCII
    character escaped (\\u00fc is six bytes, an emoji twelve)."""
    return len(json.dumps(payload, separators=(",", ":")))


def head_that_fits(text: str, room: int) -> str:
    """The longest start of `text` whose JSON is at most `room` bytes, never ending inside a markdown
    escape (a lone backslash) — the rest goes on in the next part."""
    lo, hi = 1, len(text)
    while lo < hi:  # binary search on the escaped size, which grows with the prefix
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    cut = lo
    while cut > 1 and text[cut - 1] == "\\":
        cut -= 1
    return text[:cut]


def fit(head: list[dict], items: list[dict], actions: list[dict] | None = None, *, budget: int = BUDGET) -> list[dict]:
    """Cards holding `items` under `head`, as many as it takes to stay under the size budget. The parts
    say they continue; the actions go on the last one. Nothing is cut."""
    parts: list[list[dict]] = [[]]
    # What the card adds around the items, plus room for a fallback text of 300 characters in any script.
    room = budget - size(card(head + [text_block("Part 99 of 99")], actions, fallback="")) - 1300
    for item in items:
        for piece in _smaller(item, room):
            if parts[-1] and size(parts[-1] + [piece]) > room:
                parts.append([])
            parts[-1].append(piece)
    if len(parts) == 1:
        return [card(head + parts[0], actions)]
    n = len(parts)
    return [card(head + part + [text_block(f"Part {i + 1} of {n}" + (", continued in the next message." if i < n - 1
                                                                     else "."), isSubtle=True, size="Small")],
                 actions if i == n - 1 else None)
            for i, part in enumerate(parts)]


def split_card(whole: dict) -> list[dict]:
    """A card as two or more cards of about half its size (Teams refused it as too large)."""
    return fit([], whole.get("body") or [], whole.get("actions"), budget=max(size(whole) // 2, 4000))


def _smaller(item: dict, room: int) -> list[dict]:
    """An element cut into TextBlocks that each fit `room` (only a TextBlock can be, at paragraph breaks)."""
    if size(item) <= room or item.get("type") != "TextBlock":
        return [item]
    pieces, current = [], []
    for para in item["text"].split("\n\n"):
        while size(para) > room // 2:  # one paragraph longer than a card: cut it, never inside an escape
            piece = head_that_fits(para, room // 2)
            pieces.append({**item, "text": piece})
            para = para[len(piece):]
        if current and size({**item, "text": "\n\n".join(current + [para])}) > room:
            pieces.append({**item, "text": "\n\n".join(current)})
            current = []
        current.append(para)
    if current:
        pieces.append({**item, "text": "\n\n".join(current)})
    return pieces


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


def done_cards(done: Done, *, budget: int = BUDGET) -> list[dict]:
    """The last card of a flow, its summary — several cards when it is longer than a message holds."""
    items = []
    for s in done.sections:
        items.append(text_block(f"**{safe(s.heading)}**", spacing="Medium"))
        items.append(text_block("\n\n".join(safe(line) for line in s.lines) or " "))
    return fit([text_block(f"**{safe(done.title)} — summary**", size="Medium")], items, budget=budget)


def done_card(done: Done) -> dict:
    """The first card of a summary (the one that replaces the last step's card)."""
    return done_cards(done)[0]


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


def nudge_cards(m: NudgeMessage, *, budget: int = BUDGET) -> list[dict]:
    """A scheduled nudge: its text, any detail lines, and its quick-answer buttons (on the last part)."""
    return fit([], [text_block(safe(m.text))] + [text_block(safe(line), spacing="Small") for line in m.detail],
               nudge_actions(m), budget=budget)


def nudge_card(m: NudgeMessage) -> dict:
    """A nudge that fits one card (tests and short nudges); see `nudge_cards`."""
    (only,) = nudge_cards(m)
    return only


def nudge_actions(m: NudgeMessage) -> list[dict]:
    return [submit(label, {"coachbot": "nudge", "action": action_id, "value": value})
            for action_id, label, value in m.actions]


def backlog_cards(messages: list[NudgeMessage], *, budget: int = BUDGET) -> list[dict]:
    """Messages that waited for a person to open a chat, together: each with its own buttons."""
    items: list[dict] = []
    for m in messages:
        items.append(text_block(safe(m.text), separator=True, spacing="Medium"))
        items += [text_block(safe(line), spacing="Small") for line in m.detail]
        if m.actions:
            items.append({"type": "ActionSet", "actions": nudge_actions(m)})
    head = [text_block("**While we hadn't chatted yet, these were waiting for you:**")]
    return fit(head, items, budget=budget)


def report_cards(view: ReportView, *, budget: int = BUDGET) -> list[dict]:
    """A loss report: a bar per reason drawn with card elements (its share of the period's losses),
    then the report's lines. Teams shows no image from a bot without hosting it; bars need none."""
    rows = report_lines(view.report)
    bars = []
    for line in view.report.reasons:
        share = max(0, min(100, round(line.share * 100)))
        bar = [{"type": "Column", "width": share, "items": [
            {"type": "Container", "style": "accent", "items": [text_block(" ", size="Small")]}]}] if share else []
        rest = [{"type": "Column", "width": 100 - share, "items": [text_block(" ", size="Small")]}] if share < 100 else []
        bars.append({"type": "ColumnSet", "spacing": "Small", "columns": [
            {"type": "Column", "width": 35, "items": [text_block(safe(line.label), size="Small")]},
            {"type": "Column", "width": 50, "items": [
                {"type": "ColumnSet", "columns": bar + rest}]},
            {"type": "Column", "width": 15, "items": [text_block(f"{share}% ({line.count})", size="Small")]}]})
    lines = [text_block(safe(r), spacing="Small") for r in rows[1:]]
    return fit([text_block(f"**{safe(rows[0])}**")], bars + lines, budget=budget)


def message_texts(output: Any, *, budget: int = BUDGET) -> list[str]:
    """An output as markdown messages — several when it is longer than one message holds."""
    text = message_text(output)
    parts: list[str] = [""]
    for para in text.split("\n\n"):
        while size(para) > budget // 2:
            piece = head_that_fits(para, budget // 2)
            parts.append(piece)
            para = para[len(piece):]
        if parts[-1] and size(parts[-1] + "\n\n" + para) > budget:
            parts.append("")
        parts[-1] = f"{parts[-1]}\n\n{para}" if parts[-1] else para
    parts = [p for p in parts if p]
    if len(parts) > 1:
        parts = [f"{p}\n\n_Part {i + 1} of {len(parts)}_" for i, p in enumerate(parts)]
    return parts or [" "]


def message_text(output: Any) -> str:
    """A chat message's markdown for outputs shown as text (replies, notifications), whatever its length."""
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
    if isinstance(output, Team) and output.reps:
        return "**Your team:** " + ", ".join(safe(r) for r in output.reps)
    if isinstance(output, Done):
        return "\n\n".join([f"**{safe(output.title)} — summary**"] + [
            f"**{safe(s.heading)}**\n\n" + "\n\n".join(safe(x) for x in s.lines) for s in output.sections])
    if isinstance(output, Refused):
        return "⚠️ " + safe(teams_words(output.reason))
    text = output.text if isinstance(output, (Say, Cancelled)) else None
    if text is None:
        raise TypeError(f"no Teams message for {type(output).__name__}")
    icon = {"error": "⚠️ ", "warning": "⚠️ ", "success": "✅ "}.get(getattr(output, "tone", ""), "")
    return icon + safe(teams_words(text))


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
    return "\n\n".join(parts)


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
