"""Modals other than a flow's steps: notices, settings, picking a rep, confirming a lost deal."""
from __future__ import annotations

import json
from typing import Any

from bot.core.views import SettingsView
from bot.core.wording import DAY_NAMES
from bot.slack.blocks.steps import option
from bot.slack.mrkdwn import MODAL_TITLE, PLACEHOLDER, clip, escape, long_text_sections, plain, section

SETTINGS = "settings"
PICK_REP = "pick_rep"
LOST_DEAL = "lost_deal"
NOTICE_PREFIX = "notice_"


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


def settings_view(v: SettingsView) -> dict:
    """The settings modal: time zone override, working hours and days."""
    tz_el: dict[str, Any] = {"type": "plain_text_input", "action_id": "value", "max_length": 64,
                             "placeholder": plain(f"{v.profile_tz} (from your Slack profile)", PLACEHOLDER)}
    if v.tz_override:
        tz_el["initial_value"] = v.tz_override
    day_options = [option(k, name) for k, name in DAY_NAMES.items()]
    fewer = option("fewer", "Fewer messages: one a day, in the morning")
    fewer_el: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": [fewer]}
    if v.fewer_messages:  # Slack refuses initial_options that are not among the options; none is left out
        fewer_el["initial_options"] = [fewer]
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
            {"type": "input", "block_id": "fewer", "optional": True, "label": plain("Scheduled messages"),
             "element": fewer_el,
             "hint": plain("Otherwise up to one in the morning and one in the afternoon, with everything due "
                           "then in it. What someone sends you (a plan, an alert) always comes at once.")},
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
