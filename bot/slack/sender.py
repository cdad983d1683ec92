"""Delivering nudges as Slack DMs, tagged with message metadata so a re-send can check what arrived."""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.scheduler.dispatch import SendError
from bot.slack import blocks, scopes
from bot.slack.tokens import bot_token_for, client_with
from bot.core.views import NudgeMessage
from storage.models import Person, Workspace

log = logging.getLogger("coachbot.slack.sender")
# Errors that mean the token itself is dead: the workspace may have re-installed with a new one.
DEAD_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
EVENT_TYPE = "coachbot_nudge"
# Errors no retry can fix: the person or the bot's access is gone. Shown to the admin as failed.
PERMANENT = {"user_not_found", "account_inactive", "user_disabled", "channel_not_found", "not_in_channel",
             "is_archived", "cannot_dm_bot", "invalid_auth", "not_authed", "token_revoked", "token_expired",
             "no_permission", "missing_scope", "team_access_not_granted", "ekm_access_denied"}


class SlackSender:
    def __init__(self, app: AsyncApp, *, bot_token: str | None):
        self.app = app
        self.bot_token = bot_token
        self._clients: dict[str, AsyncWebClient] = {}
        self._http: aiohttp.ClientSession | None = None

    async def _client(self, workspace: Workspace) -> AsyncWebClient:
        if workspace.external_id in self._clients:
            return self._clients[workspace.external_id]
        base = self.app.client
        token = await bot_token_for(self.app, self.bot_token, workspace.external_id)
        if token is None:
            raise SendError(f"coachbot is not installed in Slack workspace {workspace.external_id}", permanent=True)
        if self._http is None or self._http.closed:
            # One HTTP session for all sends: slack_sdk otherwise opens a connection per call.
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=base.timeout))
        # Only 429s are retried inside the call: they mean "not posted". A timeout or a 5xx may have
        # posted the message, so those go back to the dispatcher, which checks the DM history first.
        client = client_with(base, token, session=self._http,
                             retry_handlers=[h for h in base.retry_handlers
                                             if isinstance(h, AsyncRateLimitErrorRetryHandler)])
        self._clients[workspace.external_id] = client
        return client

    def forget(self, team: str) -> None:
        """Drop the client kept for a workspace (its token was revoked or the app uninstalled)."""
        self._clients.pop(team, None)

    async def close(self) -> None:
        """Close the shared HTTP session (on shutdown)."""
        if self._http is not None and not self._http.closed:
            await self._http.close()

    async def send(self, workspace: Workspace, recipient: Person, message: NudgeMessage) -> str:
        """Post the nudge as a DM; returns "channel:ts"."""
        for fresh_token in (False, True):
            client = await self._client(workspace)
            try:
                sent = await client.chat_postMessage(
                    channel=recipient.platform_user_id, unfurl_links=False, unfurl_media=False,
                    metadata={"event_type": EVENT_TYPE, "event_payload": {"nudge_id": message.nudge_id}},
                    **blocks.nudge_message(message))
                return f"{sent['channel']}:{sent['ts']}"
            except SlackApiError as exc:
                if not fresh_token and await self._token_changed(workspace, client, exc):
                    continue  # re-installed since this client was made: try once with the new token
                raise _classify(exc) from exc
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise SendError(f"network: {exc.__class__.__name__}") from exc
        raise AssertionError("unreachable")

    async def _token_changed(self, workspace: Workspace, client: AsyncWebClient, exc: SlackApiError) -> bool:
        """After a token error, forget the kept client; True when the install now holds another token."""
        data = getattr(exc.response, "data", None)
        if not isinstance(data, dict) or data.get("error") not in DEAD_TOKEN:
            return False
        self.forget(workspace.external_id)
        token = await bot_token_for(self.app, self.bot_token, workspace.external_id)
        return token is not None and token != client.token

    async def delivered(self, workspace: Workspace, recipient: Person, nudge_id: int) -> str | None:
        """Whether this nudge already reached the DM (found by its metadata), as "channel:ts"."""
        client = await self._client(workspace)
        try:
            channel = (await client.conversations_open(users=recipient.platform_user_id))["channel"]["id"]
            history = await client.conversations_history(channel=channel, limit=100, include_all_metadata=True)
        except SlackApiError as exc:
            raise _classify(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise SendError(f"network: {exc.__class__.__name__}") from exc
        for msg in history.get("messages") or []:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("nudge_id") == nudge_id:
                return f"{channel}:{msg.get('ts')}"
        return None


def _classify(exc: SlackApiError) -> SendError:
    data = getattr(exc.response, "data", None)
    code = data.get("error", "") if isinstance(data, dict) else ""
    status = getattr(exc.response, "status_code", 0)
    if code == "missing_scope":
        return SendError(f"slack: missing_scope: {scopes.short(data.get('needed') or '?')}", permanent=True)
    if code in PERMANENT:
        return SendError(f"slack: {code}", permanent=True)
    if code == "ratelimited" or status == 429:
        retry = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get("retry-after")
        return SendError("slack: rate limited", retry_after=float(retry) if retry else 60)
    return SendError(f"slack: {code or f'HTTP {status}'}")
