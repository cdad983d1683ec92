"""Lost deals in Slack: the channel prompt, starting a retrospective, the message shortcut and its form."""
from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import PersonRef
from bot.core.identity import UNKNOWN_NAME, Actor
from bot.core.outage import DB_DOWN, UNAVAILABLE
from bot.core.retros import MAX_AMOUNT, parse_amount
from bot.core.screen import screen_of
from bot.core.views import LossPrompt, last_of
from bot.slack import blocks, submitted
from bot.slack.acks import errors_ack
from bot.slack.auth import actor_of
from bot.slack.inbound import deal_from_message
from bot.slack.listeners.base import error_code, text_of
from bot.slack.listeners.show import Delivery
from bot.slack.listeners.flows import PICKED_WAIT
from bot.slack.listeners.nudges import NOT_OPENED, NOT_OPENED_WHY
from bot.slack.tokens import UNANSWERED
from flows.outputs import Say

log = logging.getLogger("coachbot.slack")
# The shortcut's form only asks what it prefilled from the message: nothing is kept until it is sent.
NOT_OPENED_LOSS_SHORTCUT = NOT_OPENED_WHY + "choose “Start loss retrospective” on the message again to open it."


class RetroListeners(Delivery):
    """Lost deals and their retrospectives."""

    async def on_retro_start(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)
        channel = (body.get("channel") or {}).get("id")

        async def work() -> None:
            try:
                retro_id = int(action.get("value", ""))
            except ValueError:
                retro_id = -1
            screen = screen_of(await self.service.retros.start(actor, retro_id))
            if screen.prompt is not None:
                if not await self.open_view(client, body["trigger_id"], self.view_of(screen)):
                    # the retrospective is started and saved: the press again picks it up where it is
                    await self._note(client, actor, channel, Say(NOT_OPENED, tone="warning"))
                return
            await self._note(client, actor, channel, Say(screen.nothing))
        self.later(work())

    async def on_loss_shortcut(self, ack, body: dict, shortcut: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)
        message = shortcut.get("message") or {}
        deal, amount = deal_from_message(message.get("text", ""))
        author = message.get("user")
        rep = shortcut["user"]["id"] if not author or message.get("bot_id") else author
        channel = (shortcut.get("channel") or {}).get("id", "")
        view = blocks.lost_deal_view(deal, amount, rep, channel, message.get("thread_ts") or message.get("ts"))

        async def work() -> None:
            if not await self.open_view(client, shortcut["trigger_id"], view):
                await self._note(client, actor, channel or None, Say(NOT_OPENED_LOSS_SHORTCUT, tone="warning"))
        self.later(work())

    async def _note(self, client: AsyncWebClient, actor: Actor, channel: str | None, say: Say) -> None:
        """A word for the presser alone: in the channel they pressed in, else (no channel, or Slack
        refused the ephemeral there) in their DM, which is tried again until it arrives."""
        if channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=actor.user, **blocks.message(say))
                return
            except SlackApiError as exc:
                log.warning("ephemeral note failed: %s", error_code(exc))
            except UNANSWERED as exc:
                log.warning("ephemeral note failed: %s", exc.__class__.__name__)
        await self.dm(client, actor.user, say, actor.workspace)

    async def on_lost_deal(self, ack, body: dict, view: dict, client: AsyncWebClient, context) -> None:
        problem = submitted.form_check(view, blocks.LOST_DEAL)
        if problem is not None:
            await ack(problem)
            return
        actor = actor_of(context)
        values = view["state"]["values"]
        meta = submitted.metadata(view)
        deal = ((values.get("deal", {}).get("value") or {}).get("value") or "").strip()
        amount = ((values.get("amount", {}).get("value") or {}).get("value") or "").strip()
        rep = (values.get("rep", {}).get("value") or {}).get("selected_user")
        value = parse_amount(amount.replace(" ", "")) if amount else None
        if amount and value is None:
            await ack(errors_ack(view, {"amount": f"“{amount[:30]}” isn't an amount I can keep; try 12000 or 12k "
                                                       f"(at most {MAX_AMOUNT:,.0f})."}))
            return
        picked = PersonRef(rep, UNKNOWN_NAME) if rep and rep != actor.user else None
        await self.refresh(client, actor, submitted.user_name(body), (picked,) if picked else (), wait=PICKED_WAIT)
        try:
            outputs, field = await self.service.retros.log_lost(actor, deal, value, picked,
                                                                meta.get("channel") or None)
        except UNAVAILABLE:
            log.warning("database unavailable while logging a lost deal", exc_info=True)
            await ack(errors_ack(view, {"deal": DB_DOWN}))
            return
        prompt = last_of(outputs, LossPrompt)
        if prompt is None:
            await ack(errors_ack(view, {field or "deal": text_of(outputs)}))
            return
        await ack()

        async def post() -> None:
            # the form is closed by now: what kept the prompt from its place is said to the person aside
            problem = await self.post_loss_prompt(client, actor, prompt, thread_ts=meta.get("thread_ts"))
            if problem:
                await self._note(client, actor, meta.get("channel") or None, Say(problem, tone="warning"))
        self.later(post())
