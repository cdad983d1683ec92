"""Who a Slack request is from, and with which token coachbot answers it."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.identity import Actor
from bot.core.service import CoachService
from storage import events

log = logging.getLogger("coachbot.slack")


class SingleWorkspaceAuthorize(AsyncAuthorize):
    """Authorize with one bot token, and only for the workspace that token belongs to.

    Which workspace that is comes from one auth.test, made when the server starts (`identity`), so
    no request waits for it before its acknowledgement. A subclass rather than a function: Bolt
    calls it as is instead of inspecting a function's parameters on every request.
    """

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self.auth: dict[str, Any] | None = None

    async def identity(self, client: AsyncWebClient) -> dict[str, Any]:
        """auth.test for the token, once per process."""
        if self.auth is None:
            self.auth = (await client.auth_test(token=self.token)).data
        return self.auth

    async def __call__(self, *, context, enterprise_id, team_id, user_id, **_actor) -> AuthorizeResult | None:
        auth = await self.identity(context.client)
        if team_id and team_id != auth.get("team_id"):
            return None
        if not team_id and enterprise_id and enterprise_id != auth.get("enterprise_id"):
            return None
        return AuthorizeResult(enterprise_id=auth.get("enterprise_id"), team_id=auth.get("team_id"),
                               bot_token=self.token, bot_id=auth.get("bot_id"), bot_user_id=auth.get("user_id"))


class StoredBotAuthorize(AsyncAuthorize):
    """Authorize from the installation stored at OAuth time, with no Web API call.

    Bolt's own installation-store authorize calls auth.test on every request, before the
    acknowledgement and before any views.open: a slow or rate-limited auth.test would make Slack
    give up on the request and expire its trigger. The stored bot row already holds what
    auth.test would say (bot id, bot user id, team); a token that stopped working shows up as a
    failed call, and app_uninstalled / tokens_revoked remove the row.
    """

    def __init__(self, store: AsyncSQLAlchemyInstallationStore):
        super().__init__()
        self.store = store

    async def __call__(self, *, context, enterprise_id, team_id, user_id, **_actor) -> AuthorizeResult | None:
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                              is_enterprise_install=context.is_enterprise_install)
        if bot is None or not bot.bot_token:
            return None
        return AuthorizeResult(enterprise_id=bot.enterprise_id, team_id=bot.team_id, bot_token=bot.bot_token,
                               bot_id=bot.bot_id, bot_user_id=bot.bot_user_id, bot_scopes=bot.bot_scopes)


class SkipRedeliveredEvents(AsyncMiddleware):
    """Slack retries an event it thinks was missed; act on each event id once, across replicas.

    A middleware class rather than a function: Bolt calls it directly instead of building the
    keyword arguments a function middleware may ask for, and it runs on every request.
    """

    def __init__(self, service: CoachService):
        self.service = service

    async def async_process(self, *, req, resp, next):
        body = req.body
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and body.get("type") == "event_callback":
            async with self.service.db.session() as s:
                first = await events.first_sighting(s, event_id=event_id, team_id=req.context.team_id or "",
                                                    now=self.service.clock.now())
            if not first:
                log.info("ignoring redelivered event %s", event_id)
                return BoltResponse(status=200, body="")
        return await next()


def actor_of(context) -> Actor:
    """The neutral actor for a Bolt request (the workspace is the team, or the org for org-wide apps)."""
    return Actor("slack", context.team_id or context.enterprise_id or "", context.user_id or "")
