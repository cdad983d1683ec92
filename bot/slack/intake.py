"""Lost deals from a CRM, delivered in Slack: find the owner by email, open the retrospective and queue its prompt."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.identity import Actor
from bot.slack import scopes
from bot.slack.tokens import UNANSWERED, bot_token_for, client_with
from bot.core.crm import Batch, CrmDeal, IntakeResult, lost_deal_taken

log = logging.getLogger("coachbot.slack.intake")

# Slack's answers that mean "not now" rather than "never": the CRM should send the deal again.
PASSING = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}


def _unavailable(what: str) -> IntakeResult:
    """A 503 for a Slack that didn't answer (the CRM sends the deal again; nothing is wrong with it)."""
    return IntakeResult(503, {"ok": False, "error": f"Slack didn't answer ({what}); try again"})


def _passing(exc: SlackApiError) -> IntakeResult | None:
    """The 503 for a Slack failure that passes (a 5xx, a throttle, an incident), None for a lasting one."""
    status = getattr(exc.response, "status_code", 0) or 0
    code = _error(exc)
    if status >= 500 or status == 429 or code in PASSING:
        return _unavailable(code)
    return None


def _error(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", {}) or {}
    return str(data.get("error", "unknown")) if isinstance(data, dict) else "unknown"


class SlackIntake:
    def __init__(self, app: AsyncApp, listeners, *, bot_token: str | None, deal_channel: str | None,
                 authorize=None):
        self.app = app
        self.authorize = authorize  # the single token's workspace, learnt once
        self.listeners = listeners
        self.service = listeners.service
        self.bot_token = bot_token
        self.deal_channel = deal_channel

    async def __call__(self, deal: CrmDeal, source: str, batch: Batch | None = None) -> IntakeResult:
        """Open the deal's retrospective once and prompt its owner; a repeat of the same deal changes nothing."""
        batch = batch or Batch()
        found = await self._client(deal.workspace)
        if isinstance(found, IntakeResult):
            return found
        client, team = found
        # A deal already taken is answered before any Slack call: a CRM sending a batch again (after a
        # timeout, or a 503 for another deal) must not cost a lookup per deal, or a throttle.
        if await lost_deal_taken(self.service.db, platform="slack", workspace=team, deal_id=deal.id) is not None:
            return IntakeResult(200, {"ok": True, "deal_id": deal.id, "duplicate": True})
        user = await self._owner(client, team, deal.owner_email, batch)
        if isinstance(user, IntakeResult):
            return user
        owner = Actor("slack", team, user["id"], (user.get("profile") or {}).get("display_name")
                      or user.get("real_name") or user.get("name", ""), user.get("tz"))
        deal_data = {"id": deal.id, "name": deal.name, "amount": deal.amount, "url": deal.url, "stage": deal.stage,
                     "close_date": deal.close_date}
        channel = deal.channel or self.deal_channel
        retro_id, created = await self.service.retros.from_crm(
            platform="slack", workspace=team, deal=deal_data, owner=owner, channel=channel, source=source)
        if not created:
            return IntakeResult(200, {"ok": True, "deal_id": deal.id, "duplicate": True})
        # The prompt was stored with the retrospective and is the dispatcher's to post (retried until Slack
        # takes it); whether it lands in the channel or, the bot not being there, in the rep's DM is known
        # only then, so the answer says where it is headed.
        return IntakeResult(201, {"ok": True, "deal_id": deal.id, "retrospective": retro_id,
                                  "prompt": {"status": "queued", "channel": channel, "rep": user["id"]}})

    async def _owner(self, client: AsyncWebClient, team: str, email: str,
                     batch: Batch) -> dict[str, Any] | IntakeResult:
        """The Slack user with this email, or the answer for the deal; each email is looked up once a batch,
        and after Slack failed to answer, not again in it."""
        if batch.unavailable is not None:
            return batch.unavailable
        key = (team, email)
        if key not in batch.owners:
            batch.owners[key] = await self._lookup(client, email)
        found = batch.owners[key]
        if isinstance(found, IntakeResult) and found.status == 503:
            batch.unavailable = found
        return found

    async def _lookup(self, client: AsyncWebClient, email: str) -> dict[str, Any] | IntakeResult:
        try:
            return (await client.users_lookupByEmail(email=email))["user"]
        except SlackApiError as exc:
            if _error(exc) == "users_not_found":
                return IntakeResult(422, {"ok": False, "error": f"no Slack user with the email {email}"})
            scope = scopes.needed(exc)
            if scope is not None:  # the CRM's admin sees this answer: say what to fix, retry later
                return IntakeResult(503, {"ok": False, "error": scopes.short(scope)})
            if (passing := _passing(exc)) is not None:
                log.warning("users.lookupByEmail failed for a CRM deal: %s", _error(exc))
                return passing
            raise
        except UNANSWERED as exc:
            log.warning("users.lookupByEmail failed for a CRM deal: %s", exc.__class__.__name__)
            return _unavailable(exc.__class__.__name__)

    async def _client(self, workspace: str | None) -> tuple[AsyncWebClient, str] | IntakeResult:
        """A Web API client for the workspace (or the only one), or the answer saying why there is none."""
        base = self.app.client
        if self.bot_token:
            try:
                team = (await self.authorize.identity(base))["team_id"]
            except SlackApiError as exc:
                if (passing := _passing(exc)) is not None:
                    log.warning("auth.test failed for a CRM deal: %s", _error(exc))
                    return passing
                return _refused(f"the Slack bot token doesn't work ({_error(exc)})")
            except UNANSWERED as exc:
                log.warning("auth.test failed for a CRM deal: %s", exc.__class__.__name__)
                return _unavailable(exc.__class__.__name__)
            if workspace and workspace != team:
                return _refused(f"coachbot isn't installed in workspace {workspace}")
        elif not workspace:
            return _refused("several workspaces can be installed: say which one in \"workspace\" (or ?team= for "
                            "HubSpot)")
        else:
            team = workspace
        token = await bot_token_for(self.app, self.bot_token, team)
        if token is None:
            return _refused(f"coachbot isn't installed in workspace {workspace}")
        # No waiting out a throttle's Retry-After (often longer than a CRM waits for the answer): a 429
        # answers 503 at once and the CRM sends the deal again later.
        handlers = [h for h in base.retry_handlers if not isinstance(h, AsyncRateLimitErrorRetryHandler)]
        return client_with(base, token, retry_handlers=handlers), team


def _refused(reason: str) -> IntakeResult:
    return IntakeResult(422, {"ok": False, "error": reason})
