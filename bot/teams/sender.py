"""Delivering scheduled nudges to Teams users through their stored personal-chat reference.

Every send reports its real outcome to the dispatcher: the connector's 429 (with Retry-After), 412 and
5xx are tried again with back-off; 403 and 404 mean the person or the bot's place in the chat is gone,
so the nudge fails with a reason an admin can read; a message too large for Teams is split and sent in
parts; and a person who never opened a chat with the bot has their nudges wait until they do. A message
for a channel (a lost deal's prompt, a retrospective's reply in the thread of its prompt) is sent there, at
least once, through the channel's own reference when its row keeps one; a channel the bot can no longer
post in (403, 404) is said to be closed, so a prompt goes to the rep's chat instead.
"""
from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
from microsoft_agents.activity import ConversationAccount, ConversationReference

from bot.scheduler.dispatch import SendError, Target
from bot.teams.activities import PACE, card_activity, patiently, text_activity
from bot.teams.app import CoachTeamsBot
from bot.teams.fit import size, split_card
from bot.teams.markdown import safe
from bot.teams.message_cards import loss_prompt_card, nudge_cards
from bot.teams.reach import UnsafeReference
from bot.core.views import NudgeMessage
from storage.models import Person, Workspace

log = logging.getLogger("coachbot.teams.sender")
MAX_SENDS = 60  # parts of one nudge at most (Teams takes 60 sends per 30 s in a conversation)
SEND_TIMEOUT = 20  # seconds: a send still hanging then is tried again later (Teams keeps no history to check)
RETRY_STATUS = {412, 429, 500, 502, 503, 504}  # learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit
REASONS = {
    "BotNotInConversationRoster": "coachbot is no longer in this person's chat (the app was removed)",
    "ConversationNotFound": "the chat with this person no longer exists",
    "ConversationBlockedByUser": "this person blocked coachbot",
    "BotDisabledByAdmin": "a Teams admin blocked coachbot in this tenant",
    "ForbiddenOperationException": "the app is not installed for this person",
}
CHANNEL_REASONS = {  # the same codes, answered to a post in a channel
    "BotNotInConversationRoster": "coachbot is no longer in this channel (it was removed from the team)",
    "ConversationNotFound": "this channel no longer exists",
    "ForbiddenOperationException": "coachbot is not installed in this channel's team",
}


class TeamsSender:
    """The scheduler's sender for Teams: nudges into people's personal chats, outcomes in the dispatcher's terms."""

    def __init__(self, bot: CoachTeamsBot):
        self.bot = bot

    async def send(self, workspace: Workspace, recipient: Person, message: NudgeMessage, *,
                   target: Target | None = None) -> str:
        """Post the nudge card(s) into the person's personal chat (or the `target` channel's thread);
        returns the (first) message id."""
        # A channel is reached through its own reference when the row keeps one; else, as before such rows,
        # the way the person's chat is (its service URL and bot), which they must have opened.
        base = own_reach(target) if target is not None else None
        if not (base or recipient.chat_ref):
            raise SendError(f"waiting for {recipient.name} to open a chat with coachbot in Teams", waiting=True)
        if target is not None:  # a short reply in a thread, as text (as a person's reply there would be)
            posted = card_activity(loss_prompt_card(message.prompt)) if message.prompt else \
                text_activity(safe(message.text))  # a lost deal's prompt, with its button, is a card
            sent = await self.send_activity(in_channel(base or recipient.chat_ref, target), posted, channel=True)
            return str(getattr(sent, "id", "") or "")
        first = ""
        queue = nudge_cards(message)
        sends = 0
        while queue:
            part = queue.pop(0)
            if sends:
                await asyncio.sleep(PACE)
            sends += 1
            try:
                sent = await self.send_activity(recipient.chat_ref, card_activity(part))
            except SendError as exc:
                smaller = split_card(part) if exc.reason.startswith("teams: 413") else []
                if len(smaller) >= 2 and all(size(p) < size(part) for p in smaller) and sends < MAX_SENDS:
                    queue[:0] = smaller  # Teams' limit is lower than our budget: the same, in smaller parts
                    continue
                raise
            first = first or str(getattr(sent, "id", "") or "")
        return first

    async def send_activity(self, ref: str, activity, *, channel: bool = False) -> object:
        """One proactive send (into a `channel`, or a person's chat), its failure turned into the dispatcher's
        terms."""
        try:
            return await asyncio.wait_for(patiently(lambda: self.bot.send_to(ref, activity)), SEND_TIMEOUT)
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError, ConnectionError) as exc:
            raise SendError(f"network: {exc.__class__.__name__}") from exc
        except aiohttp.ClientResponseError as exc:
            raise classify(exc, channel=channel) from exc
        except UnsafeReference as exc:
            raise SendError(f"teams: {exc}", permanent=True) from exc

    async def delivered(self, workspace: Workspace, recipient: Person, nudge_id: int, *,
                        target: Target | None = None) -> str | None:
        """Teams gives bots no read access to chat history, so a reclaimed nudge can't be checked."""
        return None

    async def close(self) -> None:
        """Nothing to close: the adapter's connector clients are per turn."""


def own_reach(target: Target) -> str | None:
    """The channel's own reference kept on the row, when it names this very channel (else None)."""
    if not target.reach:
        return None
    try:
        ref = ConversationReference.model_validate_json(target.reach)
    except ValueError:
        return None
    kept = ref.conversation.id if ref.conversation else ""
    return target.reach if kept and kept.split(";")[0] == target.channel.split(";")[0] else None


def in_channel(base_ref: str, target: Target) -> str:
    """A reference to the target channel's thread, reached as `base_ref` is (its service URL, channel, bot
    and tenant: the channel's own reference, or the person's stored chat): the conversation id is the
    stored channel's, with ";messageid=" naming the thread's first message
    (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages).
    The service URL is checked against the allowed hosts before the send (`Reach.on_ref`)."""
    base = ConversationReference.model_validate_json(base_ref)
    conversation = target.channel if ";messageid=" in target.channel or not target.thread \
        else f"{target.channel};messageid={target.thread}"
    tenant = base.conversation.tenant_id if base.conversation else None
    ref = ConversationReference(channel_id=base.channel_id, service_url=base.service_url, agent=base.agent,
                                conversation=ConversationAccount(id=conversation, tenant_id=tenant))
    return ref.model_dump_json(by_alias=True, exclude_none=True)


def classify(exc: aiohttp.ClientResponseError, *, channel: bool = False) -> SendError:
    """The dispatcher's view of a connector error (its body says which: {"error": {"code": ...}}); for a post
    in a `channel`, 403 and 404 say the bot can't post there any more (the channel is closed)."""
    code = error_code(exc)
    if exc.status in RETRY_STATUS:
        retry = _retry_after(exc) if exc.status == 429 else None
        return SendError(f"teams: {exc.status} {code}".rstrip(), retry_after=retry)
    closed = channel and exc.status in (403, 404)
    why = (CHANNEL_REASONS.get(code) or REASONS.get(code) or "coachbot can't post in this channel") if closed \
        else REASONS.get(code, "Teams refused the message")
    return SendError(f"teams: {exc.status} {code}: {why}".replace(" : ", ": "), permanent=True, channel_closed=closed)


def error_code(exc: aiohttp.ClientResponseError) -> str:
    """The connector's error code from its answer's body ("" when it gives none)."""
    try:
        return str((json.loads(exc.message or "{}").get("error") or {}).get("code") or "")
    except (ValueError, AttributeError):
        return ""


def _retry_after(exc: aiohttp.ClientResponseError) -> float:
    try:
        return float((exc.headers or {}).get("Retry-After", 30))
    except (TypeError, ValueError):
        return 30.0
