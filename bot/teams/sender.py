"""Delivering scheduled nudges to Teams users through their stored personal-chat reference."""
from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.dispatch import SendError
from bot.teams import cards
from bot.teams.app import CoachTeamsBot, card_activity
from bot.views import NudgeMessage
from storage.models import Person, Workspace

log = logging.getLogger("coachbot.teams.sender")
# The connector's answers that no retry can fix: the bot was removed or the user is gone.
PERMANENT_STATUS = {400, 401, 403, 404, 410}


class TeamsSender:
    def __init__(self, bot: CoachTeamsBot):
        self.bot = bot

    async def send(self, workspace: Workspace, recipient: Person, message: NudgeMessage) -> str:
        """Post the nudge card into the person's personal chat; returns the message id."""
        if not recipient.chat_ref:
            raise SendError(f"{recipient.name} has never opened a chat with coachbot in Teams, so it can't "
                            "message them", permanent=True)
        try:
            sent = await self.bot.send_to(recipient.chat_ref, card_activity(cards.nudge_card(message)))
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError, ConnectionError) as exc:
            raise SendError(f"network: {exc.__class__.__name__}") from exc
        except aiohttp.ClientResponseError as exc:
            if exc.status == 429:
                raise SendError("teams: rate limited", retry_after=_retry_after(exc)) from exc
            raise SendError(f"teams: HTTP {exc.status}", permanent=exc.status in PERMANENT_STATUS) from exc
        return str(getattr(sent, "id", "") or "")

    async def delivered(self, workspace: Workspace, recipient: Person, nudge_id: int) -> str | None:
        """Teams gives bots no read access to chat history, so a reclaimed nudge can't be checked."""
        return None

    async def close(self) -> None:
        """Nothing to close: the adapter's connector clients are per turn."""


def _retry_after(exc: aiohttp.ClientResponseError) -> float:
    try:
        return float((exc.headers or {}).get("Retry-After", 30))
    except (TypeError, ValueError):
        return 30.0
