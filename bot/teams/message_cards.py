"""Cards sent as messages of their own: a flow's summary, a notice, a loss report, a nudge and its buttons,
the messages that waited for a chat, and the invitation to a loss retrospective.

Each is split by `fit` into parts when it is longer than a message holds; the step card is in `cards`.
"""
from __future__ import annotations

from bot.core.views import LossPrompt, NudgeMessage, ReportView
from bot.teams.adaptive import card, submit, text_block
from bot.teams.fit import BUDGET, fit
from bot.teams.markdown import safe, teams_words
from flows.outputs import Done
from flows.report import lines as report_lines


def done_cards(done: Done, *, budget: int = BUDGET) -> list[dict]:
    """The last card of a flow, its summary — several cards when it is longer than a message holds."""
    items = []
    for s in done.sections:
        items.append(text_block(f"**{safe(s.heading)}**", spacing="Medium"))
        items.append(text_block("\n\n".join(safe(line) for line in s.lines) or " "))
    return fit([text_block(f"**{safe(done.title)} — summary**", size="Medium")], items, budget=budget)


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


# Teams renders at most this many actions in one set: maxActions of its host config (adaptivecards-designer
# lib/hostConfigs/microsoft-teams-light.json), which the strict Teams double checks every card against.
MAX_ACTIONS = 6


def nudge_cards(m: NudgeMessage, *, budget: int = BUDGET) -> list[dict]:
    """A scheduled nudge: its text, any detail lines, and its quick-answer buttons (on the last part; in rows
    of at most MAX_ACTIONS inside the card when there are more, like the pulse's 0-5 and "6 or more…").
    A lost deal's prompt is its own card, as when it is posted in a channel."""
    if m.prompt is not None and not m.parts:
        return [loss_prompt_card(m.prompt)]
    body = [text_block(safe(m.text))] + [text_block(safe(line), spacing="Small") for line in m.detail]
    if m.parts:  # a merged message: each item with its own buttons under it
        items: list[dict] = []
        for p in m.parts:
            items.append(text_block(safe(p.text), separator=True, spacing="Medium"))
            items += [text_block(safe(line), spacing="Small") for line in p.detail]
            if p.actions:  # marked, so a press answers below instead of replacing the others' buttons
                items += action_rows([{**a, "data": {**a["data"], "merged": 1}} for a in nudge_actions(p)])
        return fit(body, items, budget=budget)
    actions = nudge_actions(m)
    if len(actions) <= MAX_ACTIONS:
        return fit([], body, actions, budget=budget)
    return fit([], body + action_rows(actions), budget=budget)


def action_rows(actions: list[dict]) -> list[dict]:
    """Actions as ActionSets of at most MAX_ACTIONS each."""
    return [{"type": "ActionSet", "actions": actions[i:i + MAX_ACTIONS]} for i in range(0, len(actions), MAX_ACTIONS)]


def nudge_card(m: NudgeMessage) -> dict:
    """A nudge that fits one card (tests and short nudges); see `nudge_cards`."""
    (only,) = nudge_cards(m)
    return only


def nudge_actions(m: NudgeMessage) -> list[dict]:
    """A nudge's quick-answer buttons: each sends back the button registry's action id and value (a lost
    deal's "Start retrospective" what the prompt card's own button sends)."""
    return [submit(label, {"coachbot": "retro_start", "retro": int(value)}) if action_id == "retro_start"
            else submit(label, {"coachbot": "nudge", "action": action_id, "value": value})
            for action_id, label, value in m.actions]


def backlog_cards(messages: list[NudgeMessage], *, budget: int = BUDGET) -> list[dict]:
    """Messages that waited for a person to open a chat, together: each with its own buttons."""
    items: list[dict] = []
    for m in messages:
        items.append(text_block(safe(m.text), separator=True, spacing="Medium"))
        items += [text_block(safe(line), spacing="Small") for line in m.detail]
        if m.actions:
            items += action_rows(nudge_actions(m))
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
        rest = [{"type": "Column", "width": 100 - share, "items": [text_block(" ", size="Small")]}] \
            if share < 100 else []
        bars.append({"type": "ColumnSet", "spacing": "Small", "columns": [
            {"type": "Column", "width": 35, "items": [text_block(safe(line.label), size="Small")]},
            {"type": "Column", "width": 50, "items": [
                {"type": "ColumnSet", "columns": bar + rest}]},
            {"type": "Column", "width": 15, "items": [text_block(f"{share}% ({line.count})", size="Small")]}]})
    lines = [text_block(safe(r), spacing="Small") for r in rows[1:]]
    return fit([text_block(f"**{safe(rows[0])}**")], bars + lines, budget=budget)
