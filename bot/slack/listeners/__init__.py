"""Bolt listeners: parse a Slack payload, call the service, render its outputs back into Slack.

Slack wants an acknowledgement within 3 seconds. The app runs with process_before_response=True,
so a listener's response goes out as soon as the listener returns (Bolt's other mode polls for the
ack every 10 ms per request). Listeners therefore ack, then hand slow work — Web API calls, DMs,
home refreshes — to `later()`, a tracked background task. Modal submissions run the (millisecond)
flow turn before the ack because Slack needs its result (errors, the next step) in the ack itself.

One module per kind of work; `SlackListeners` puts them together and registers them with Bolt.
"""
from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.slack import blocks, pulse
from bot.slack.auth import SkipRedeliveredEvents
from bot.slack.listeners.commands import CommandListeners
from bot.slack.listeners.flows import FlowListeners
from bot.slack.listeners.home import HomeListeners
from bot.slack.listeners.nudges import NudgeListeners
from bot.slack.listeners.retros import RetroListeners


class SlackListeners(CommandListeners, FlowListeners, RetroListeners, HomeListeners, NudgeListeners):
    """Every Slack listener of coachbot, sharing one service, profile refresher and background set."""

    def register(self, app: AsyncApp) -> None:
        app.middleware(SkipRedeliveredEvents(self.service))
        app.command("/coach")(self.on_command)
        app.view(blocks.FLOW_STEP)(self.on_step)
        app.view_closed(blocks.FLOW_STEP)(self.on_step_closed)
        app.view(blocks.SETTINGS)(self.on_settings)
        app.view(blocks.PICK_REP)(self.on_pick_rep)
        app.view(blocks.LOST_DEAL)(self.on_lost_deal)
        app.view(pulse.PULSE_COUNT)(self.on_pulse_count)
        app.view(re.compile(".*"))(self.on_other_view)  # registered after every form of ours: none of them
        # "retro_start", or "retro_start.1" for a second one in a merged message
        app.action(re.compile(r"^retro_start(\.\d+)?$"))(self.on_retro_start)
        # "nudge_checkin" (messages posted before action ids were unique per block), "nudge_checkin.stuck", or
        # "nudge_checkin.stuck.2" in a merged message that carries two of them
        app.action(re.compile("^(" + "|".join(self.service.buttons.actions) + r")(\.[\w-]+)*$"))(self.on_nudge_button)
        app.shortcut("start_loss_retro")(self.on_loss_shortcut)
        app.action("flow_back")(self.on_back)
        app.action("flow_discard")(self.on_discard)
        app.action("home_resume")(self.on_home_resume)
        app.action("home_start_talk")(self.on_home_start_talk)
        app.shortcut("start_talk")(self.on_home_start_talk)
        app.action("home_checkin")(self.on_home_checkin)
        app.action("home_checked_in")(self.on_home_checked_in)
        app.action("home_settings")(self.on_home_settings)
        app.action(blocks.SHOW_ALL)(self.on_home_page)
        app.action(re.compile("^" + blocks.HOME_PAGE + r"\.(prev|next)$"))(self.on_home_page)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("message")(self.on_message)
        # Answered in every install mode, so Slack never retries them: both stop the workspace's nudges.
        app.event("app_uninstalled")(self.on_uninstalled)
        app.event("tokens_revoked")(self.on_tokens_revoked)
