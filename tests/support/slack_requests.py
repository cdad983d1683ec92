"""Signed requests shaped as Slack documents them: form-encoded commands, payload= interactivity, JSON events."""
from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send with `body`: X-Slack-Request-Timestamp and the v0 HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def command_body(text: str, *, user: str, team: str, response_url: str, trigger_id: str, user_name: str = "",
                 channel: str = "C0GENERAL") -> tuple[str, str]:
    """A slash command as Slack posts it. `text` is what Slack sends: with should_escape, a picked user
    is <@U123|name>, and &, < and > the person typed arrive as &amp;, &lt; and &gt; (`typed()`)."""
    body = urlencode({
        "token": "deprecated-verification-token", "team_id": team, "team_domain": "acme",
        "channel_id": channel, "channel_name": "general", "user_id": user, "user_name": user_name or user.lower(),
        "command": "/coach", "text": text, "api_app_id": "A0001", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id,
    })
    return body, "application/x-www-form-urlencoded"


def interaction_body(payload: dict) -> tuple[str, str]:
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def typed(text: str) -> str:
    """What Slack sends for text a person typed in a message or command: &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_slack_holds_it(view: dict, team: str, values: dict | None = None) -> dict:
    """A view as Slack hands it back in a payload: its own fields added (an empty external_id, null
    submit/close when there were none, ids of the view stack) and a generated block_id on every block
    that had none."""
    view_id = view.get("id", "V0001")
    blocks = [b if b.get("block_id") else {**b, "block_id": f"gen{i:02d}"} for i, b in enumerate(view.get("blocks") or [])]
    return {"submit": None, "close": None, "private_metadata": "", "callback_id": "", "external_id": "",
            "clear_on_close": False, "notify_on_close": False, **view, "blocks": blocks, "id": view_id,
            "team_id": team, "state": {"values": values or {}}, "hash": view.get("hash", "h.1"),
            "previous_view_id": None, "root_view_id": view_id, "app_id": "A0001", "app_installed_team_id": team,
            "bot_id": "BBOT0001"}


def view_submission(view: dict, values: dict, *, user: str, team: str, trigger_id: str) -> dict:
    """A view_submission payload for a view we opened, with the given state values (typed text is raw)."""
    return {
        "type": "view_submission", "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A0001", "token": "deprecated", "trigger_id": trigger_id,
        "view": as_slack_holds_it(view, team, values),
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def block_action(action_id: str, value: str, *, user: str, team: str, trigger_id: str, view: dict | None = None,
                 container: str = "view", channel: str | None = None, message_ts: str | None = None,
                 message_text: str = "", message_blocks: list | None = None) -> dict:
    """A button press. On a message, `message_text` is the message's text as Slack hands it back (escaped)."""
    payload = {
        "type": "block_actions", "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": team}, "api_app_id": "A0001",
        "token": "deprecated", "trigger_id": trigger_id,
        "container": {"type": container, "view_id": (view or {}).get("id", "V0")},
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                     "action_ts": str(time.time())}],
        "is_enterprise_install": False, "enterprise": None,
    }
    if view is not None:
        payload["view"] = as_slack_holds_it({**view, "id": view.get("id", "V0")}, team)
    if channel is not None:
        payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                "is_ephemeral": False}
        payload["channel"] = {"id": channel, "name": "deals"}
        payload["message"] = {"type": "message", "ts": message_ts, "text": message_text, "bot_id": "BBOT0001",
                              **({"blocks": message_blocks} if message_blocks is not None else {})}
    return payload


def message_shortcut(callback_id: str, message: dict, *, user: str, team: str, channel: str,
                     trigger_id: str) -> dict:
    return {
        "type": "message_action", "callback_id": callback_id, "trigger_id": trigger_id,
        "team": {"id": team, "domain": "acme"}, "user": {"id": user, "username": user.lower(), "team_id": team},
        "channel": {"id": channel, "name": "deals"}, "message": message, "message_ts": message.get("ts"),
        "response_url": "", "api_app_id": "A0001", "token": "deprecated", "action_ts": str(time.time()),
        "is_enterprise_install": False, "enterprise": None,
    }


def event_body(event: dict, *, team: str, event_id: str | None = None) -> tuple[str, str]:
    body = json.dumps({
        "token": "deprecated", "team_id": team, "api_app_id": "A0001", "event": event, "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team, "user_id": "UBOT0001", "is_bot": True}],
    })
    return body, "application/json"


def text_answer(text: str) -> dict:
    return {"answer": {"value": {"type": "plain_text_input", "value": text}}}


def radio_answer(value: str) -> dict:
    return {"answer": {"value": {"type": "radio_buttons", "selected_option": {"value": value}}}}


def date_answer(iso: str) -> dict:
    return {"answer": {"value": {"type": "datepicker", "selected_date": iso}}}
