"""Lost deals from a CRM, delivered in Slack: find the owner by email, open the retrospective and queue its prompt."""
from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.identity import Actor
from bot.slack import scopes
from bot.slack.tokens import bot_token_for, client_with
from bot.core.crm import CrmDeal, IntakeResult

log = logging.getLogger("coachbot.slack.intake")


class SlackIntake:
    def __init__(self, app: AsyncApp, listeners, *, bot_token: str | None, deal_channel: str | None,
                 authorize=None):
        self.app = app
        self.authorize = authorize  # the single token's workspace, learnt once
        self.listeners = listeners
        self.service = listeners.service
        self.bot_token = bot_token
        self.deal_channel = deal_channel

    async def __call__(self, deal: CrmDeal, source: str) -> IntakeResult:
        """Open the deal's retrospective once and prompt its owner; a repeat of the same deal changes nothing."""
        client, team = await self._client(deal.workspace)
        if client is None:
            return IntakeResult(422, {"ok": False, "error": team})
        try:
            user = (await client.users_lookupByEmail(email=deal.owner_email))["user"]
        except SlackApiError as exc:
            data = getattr(exc.response, "data", {}) or {}
            if isinstance(data, dict) and data.get("error") == "users_not_found":
                return IntakeResult(422, {"ok": False, "error": f"no Slack user with the email {deal.owner_email}"})
            scope = scopes.needed(exc)
            if scope is not None:  # the CRM's admin sees this answer: say what to fix, retry later
                return IntakeResult(503, {"ok": False, "error": scopes.short(scope)})
            raise
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

    async def _client(self, workspace: str | None) -> tuple[AsyncWebClient | None, str]:
        """A Web API client for the workspace (or the only one), or None with the reason."""
        base = self.app.client
        if self.bot_token:
            try:
                team = (await self.authorize.identity(base))["team_id"]
            except SlackApiError as exc:
                return None, f"the Slack bot token doesn't work ({exc.response.get('error', 'unknown')})"
            if workspace and workspace != team:
                return None, f"coachbot isn't installed in workspace {workspace}"
        elif not workspace:
            return None, "several workspaces can be installed: say which one in \"workspace\" (or ?team= for HubSpot)"
        else:
            team = workspace
        token = await bot_token_for(self.app, self.bot_token, team)
        if token is None:
            return None, f"coachbot isn't installed in workspace {workspace}"
        return client_with(base, token), team
