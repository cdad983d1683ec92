"""Delivering a turn's outputs in Teams: one mapping (`Delivery.show`) from the core's `Screen` to cards
and messages, and where each kind of output goes — the person's own conversation, their private chat,
other people's chats, a channel or a retrospective's thread.
"""
from __future__ import annotations

import asyncio
import logging

from microsoft_agents.hosting.core import TurnContext

from bot.core.identity import Actor
from bot.core.screen import Screen, screen_of
from bot.core.service import CoachService
from bot.core.views import LossPrompt, plain_text
from bot.teams.activities import (
    PACE, PLATFORM, activities, card_activity, is_personal, patiently, send, send_parts, text_activity,
)
from bot.teams.adaptive import card, text_block
from bot.teams.cards import prompt_card
from bot.teams.markdown import safe
from bot.teams.message_cards import done_cards, loss_prompt_card, notice_card
from bot.teams.messages import message_text
from bot.teams.reach import Reach
from flows.outputs import Cancelled, Notify

log = logging.getLogger("coachbot.teams")
STEP, BUTTON = "step", "button"  # what was pressed: a step card, or a nudge's button (both are replaced)
NO_PRIVATE_CHAT = ("That's between you and me, and we haven't chatted privately yet. Open a chat with me "
                   "(search for coachbot under Apps), say hi, and send it there.")


class Delivery(Reach):
    """The bot's part that delivers outputs (mixed into `CoachTeamsBot`)."""

    service: CoachService

    async def deliver(self, ctx: TurnContext, actor: Actor, outputs: list) -> None:
        """Send a turn's outputs into the conversation of `ctx` (notifications go to their people)."""
        await self.show(ctx, actor, screen_of(outputs))

    async def show(self, ctx: TurnContext, actor: Actor, screen: Screen, *, pressed: str | None = None) -> None:
        """A turn's screen in Teams: the step, summary or notice first (in place of the card that was
        `pressed`, STEP or BUTTON, if any), then channel posts, the other messages, and notifications."""
        rest = list(screen.messages)
        if screen.prompt is not None:
            # After a step press the note says why the step shows again (a stale press): a warning.
            warning = pressed == STEP
            shown = prompt_card(screen.prompt, notice=screen.note if warning else None,
                                intro=None if warning else screen.note)
            await (self.replace_card(ctx, shown) if pressed else send(ctx, card_activity(shown)))
        elif screen.done is not None:
            parts = done_cards(screen.done)
            if pressed:
                await self.replace_card(ctx, parts.pop(0))
            await send_parts(ctx, [card_activity(part) for part in parts])
            rest = [m for m in rest if m is not screen.done]
        elif pressed == STEP and screen.discarded is not None:
            await self.replace_card(ctx, notice_card("Discarded", screen.discarded))
            rest = [m for m in rest if not isinstance(m, Cancelled)]
        elif pressed == STEP:
            await self.replace_card(ctx, notice_card("Nothing to do", screen.nothing))
            rest = []  # their words are the notice's
        elif pressed == BUTTON and rest:
            await self.replace_card(ctx, card([text_block("\n\n".join(message_text(m) for m in rest))]))
            rest = []
        for post in screen.posts:
            await self.post_loss_prompt(ctx, actor, post)
        for output in rest:
            await send_parts(ctx, activities(output))
        await self.notify_all(ctx, actor, list(screen.notices))

    async def replace_card(self, ctx: TurnContext, shown: dict) -> None:
        """Update the card that was pressed (Teams allows it for the bot's own messages), else send anew."""
        activity = card_activity(shown)
        target = ctx.activity.reply_to_id
        if target:
            activity.id = target
            activity.conversation = ctx.activity.conversation
            try:
                await patiently(lambda: ctx.update_activity(activity))
                return
            except Exception as exc:  # noqa: BLE001 - an old or deleted message: show the card as a new one
                log.info("card update failed (%s); sending a new card", exc.__class__.__name__)
                activity.id = None
        await send(ctx, activity)

    async def deliver_privately(self, ctx: TurnContext, actor: Actor, outputs: list) -> bool:
        """Send outputs to the actor's personal chat instead of where they asked; False (and how to
        open such a chat, said where they asked) when they have never opened one."""
        ref = await self.service.account.chat_of(actor)
        if ref is None:
            await send(ctx, text_activity(NO_PRIVATE_CHAT))
            return False
        try:
            await self.in_chat(ref, lambda private: self.deliver(private, actor, outputs))
        except Exception as exc:  # noqa: BLE001 - say so where they asked; never the private words themselves
            log.warning("private answer failed (%s)", exc.__class__.__name__)
            await send(ctx, text_activity(
                "⚠️ I couldn't write to our personal chat just now, so nothing private was shown. Try again in a "
                "moment."))
            return False
        return True

    async def post_loss_prompt(self, ctx: TurnContext, actor: Actor, prompt: LossPrompt) -> None:
        """In a channel (or to the actor themselves), post the prompt here; for another rep, in a personal
        chat, through the outbox into the rep's own chat. What can't be posted at once is the dispatcher's to
        deliver, retried until it is: never dropped (a channel's post keeps how to reach the channel, so it
        needs no one's personal chat)."""
        if not is_personal(ctx.activity) or prompt.rep_external_id == actor.user:
            where = ctx.activity.conversation.id
            try:
                sent = await send(ctx, card_activity(loss_prompt_card(prompt)))
            except Exception as exc:  # noqa: BLE001 - the retrospective is stored; the outbox posts its prompt
                log.warning("posting a loss prompt failed (%s); queued", exc.__class__.__name__)
                channel = None if is_personal(ctx.activity) else where
                await self.service.retros.queue_prompt(actor, prompt.retro_id, channel=channel,
                                                       reach=self.channel_reach(ctx.activity) if channel else None)
                await send(ctx, text_activity(
                    f"⏳ I couldn't post the retrospective prompt for {safe(prompt.deal_name)} just now; it's saved "
                    "and I'll keep trying."))
                return
            if sent is not None and getattr(sent, "id", None):
                await self.service.retros.record_prompt((PLATFORM, actor.workspace), prompt.retro_id, where, sent.id)
            return
        await self.service.retros.queue_prompt(actor, prompt.retro_id)
        if await self.service.account.chat_of(Actor(PLATFORM, actor.workspace, prompt.rep_external_id)) is None:
            await send(ctx, text_activity(
                f"⏳ {safe(prompt.rep_name)} hasn't opened a chat with me yet, so I can't reach them. The "
                "retrospective is saved, and they get the invitation as soon as they open the chat."))
            return
        await send(ctx, text_activity(
            f"✅ I'm asking {safe(prompt.rep_name)} for a short retrospective on {safe(prompt.deal_name)}, in their "
            "chat with me."))

    async def notify_all(self, ctx: TurnContext, actor: Actor, notes: list[Notify]) -> None:
        """Send each notification to its person's personal chat. Someone who has not opened one yet gets it
        when they do (and the sender is told); a failed send is queued for the scheduler. Never dropped."""
        for note in notes:
            if note.channel and note.queued:
                continue  # a post in a channel's thread, in the outbox: the dispatcher sends it there
            target = Actor(PLATFORM, actor.workspace, note.external_id)
            ref = await self.service.account.chat_of(target)
            if ref is None:
                if not note.queued:
                    await self.service.queue_message(target, plain_text(note.output))
                await send(ctx, text_activity(
                    f"⏳ {safe(note.person_name)} hasn't opened a chat with me yet, so this waits for them: they get "
                    "it as soon as they do. (In Teams, ask them to open coachbot under Apps and say hi.)"))
                continue
            if note.queued:
                continue  # in the outbox already: the dispatcher sends it (at least once; Teams has no history)
            try:
                for i, activity in enumerate(activities(note.output)):
                    if i:
                        await asyncio.sleep(PACE)
                    await patiently(lambda a=activity: self.send_to(ref, a))
            except Exception as exc:  # noqa: BLE001 - queued, so the scheduler keeps trying; never dropped
                log.warning("message to a Teams user failed (%s); queued", exc.__class__.__name__)
                await self.service.queue_message(target, plain_text(note.output))
