"""Delivering nudges as Slack DMs (and a retrospective's reply in its deal channel's thread), tagged with
message metadata so a re-send can check what arrived."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.scheduler.dispatch import SendError, Target
from bot.slack import blocks, scopes
from bot.slack.tokens import UNANSWERED, bot_token_for, client_with
from bot.slack.uploads import post_chart
from bot.core.views import NudgeMessage
from storage.models import Person, Workspace

log = logging.getLogger("coachbot.slack.sender")
# Errors that mean the token itself is dead: the workspace may have re-installed with a new one.
DEAD_TOKEN = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
EVENT_TYPE = "coachbot_nudge"
# Errors no retry can fix: the person or the bot's access is gone. Shown to the admin as failed.
# Why a channel's history can't be read, so a re-sent channel post goes out again (at least once, as on
# Teams) rather than never: the install lacks channels:history / groups:history, or the thread is gone.
UNCHECKABLE = ("slack: missing_scope", "slack: thread_not_found", "slack: not_in_channel",
               "slack: channel_not_found")
CHART_GRACE = 5.0  # seconds a shutdown waits for review-pack charts still uploading (the text is sent)
REPLIES_PAGES = 5  # a retrospective's thread is short; a longer one is checked this far (1000 replies)
PERMANENT = {"user_not_found", "account_inactive", "user_disabled", "channel_not_found", "not_in_channel",
             "is_archived", "cannot_dm_bot", "invalid_auth", "not_authed", "token_revoked", "token_expired",
             "no_permission", "missing_scope", "team_access_not_granted", "ekm_access_denied"}

CHANNEL_CLOSED = {"not_in_channel", "channel_not_found", "is_archived"}  # a loss prompt goes to the rep's DM then


class SlackSender:
    """Posts nudges with the workspace's current bot token.

    The token is read from the installation store and kept for at most TOKEN_FRESH seconds (one read
    a tick, shared by the sends that wait for it, not one per nudge). An install made through this
    process drops the kept token at once (`forget`, from the OAuth success handler); one made through
    another replica is picked up within TOKEN_FRESH, or at once if Slack calls the old token dead:
    a dead token is read again before the nudge is given up, a different one is tried, and the same
    one (or none) fails the nudge with what the admin has to do.
    """

    TOKEN_FRESH = 2.0  # seconds

    def __init__(self, app: AsyncApp, *, bot_token: str | None):
        self.app = app
        self.bot_token = bot_token
        self._clients: dict[str, AsyncWebClient] = {}  # team -> the client of the token last read for it
        self._read_at: dict[str, float] = {}  # team -> when its token was read (monotonic)
        self._reading: dict[str, asyncio.Task] = {}  # team -> the store read in flight
        self._http: aiohttp.ClientSession | None = None
        self._charts: set[asyncio.Task] = set()  # review-pack charts still uploading

    async def _token(self, team: str) -> str | None:
        """The team's bot token as stored now (one read for all the sends that ask at the same time)."""
        task = self._reading.get(team)
        if task is None:
            task = asyncio.ensure_future(bot_token_for(self.app, self.bot_token, team))
            self._reading[team] = task
            task.add_done_callback(lambda _t: self._reading.pop(team, None) if self._reading.get(team) is _t else None)
        return await asyncio.shield(task)

    async def _client(self, workspace: Workspace) -> AsyncWebClient:
        team = workspace.external_id
        kept = self._clients.get(team)
        if kept is not None and time.monotonic() - self._read_at.get(team, 0.0) < self.TOKEN_FRESH:
            return kept
        token = await self._token(team)
        if token is None:
            self.forget(team)
            raise SendError(f"coachbot is not installed in Slack workspace {team} (no bot token is stored for it); "
                            "install it there again", permanent=True)
        self._read_at[team] = time.monotonic()
        kept = self._clients.get(team)
        if kept is not None and kept.token == token:
            return kept
        base = self.app.client
        if self._http is None or self._http.closed:
            # One HTTP session for all sends: slack_sdk otherwise opens a connection per call.
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=base.timeout))
        # Only 429s are retried inside the call: they mean "not posted". A timeout or a 5xx may have
        # posted the message, so those go back to the dispatcher, which checks the DM history first.
        client = client_with(base, token, session=self._http,
                             retry_handlers=[h for h in base.retry_handlers
                                             if isinstance(h, AsyncRateLimitErrorRetryHandler)])
        self._clients[team] = client
        return client

    def forget(self, team: str) -> None:
        """Read the workspace's token again before the next send (installed again, uninstalled, revoked)."""
        self._read_at.pop(team, None)

    async def close(self) -> None:
        """Close the shared HTTP session (on shutdown), after a moment for charts still uploading."""
        if self._charts:
            await asyncio.wait(set(self._charts), timeout=CHART_GRACE)
        if self._http is not None and not self._http.closed:
            await self._http.close()

    async def _call(self, workspace: Workspace, call: Callable[[AsyncWebClient], Awaitable[Any]]) -> Any:
        """Run one Web API call with the workspace's current token; a dead token is read again from the
        store and the call made once more if the store now holds another one."""
        client = await self._client(workspace)
        try:
            return await call(client)
        except SlackApiError as exc:
            if _code(exc) not in DEAD_TOKEN:
                raise _classify(exc) from exc
            self.forget(workspace.external_id)
            fresh = await self._client(workspace)
            if fresh.token == client.token:
                raise SendError(f"slack: {_code(exc)}: the bot token stored for this workspace no longer works and "
                                "no newer one is stored; install coachbot in the workspace again", permanent=True
                                ) from exc
        except UNANSWERED as exc:
            raise SendError(f"network: {exc.__class__.__name__}") from exc
        try:  # re-installed since the token was read: once more with the new one
            return await call(fresh)
        except SlackApiError as exc:
            raise _classify(exc) from exc
        except UNANSWERED as exc:
            raise SendError(f"network: {exc.__class__.__name__}") from exc

    async def send(self, workspace: Workspace, recipient: Person, message: NudgeMessage, *,
                   target: Target | None = None) -> str:
        """Post the nudge as a DM (or in the `target` channel's thread); returns "channel:ts"."""
        where = {"channel": recipient.platform_user_id} if target is None else \
            {"channel": target.channel, **({"thread_ts": target.thread} if target.thread else {})}
        sent = await self._call(workspace, lambda client: client.chat_postMessage(
            **where, unfurl_links=False, unfurl_media=False,
            metadata={"event_type": EVENT_TYPE, "event_payload": _payload(message)},
            **(blocks.loss_prompt_message(message.prompt) if message.prompt else blocks.nudge_message(message))))
        if message.series and target is None:
            # After the send, not within it: a slow upload must not hold the nudge past its lease (and so
            # retry it); the nudge is recorded sent as soon as its text is posted.
            task = asyncio.ensure_future(self._chart(workspace, sent["channel"], message))
            self._charts.add(task)
            task.add_done_callback(self._charts.discard)
        return f"{sent['channel']}:{sent['ts']}"

    async def _chart(self, workspace: Workspace, channel: str, message: NudgeMessage) -> None:
        """The review pack's weeks against the target as a PNG under it in the DM. The message is already
        posted and its text has every number, so a failed upload (no files:write, the network) is logged
        and the nudge stays sent: never retried, and the text never posted twice for a picture."""
        from bot.slack.charts import target_chart

        weeks, goal = message.series
        try:
            await self._call(workspace, lambda client: post_chart(
                client, channel, target_chart, weeks, goal, filename="weeks-against-target.png",
                title=f"New opportunities per week against the target of {goal}"))
        except Exception as exc:  # noqa: BLE001 — nothing about a picture may undo a delivered message
            log.warning("the review pack's chart for nudge %s was not uploaded (%s); the text was sent",
                        message.nudge_id, getattr(exc, "reason", None) or exc.__class__.__name__)

    async def delivered(self, workspace: Workspace, recipient: Person, nudge_id: int, *,
                        target: Target | None = None) -> str | None:
        """Whether this nudge already reached the DM (or the `target` thread), found by its metadata, as
        "channel:ts"."""
        if target is not None:
            return await self._posted_in(workspace, target, nudge_id)

        async def look(client: AsyncWebClient) -> tuple[str, Any]:
            channel = (await client.conversations_open(users=recipient.platform_user_id))["channel"]["id"]
            return channel, await client.conversations_history(channel=channel, limit=100, include_all_metadata=True)
        channel, history = await self._call(workspace, look)
        return _marked(channel, history.get("messages") or [], nudge_id)

    async def _posted_in(self, workspace: Workspace, target: Target, nudge_id: int) -> str | None:
        """Look for the nudge in the target's thread (conversations.replies: a thread's replies are not in
        conversations.history, docs.slack.dev/reference/methods/conversations.replies) or, with no
        thread, in the channel's latest messages."""
        try:
            if target.thread is None:
                history = await self._call(workspace, lambda client: client.conversations_history(
                    channel=target.channel, limit=100, include_all_metadata=True))
                return _marked(target.channel, history.get("messages") or [], nudge_id)
            cursor = None
            for _ in range(REPLIES_PAGES):  # oldest first: the whole (short) thread, a page at a time
                page = await self._call(workspace, lambda client: client.conversations_replies(
                    channel=target.channel, ts=target.thread, limit=200, include_all_metadata=True,
                    **({"cursor": cursor} if cursor else {})))
                found = _marked(target.channel, page.get("messages") or [], nudge_id)
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if found or not cursor:
                    return found
            return None
        except SendError as exc:
            if not exc.reason.startswith(UNCHECKABLE):
                raise
            log.warning("can't check channel %s for nudge %s (%s); posting it again", target.channel, nudge_id,
                        exc.reason)
            return None


def _payload(message: NudgeMessage) -> dict:
    """The metadata payload: the nudge's id, and for a merged message every item's id too, so a re-send
    of any of them finds the message (a single nudge's payload stays as it always was). The ids are one
    string, "12,13": a payload value is a string, number, boolean or object, or a list of objects, in the
    SDK's published types (@slack/types MessageMetadata) — a list of numbers is not among them."""
    if not message.nudge_ids:
        return {"nudge_id": message.nudge_id}
    return {"nudge_id": message.nudge_id, "nudge_ids": ",".join(str(i) for i in message.nudge_ids)}


def _marked(channel: str, messages: list[dict], nudge_id: int) -> str | None:
    """The message among `messages` whose metadata carries this nudge's id (alone or among a merged
    message's ids), as "channel:ts"."""
    for msg in messages:
        meta = msg.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        ids = payload.get("nudge_ids")
        if meta.get("event_type") == EVENT_TYPE and (
                payload.get("nudge_id") == nudge_id or (isinstance(ids, str) and str(nudge_id) in ids.split(","))):
            return f"{channel}:{msg.get('ts')}"
    return None


def _code(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return data.get("error", "") if isinstance(data, dict) else ""


def _classify(exc: SlackApiError) -> SendError:
    data = getattr(exc.response, "data", None)
    code = _code(exc)
    status = getattr(exc.response, "status_code", 0)
    if code == "missing_scope":
        return SendError(f"slack: missing_scope: {scopes.short(data.get('needed') or '?')}", permanent=True)
    if code in PERMANENT:
        return SendError(f"slack: {code}", permanent=True, channel_closed=code in CHANNEL_CLOSED)
    if code == "ratelimited" or status == 429:
        retry = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get("retry-after")
        return SendError("slack: rate limited", retry_after=float(retry) if retry else 60)
    return SendError(f"slack: {code or f'HTTP {status}'}")
