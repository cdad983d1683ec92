"""The Teams HTTP endpoint: `POST /api/messages`, its JWT check, and the Agents SDK adapter behind it.

Every Agents SDK import of coachbot lives in `bot/teams/`.
"""
from __future__ import annotations

import logging

from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration, AuthTypes, ClaimsIdentity, JwtTokenValidator, MessageFactory, TurnContext,
)
from pydantic import ValidationError

from bot.outage import DB_DOWN, UNAVAILABLE
from bot.service import CoachService
from bot.settings import Settings
from bot.teams.app import CoachTeamsBot

log = logging.getLogger("coachbot.teams")
MAX_ACTIVITY = 256 * 1024  # Teams activities are far smaller; a larger body is refused with 413
TURN_FAILED = "Something went wrong on my side. Everything you had answered is saved — try again in a moment."


class TeamsSurface:
    """What Teams contributes to the server: the adapter, the bot, and the nudge sender."""

    def __init__(self, adapter: CloudAdapter, bot: CoachTeamsBot, auth: AgentAuthConfiguration, anonymous: bool):
        self.adapter = adapter
        self.bot = bot
        self.auth = auth
        self.anonymous = anonymous

    def register(self, app: web.Application) -> None:
        """Mount POST /api/messages (JWT-validated unless running anonymously for the Playground)."""
        async def messages(request: web.Request) -> web.Response:
            if request.content_length is not None and request.content_length > MAX_ACTIVITY:
                return web.json_response({"error": "activity too large"}, status=413)
            claims = await self.authorize(request.headers.get("Authorization"))
            if claims is None:
                return web.json_response({"error": "a valid Bot Framework token is required"}, status=401)
            request["claims_identity"] = claims
            try:
                return await self.adapter.process(request, self.bot)
            except ValidationError as exc:
                return web.json_response({"error": "not a valid activity: " + _first_error(exc)}, status=400)

        app.router.add_post("/api/messages", messages)

    async def authorize(self, header: str | None) -> ClaimsIdentity | None:
        """The caller's claims from a Bot Framework JWT, or None to refuse with 401.

        The SDK's own validator does the checks (signature against the issuer's keys, audience =
        our app id, issuer, expiry); any failure of it — including malformed tokens it does not
        expect — is a refusal here, never a 500 that might be retried into processing.
        """
        if not header:
            return ClaimsIdentity() if self.anonymous else None
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
            return None
        try:
            return await JwtTokenValidator(self.auth).validate_token(token.strip())
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.warning("Teams request refused: token failed validation (%s)", exc.__class__.__name__)
            return None


def build_teams(settings: Settings, service: CoachService) -> TeamsSurface:
    """The adapter and bot, authenticated with TEAMS_APP_ID/_PASSWORD/_TENANT_ID, or anonymous without."""
    app_id = settings.teams_app_id
    anonymous = not app_id
    secret = settings.teams_app_password.get_secret_value() if settings.teams_app_password else None
    auth = AgentAuthConfiguration(
        # An app id without a password means the bot's identity is a user-assigned managed identity
        # (coachbot running in Azure); with a password, a single-tenant app registration's secret.
        auth_type=AuthTypes.client_secret if secret or anonymous else AuthTypes.user_managed_identity,
        client_id=app_id or None, tenant_id=settings.teams_tenant_id or None, client_secret=secret,
        anonymous_allowed=anonymous)
    adapter = CloudAdapter(connection_manager=MsalConnectionManager(
        connections_configurations={"SERVICE_CONNECTION": auth}))
    bot = CoachTeamsBot(service, adapter, app_id=app_id or "", anonymous=anonymous,
                        default_tenant=settings.teams_tenant_id or "local")

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        # The SDK's default echoes the exception to the user; log it here and say something useful.
        log.error("Teams turn failed", exc_info=error)
        try:
            said = DB_DOWN if isinstance(error, UNAVAILABLE) else TURN_FAILED
            await context.send_activity(MessageFactory.text(said))
        except Exception:  # noqa: BLE001 - the connector itself may be what failed
            log.warning("could not tell the user about the failure")

    adapter.on_turn_error = on_turn_error
    if anonymous:
        log.warning("TEAMS_APP_ID is not set: /api/messages accepts UNAUTHENTICATED requests (for the Agents "
                    "Playground on this machine only). Set TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID "
                    "before exposing this server.")
    return TeamsSurface(adapter, bot, auth, anonymous)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0] if exc.errors() else {}
    return f"{'.'.join(str(x) for x in err.get('loc', ()))}: {err.get('msg', 'invalid')}"[:300]
