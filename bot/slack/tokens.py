"""Which bot token serves a workspace, and a Web API client for it that shares the app client's settings."""
from __future__ import annotations

import asyncio

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

# What a Web API call raises when Slack didn't answer at all (after the client's own retries): the network
# failed or the wait ran out, so nobody knows whether Slack did it.
UNANSWERED = (aiohttp.ClientError, asyncio.TimeoutError)


async def bot_token_for(app: AsyncApp, bot_token: str | None, team: str) -> str | None:
    """The one SLACK_BOT_TOKEN, or the token stored when `team` installed the app (None if it hasn't)."""
    if bot_token:
        return bot_token
    bot = await app.installation_store.async_find_bot(enterprise_id=None, team_id=team)
    return bot.bot_token if bot else None


def client_with(base: AsyncWebClient, token: str, **extra) -> AsyncWebClient:
    """A client for `token` with the base client's URL, retry handlers, timeout and logger."""
    settings = {"retry_handlers": base.retry_handlers, **extra}
    return AsyncWebClient(token=token, base_url=base.base_url, timeout=base.timeout, logger=base.logger, **settings)
