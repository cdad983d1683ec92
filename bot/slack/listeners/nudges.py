"""Nudge buttons pressed in a DM, and the app leaving a workspace (uninstalled, tokens revoked)."""
from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.nudge_actions import AskCount
from bot.core.outage import DB_DOWN, UNAVAILABLE
from bot.core.screen import screen_of
from bot.core.views import last_of
from bot.slack import blocks, pulse, submitted
from bot.slack.acks import errors_ack, view_ack
from bot.slack.auth import actor_of
from bot.slack.listeners.show import Delivery
from flows.outputs import Refused, Say

log = logging.getLogger("coachbot.slack")
# Slack gives a press 3 seconds to open its form; when that passed, the press itself is kept (a talk started
# is saved and picked up again), so pressing once more opens it.
NOT_OPENED_WHY = "Slack didn't let me open the form in time, so it isn't showing. Nothing was lost: "
NOT_OPENED = NOT_OPENED_WHY + "press the button again to open it."
# The same after a /coach command (its trigger lives 3 seconds too).
NOT_OPENED_COMMAND = NOT_OPENED_WHY + "run the same /coach command again to open it."
# Pressing these changes what the presser's home tab shows.
HOME_CHANGING = ("item_done", "plan_close", "nudge_checked_in")


class NudgeListeners(Delivery):
    """Buttons on nudge DMs, and the events that end an install."""

    async def on_nudge_button(self, ack, body: dict, action: dict, respond, client: AsyncWebClient, context) -> None:
        """A button on a nudge DM: do it, replace the buttons with the outcome, tell whoever else should know."""
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.buttons.press(actor, action["action_id"], action.get("value", ""))
            ask = last_of(outputs, AskCount)
            if ask is not None:  # "6 or more…": the exact number in a modal; the message keeps its buttons
                if not await self.open_view(client, body["trigger_id"], pulse.count_view(ask)):
                    await respond(response_type="ephemeral", replace_original=False,
                                  **blocks.message(Say(NOT_OPENED, tone="warning")))
                return
            screen = screen_of(outputs)
            if screen.prompt is not None:  # a press that starts a flow (a signal's "Prepare a conversation")
                # where /coach talk opens it; a press again picks the saved conversation up
                if not await self.open_view(client, body["trigger_id"], self.view_of(screen)):
                    await respond(response_type="ephemeral", replace_original=False,
                                  **blocks.message(Say(NOT_OPENED, tone="warning")))
                return
            for notice in screen.notices:
                if not notice.queued:  # a queued one is the dispatcher's, checked against the DM history
                    await self.dm(client, notice.external_id, notice.output, actor.workspace)
            if screen.words:
                try:
                    await respond(replace_original=True, **blocks.answered(body.get("message") or {}, screen.words,
                                                                           pressed=action["action_id"]))
                except Exception as exc:  # noqa: BLE001 - the action itself is done; only the echo failed
                    log.warning("could not update the nudge message: %s", exc)
            if action["action_id"].partition(".")[0] in HOME_CHANGING:
                await self.publish_home(client, actor)
        self.later(work(), tell=respond)

    async def on_pulse_count(self, ack, view: dict, context) -> None:
        """The exact pulse count typed in its modal: pressed as the pulse's button with that number, so it is
        checked like any press; a refusal is shown under the field, a success replaces the form."""
        problem = submitted.form_check(view, pulse.PULSE_COUNT)
        if problem is not None:
            await ack(problem)
            return
        found = pulse.submitted_count(view)
        if found is None:
            await ack(view_ack(response_action="update", view=blocks.notice_view(
                "Out of date", "This form didn't come back whole, so nothing was saved. Press “6 or more…” on "
                "the pulse again.")))
            return
        nudge, typed = found
        if not typed:
            await ack(errors_ack(view, {pulse.COUNT_BLOCK: pulse.TYPE_A_NUMBER}))
            return
        try:
            typed = typed if len(typed) <= 32 else "too-long"  # not a count: refused, never cut to one
            outputs = await self.service.buttons.press(actor_of(context), "pulse", f"{nudge}:{typed}")
        except UNAVAILABLE:
            log.warning("database unavailable while saving a pulse", exc_info=True)
            await ack(errors_ack(view, {pulse.COUNT_BLOCK: DB_DOWN}))
            return
        refused = last_of(outputs, Refused)
        if refused is not None:
            await ack(errors_ack(view, {pulse.COUNT_BLOCK: refused.reason}))
            return
        await ack(view_ack(response_action="update",
                           view=blocks.notice_view("Pipeline pulse", screen_of(outputs).words)))

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
