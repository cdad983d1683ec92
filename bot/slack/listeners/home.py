"""The App Home tab: publishing it, and its buttons (continue a draft, start a talk, check in, settings)."""
from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import Command, PersonRef
from bot.core.identity import Actor
from bot.core.screen import screen_of
from bot.slack import blocks
from bot.slack.auth import actor_of
from bot.slack.listeners.base import NOTES_UNREADABLE, error_code
from bot.slack.listeners.nudges import NOT_OPENED, NOT_OPENED_WHY
from bot.slack.listeners.show import Delivery
from flows.outputs import Say

log = logging.getLogger("coachbot.slack")
NOT_OPENED_SHORTCUT = NOT_OPENED_WHY + "choose the shortcut again to open it."


class HomeListeners(Delivery):
    """The App Home tab and its buttons."""

    async def on_home_opened(self, event: dict, client: AsyncWebClient, context) -> None:
        if event.get("tab", "home") != "home":
            return
        actor = actor_of(context)

        async def work() -> None:
            await self.refresh(client, actor, "", ())
            await self.publish_home(client, actor)
        self.later(work())

    async def on_home_resume(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.resume_session(actor, action.get("value", ""))
            await self._open_outputs(client, actor, body["trigger_id"], outputs)
        self.later(work())

    async def on_home_start_talk(self, ack, body: dict, client: AsyncWebClient, context) -> None:
        await ack()
        again = NOT_OPENED_SHORTCUT if body.get("type") == "shortcut" else NOT_OPENED
        self.later(self._open_or_dm(client, actor_of(context), body["trigger_id"], blocks.pick_rep_view(), again))

    async def on_home_checkin(self, ack, body: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.command(actor, Command("checkin"))
            await self._open_outputs(client, actor, body["trigger_id"], outputs)
        self.later(work())

    async def on_home_checked_in(self, ack, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)
        rep = action.get("value", "")

        async def work() -> None:
            await self.service.command(actor, Command("checkin", people=(PersonRef(rep, rep),)))
            await self.publish_home(client, actor)
        self.later(work())

    async def on_home_settings(self, ack, body: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            view = blocks.settings_view(await self.service.account.settings(actor))
            await self._open_or_dm(client, actor, body["trigger_id"], view)
        self.later(work())

    async def _open_outputs(self, client, actor: Actor, trigger_id: str, outputs: list) -> None:
        await self._open_or_dm(client, actor, trigger_id, self.view_of(screen_of(outputs), nothing_title="coachbot"))

    async def _open_or_dm(self, client: AsyncWebClient, actor: Actor, trigger_id: str, view: dict,
                          refused: str = NOT_OPENED) -> None:
        # A home-tab press has no response_url and the tab has no place for a note: when Slack refuses the
        # form, a DM (the app's Messages tab) is the one place the person hears why nothing opened.
        if not await self.open_view(client, trigger_id, view):
            await self.dm(client, actor.user, Say(refused, tone="warning"), actor.workspace)

    async def on_home_page(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        """*Show all* on the home tab opens every item in a modal; its page buttons turn the pages."""
        await ack()
        actor = actor_of(context)
        try:
            page = max(1, int(action.get("value") or 1))
        except ValueError:
            page = 1

        async def work() -> None:
            home = await self.home_of(actor)
            view = blocks.notice_view("Your coaching", NOTES_UNREADABLE) if home is None else \
                blocks.home_items_view(home, self.service.clock.now(), page)
            if action["action_id"] == blocks.SHOW_ALL:
                await self._open_or_dm(client, actor, body["trigger_id"], view)
                return
            try:
                await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
            except SlackApiError as exc:
                log.warning("views.update of a home page failed: %s", error_code(exc))
        self.later(work())
