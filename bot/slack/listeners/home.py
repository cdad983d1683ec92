"""The App Home tab: publishing it, and its buttons (continue a draft, start a talk, check in, settings)."""
from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import Command, PersonRef
from bot.core.screen import screen_of
from bot.slack import blocks
from bot.slack.auth import actor_of
from bot.slack.listeners.base import NOTES_UNREADABLE, error_code
from bot.slack.listeners.show import Delivery

log = logging.getLogger("coachbot.slack")


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
            await self._open_outputs(client, body["trigger_id"], outputs)
        self.later(work())

    async def on_home_start_talk(self, ack, body: dict, client: AsyncWebClient) -> None:
        await ack()
        self.later(self.open_view(client, body["trigger_id"], blocks.pick_rep_view()))

    async def on_home_checkin(self, ack, body: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.command(actor, Command("checkin"))
            await self._open_outputs(client, body["trigger_id"], outputs)
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
            await self.open_view(client, body["trigger_id"], view)
        self.later(work())

    async def _open_outputs(self, client, trigger_id: str, outputs: list) -> None:
        await self.open_view(client, trigger_id, self.view_of(screen_of(outputs), nothing_title="coachbot"))

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
                await self.open_view(client, body["trigger_id"], view)
                return
            try:
                await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
            except SlackApiError as exc:
                log.warning("views.update of a home page failed: %s", error_code(exc))
        self.later(work())
