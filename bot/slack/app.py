"""The Slack side of the server: the Web API client, the Bolt app in either install mode, and what
hangs off it (listeners, the CRM intake, the nudge sender).

Listeners live in `bot.slack.listeners`, authorization in `bot.slack.auth`, Block Kit in `bot.slack.blocks`.
"""
from __future__ import annotations

import json
import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler, AsyncRateLimitErrorRetryHandler, AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import untrusted
from bot.core.profiles import ProfileRefresher
from bot.core.service import CoachService
from bot.ops.settings import Settings
from bot.slack.auth import SingleWorkspaceAuthorize, StoredBotAuthorize
from bot.slack.listeners import SlackListeners
from storage import slack_tables

log = logging.getLogger("coachbot.slack")
# What each scope is for: commands (/coach), chat:write (DMs, channel prompts, ephemeral notes),
# users:read (names, time zones), users:read.email (CRM owners by email), users.profile:read (the
# manager field of profiles, /coach team sync), im:history (the DM
# history a re-sent nudge is checked against, and message.im events), channels:history and
# groups:history (the deal thread a re-sent retrospective reply is checked against, so a crash
# never posts it twice; no channel message events are subscribed), im:write (opening a DM),
# files:write (the /coach report chart). slack/manifest.json must ask for the same list.
SCOPES = ["commands", "chat:write", "users:read", "users:read.email", "users.profile:read", "im:history",
          "channels:history", "groups:history", "im:write", "files:write"]
NOT_INSTALLED = (":warning: coachbot isn't installed in this workspace, so nothing was done. "
                 "A Slack admin can add it from the app's install page (/slack/install).")


def sdk_logger() -> logging.Logger:
    """The logger for slack_sdk clients, with an explicit level.

    slack_sdk compares its logger's *own* level with DEBUG before building a debug line that holds the
    whole request; a logger left at NOTSET passes that test, so every call formatted and discarded
    one. An explicit INFO (or DEBUG when asked for) makes that cost disappear.
    """
    sdk = logging.getLogger("coachbot.slack_sdk")
    if sdk.level == logging.NOTSET:
        sdk.setLevel(logging.DEBUG if logging.getLogger("slack_sdk").isEnabledFor(logging.DEBUG) else logging.INFO)
    return sdk


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL that retries 429 (after Retry-After), 5xx and network errors."""
    return AsyncWebClient(
        base_url=settings.slack_api_url,
        timeout=10,
        logger=sdk_logger(),
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackSurface:
    """Everything Slack contributes to the server: the Bolt app, its listeners and the CRM intake."""

    def __init__(self, app: AsyncApp, listeners: SlackListeners, intake, sender,
                 authorize: SingleWorkspaceAuthorize | None = None):
        self.app = app
        self.listeners = listeners
        self.intake = intake
        self.sender = sender
        self.authorize = authorize

    def start(self) -> None:
        """Learn the single token's workspace now, so no request has to wait for auth.test; a token
        that works means the app is installed there (again, perhaps)."""
        if self.authorize is None:
            return

        async def learn() -> None:
            team = (await self.authorize.identity(self.app.client)).get("team_id")
            if team:
                await self.listeners.service.workspace_back("slack", team)
        self.listeners.later(learn())


def build_slack(settings: Settings, service: CoachService) -> SlackSurface:
    """The Bolt app and what hangs off it, configured from settings."""
    from bot.slack.intake import SlackIntake

    listeners = SlackListeners(service, ProfileRefresher(service.db, service.clock, service.defaults,
                                                         renamed=service.steps.forget_about))
    single = None if settings.slack_oauth else SingleWorkspaceAuthorize(settings.slack_bot_token.get_secret_value())
    app = build_app(settings, listeners, single)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and not settings.slack_oauth \
        else None
    from bot.slack.sender import SlackSender

    sender = SlackSender(app, bot_token=token)
    listeners.workspace_gone = sender.forget
    return SlackSurface(app, listeners, SlackIntake(app, listeners, bot_token=token, authorize=single,
                                                    deal_channel=settings.crm_deal_channel), sender, single)


def build_app(settings: Settings, listeners: SlackListeners, single: SingleWorkspaceAuthorize | None) -> AsyncApp:
    """The Bolt app: multi-workspace OAuth when client id/secret are set, else the one SLACK_BOT_TOKEN
    (`single` authorizes with it)."""
    service = listeners.service
    client = web_client(settings)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    common = dict(
        signing_secret=secret,
        client=client,
        process_before_response=True,
        user_facing_authorize_error_message=NOT_INSTALLED,
        # Socket Mode without a signing secret: the websocket is authenticated by the app token, and
        # the server does not mount /slack/events at all (see bot.server), so nothing goes unverified.
        request_verification_enabled=secret is not None,
    )
    if single is None:
        engine = service.db.engine
        client_id = settings.slack_client_id or ""
        store = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine,
                                                 bots_table_name=slack_tables.BOTS,
                                                 installations_table_name=slack_tables.INSTALLATIONS)
        state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine,
                                                     table_name=slack_tables.OAUTH_STATES)
        app = AsyncApp(
            **common,
            authorize=StoredBotAuthorize(store),
            installation_store=store,
            oauth_settings=AsyncOAuthSettings(
                client_id=client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                scopes=SCOPES,
                installation_store=store,
                state_store=state_store,
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
            ),
        )
        listeners.revocation = AsyncTokenRevocationListeners(store)
        flow = app.oauth_flow
        installed = flow.success_handler

        async def on_installed(args) -> BoltResponse:
            team = args.installation.team_id or args.installation.enterprise_id or ""
            await service.workspace_back("slack", team)
            listeners.scope_gaps.forget(team)
            listeners.workspace_gone(team)  # the sender reads the new token before its next send
            return await installed(args)
        flow.success_handler = on_installed
    else:
        app = AsyncApp(**common, authorize=single)
    app.middleware(_without_nul)
    listeners.register(app)
    return app


async def _without_nul(req, resp, next) -> BoltResponse:
    # Over HTTP, bot.slack.forms already dropped NUL characters from the body; Socket Mode payloads
    # reach Bolt without passing there, and PostgreSQL refuses NUL in any text column.
    if req.mode == "socket_mode" and "\\u0000" in json.dumps(req.body):
        req.body = untrusted.cleaned(req.body)
    return await next()
