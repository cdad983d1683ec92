"""The Slack app manifest an admin pastes must match what the code listens for and asks for."""
from __future__ import annotations

import json
from pathlib import Path

from bot.core.commands import COMMANDS as USAGE
from bot.slack.app import SCOPES
from bot.slack import listeners as slack_listeners
from tests.support import ROOT

MANIFEST = json.loads((ROOT / "slack" / "manifest.json").read_text())
SOURCE = Path(slack_listeners.__file__).read_text()  # where every listener is registered with Bolt


def test_scopes_match_the_oauth_settings():
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == SCOPES


def test_every_url_points_at_the_served_endpoints():
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]]
    urls += [MANIFEST["settings"]["event_subscriptions"]["request_url"], MANIFEST["settings"]["interactivity"]["request_url"]]
    assert all(u.endswith("/slack/events") for u in urls)
    assert all(u.endswith("/slack/oauth_redirect") for u in MANIFEST["oauth_config"]["redirect_urls"])


def test_the_command_and_its_usage_hint_list_the_subcommands():
    (cmd,) = MANIFEST["features"]["slash_commands"]
    assert cmd["command"] == "/coach" and cmd["should_escape"] is True  # mentions arrive as <@U123|name>
    for name in ("help", "talk", "plans", "checkin", "settings", "pause", "resume"):
        assert name in cmd["usage_hint"] and name in USAGE


def test_events_and_shortcuts_have_listeners():
    # Every subscribed event has a listener of its own in every install mode (Slack retries an
    # event that is not answered); test_slack_real and test_slack_oauth send them to a served app.
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        name = event.split(".")[0]
        assert f'app.event("{name}")' in SOURCE
    for shortcut in MANIFEST["features"]["shortcuts"]:
        assert f'app.shortcut("{shortcut["callback_id"]}")' in SOURCE
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
