"""Teams activities: where one came from, cards and markdown as message activities, and sending a
message's parts paced and patiently."""
from __future__ import annotations

import asyncio
import math
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, Attachment
from microsoft_agents.hosting.core import MessageFactory, TurnContext

from bot.core.views import ReportView
from bot.teams.markdown import paragraphs
from bot.teams.message_cards import done_cards, report_cards
from bot.teams.messages import message_texts
from flows.outputs import Done

PLATFORM = "teams"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
PACE = 0.3  # seconds between the parts of a message: Teams takes at most 8 sends per 2 s in a conversation


def is_personal(activity: Activity) -> bool:
    """Whether an activity comes from a personal (one-to-one) chat rather than a channel or group chat."""
    kind = activity.conversation.conversation_type if activity.conversation else None
    return kind in (None, "personal")


def card_activity(card: dict) -> Activity:
    """A message activity carrying one Adaptive Card, with a summary: the line Teams shows in the
    notification and the activity feed (a card alone shows only "Sent a card")."""
    activity = MessageFactory.attachment(Attachment(content_type=CONTENT_TYPE, content=card))
    activity.summary = card.get("fallbackText") or "coachbot"
    return activity


def text_activity(markdown: str) -> Activity:
    """A message activity with markdown text (each line its own paragraph: Teams ignores single breaks)."""
    activity = MessageFactory.text(paragraphs(markdown))
    activity.text_format = "markdown"
    return activity


def activities(output: Any) -> list[Activity]:
    """An output as the messages that show it whole: cards for summaries and reports, text otherwise."""
    if isinstance(output, Done):
        return [card_activity(c) for c in done_cards(output)]
    if isinstance(output, ReportView):
        return [card_activity(c) for c in report_cards(output)]
    return [text_activity(t) for t in message_texts(output)]


async def send(ctx: TurnContext, activity: Activity) -> Any:
    """Send one activity into the turn's conversation, waiting out a short throttle (see `patiently`)."""
    return await patiently(lambda: ctx.send_activity(activity))


async def send_parts(ctx: TurnContext, parts: list[Activity]) -> Any:
    """Send a message's parts in order, paced past the first few; returns the first part's response."""
    first = None
    for i, activity in enumerate(parts):
        if i:
            await asyncio.sleep(PACE)
        response = await patiently(lambda a=activity: ctx.send_activity(a))
        first = first or response
    return first


async def patiently(send, tries: int = 3):
    """A send that Teams throttled (429) is sent again after the Retry-After it asked for, when that is
    short: a message in parts must not lose (or repeat) a part because the conversation was busy."""
    for attempt in range(tries):
        try:
            return await send()
        except aiohttp.ClientResponseError as exc:
            wait = _retry_after(exc)
            if exc.status != 429 or attempt == tries - 1 or wait > 10:
                raise
            await asyncio.sleep(wait)


def _retry_after(exc: aiohttp.ClientResponseError) -> float:
    try:
        wait = float((exc.headers or {}).get("Retry-After", 1))
    except (TypeError, ValueError):
        return 1.0
    # NaN or a negative wait from the network means a second; an infinite one is over 10 s, so not slept.
    return 1.0 if math.isnan(wait) or wait < 0 else wait
