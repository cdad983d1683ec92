"""Nudge buttons pressed in a DM, and the app leaving a workspace (uninstalled, tokens revoked)."""
from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.screen import screen_of
from bot.slack import blocks
from bot.slack.auth import actor_of
from bot.slack.listeners.base import ListenerBase

log = logging.getLogger("coachbot.slack")
# Pressing these changes what the presser's home tab shows.
HOME_CHANGING = ("item_done", "plan_close", "nudge_checked_in")


class NudgeListeners(ListenerBase):
    """Buttons on nudge DMs, and the events that end an install."""

    async def on_nudge_button(self, ack, body: dict, action: dict, respond, client: AsyncWebClient, context) -> None:
        """A button on a nudge DM: do it, replace the buttons with the outcome, tell whoever else should know."""
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            screen = screen_of(await self.service.buttons.press(actor, action["action_id"], action.get("value", "")))
            for notice in screen.notices:
                if not notice.queued:  # a queued one is the dispatcher's, checked against the DM history
                    await self.dm(client, notice.external_id, notice.output, actor.workspace)
            if screen.words:
                try:
                    await respond(replace_original=True, **blocks.answered(body.get("message") or {}, screen.words))
                except Exception as exc:  # noqa: BLE001 - the action itself is done; only the echo failed
                    log.warning("could not update the nudge message: %s", exc)
            if action["action_id"].partition(".")[0] in HOME_CHANGING:
                await self.publish_home(client, actor)
        self.later(work(), tell=respond)

    async def on_uninstalled(self, body: dict, context) -> None:
        """app_uninstalled: forget the install and stop the workspace's nudges, saying why."""
        if self.revocation is not None:
            await self.revocation.handle_app_uninstalled_events(context)
        await self._workspace_gone(body, "coachbot was uninstalled from this Slack workspace")

    async def on_tokens_revoked(self, event: dict, body: dict, context) -> None:
        """tokens_revoked: forget the revoked tokens; a revoked bot token stops the workspace's nudges."""
        if self.revocation is not None:
            await self.revocation.handle_tokens_revoked_events(event, context)
        if (event.get("tokens") or {}).get("bot"):
            await self._workspace_gone(body, "coachbot's bot token was revoked in this Slack workspace")

    async def _workspace_gone(self, body: dict, why: str) -> None:
        team = body.get("team_id") or ""
        when = self.service.clock.now()
        stopped = await self.service.stop_nudges(
            "slack", team, f"stopped: {why} ({when:%Y-%m-%d %H:%M} UTC); re-install coachbot to resume")
        self.workspace_gone(team)
        log.warning("%s (%s): %d scheduled nudge(s) stopped", why, team, stopped)
