"""The Teams HTTP endpoint: `POST /api/messages`, its JWT check, and the Agents SDK adapter behind it.

Every Agents SDK import of coachbot lives in `bot/teams/`.
"""
from __future__ import annotations

import ipaddress
import logging

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration, ClaimsIdentity, JwtTokenValidator, MessageFactory, TurnContext,
)
from pydantic import ValidationError

from bot.core import untrusted
from bot.core.outage import DB_DOWN, UNAVAILABLE
from bot.core.service import CoachService
from bot.ops.settings import Settings
from bot.teams.app import CoachTeamsBot
from bot.teams.identity import auth_configuration, connections, reference_problem, service_url_problem, validator

log = logging.getLogger("coachbot.teams")
MAX_ACTIVITY = 256 * 1024  # Teams activities are far smaller; a larger body is refused with 413
ID_MAX = 255  # people.platform_user_id and workspaces.external_id hold a Teams user id and tenant id
TURN_FAILED = "Something went wrong on my side. Everything you had answered is saved — try again in a moment."


class TeamsSurface:
    """What Teams contributes to the server: the adapter, the bot, and the nudge sender."""

    def __init__(self, adapter: CloudAdapter, bot: CoachTeamsBot, auth: AgentAuthConfiguration, anonymous: bool,
                 checker: JwtTokenValidator, hosts: tuple[str, ...]):
        self.adapter = adapter
        self.bot = bot
        self.auth = auth
        self.anonymous = anonymous
        self.checker = checker
        self.hosts = hosts

    def register(self, app: web.Application) -> None:
        """Mount POST /api/messages (JWT-validated unless running anonymously for the Playground)."""
        async def messages(request: web.Request) -> web.Response:
            if self.anonymous and not is_loopback(request.remote):
                # Without an app id nothing proves who is calling: only this machine's tools may.
                return web.json_response({"error": "without TEAMS_APP_ID only this machine may call /api/messages"},
                                         status=403)
            body = await read_limited(request, MAX_ACTIVITY)
            if body is None:
                return web.json_response({"error": f"activity too large (over {MAX_ACTIVITY:,} bytes)"}, status=413)
            claims = await self.authorize(request.headers.get("Authorization"))
            if claims is None:
                return web.json_response({"error": "a valid Bot Framework token is required"}, status=401)
            try:
                activity = untrusted.loads(body)
            except untrusted.Refused as exc:
                return web.json_response({"error": f"Invalid JSON: {exc}"}, status=400)
            if not isinstance(activity, dict):
                return web.json_response({"error": "not a valid activity: not an object"}, status=400)
            try:
                parsed = Activity.model_validate(activity)
            except ValidationError as exc:
                return web.json_response({"error": "not a valid activity: " + _first_error(exc)}, status=400)
            if not parsed.type or not parsed.conversation or not parsed.conversation.id:
                return web.json_response({"error": "not a valid activity: it needs a type and a conversation id"},
                                         status=400)
            overlong = _overlong_id(parsed)
            if overlong:
                return web.json_response({"error": f"not a valid activity: {overlong} is longer than {ID_MAX} "
                                                   "characters"}, status=400)
            problem = service_url_problem(activity, claims, None if self.anonymous else self.hosts)
            if problem:
                log.warning("Teams request refused: %s", problem)
                return web.json_response({"error": problem}, status=401)
            request["claims_identity"] = claims
            try:
                response = await self.adapter.process_request(_Parsed(request, activity), self.bot)
                return CloudAdapter._to_aiohttp_response(response)
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
        if self.anonymous:
            return None  # with no app id there is nothing to check a token against
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
            return None
        try:
            return await self.checker.validate_token(token.strip())
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.warning("Teams request refused: token failed validation (%s)", exc.__class__.__name__)
            return None


def is_loopback(address: str | None) -> bool:
    """Whether a peer address is this machine."""
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None when it is longer than `limit` — whatever its Content-Length says, or
    without one (chunked transfer encoding), reading no more than `limit` + 1 bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks, size = [], 0
    while True:
        chunk = await request.content.read(min(65536, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


class _Parsed:
    """The request as the SDK reads it, with the body already read (and checked) here."""

    def __init__(self, request: web.Request, body: dict):
        self._request = request
        self._body = body
        self.method = request.method
        self.headers = request.headers

    async def json(self) -> dict:
        """The body, read and checked already."""
        return self._body

    def get_claims_identity(self):
        """The caller's claims, as `authorize` found them."""
        return self._request.get("claims_identity")

    def get_path_param(self, name: str) -> str:
        """A path parameter of the route."""
        return self._request.match_info[name]


def build_teams(settings: Settings, service: CoachService) -> TeamsSurface:
    """The adapter and bot, authenticated with TEAMS_APP_ID/_PASSWORD/_TENANT_ID, or anonymous without."""
    app_id = settings.teams_app_id
    anonymous = not app_id
    auth = auth_configuration(settings)
    adapter = CloudAdapter(connection_manager=connections(settings, auth))
    bot = CoachTeamsBot(service, adapter, app_id=app_id or "", anonymous=anonymous,
                        default_tenant=settings.teams_tenant_id or "local", admins=settings.teams_admin_ids,
                        safe_reference=lambda url: reference_problem(url, None if anonymous else settings.teams_hosts))

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
    if settings.teams_test_identity_url:
        log.warning("TEAMS_TEST_IDENTITY_URL is set: Teams tokens are checked against the test suite's double at %s. "
                    "This is for the tests only.", settings.teams_test_identity_url)
    return TeamsSurface(adapter, bot, auth, anonymous, validator(settings, auth), settings.teams_hosts)


def _overlong_id(activity: Activity) -> str | None:
    """The field of an activity whose id could not be stored (an id longer than its column), if any."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant") if isinstance(channel_data.get("tenant"), dict) else {}
    for field, value in (("from.id", activity.from_property.id if activity.from_property else None),
                         ("conversation.tenantId", activity.conversation.tenant_id if activity.conversation else None),
                         ("channelData.tenant.id", tenant.get("id"))):
        if isinstance(value, str) and len(value) > ID_MAX:
            return field
    return None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0] if exc.errors() else {}
    return f"{'.'.join(str(x) for x in err.get('loc', ()))}: {err.get('msg', 'invalid')}"[:300]
