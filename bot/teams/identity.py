"""Who may talk to coachbot's Teams endpoint, and how coachbot proves who it is when it answers.

Inbound, an activity is accepted only with a Bot Framework JWT (signature, audience = our app id,
expiry, and the issuer: the Bot Framework's own, or the tenant's Entra ID where configured) whose
`serviceurl` claim names the same host as the activity's `serviceUrl`, and that host must be one of
Teams' own. Otherwise a forged activity could make coachbot send its connector token to any address.

Outbound, the SDK asks Entra ID for a token (MSAL). The test suite's Teams double plays both the
key source and the token service on 127.0.0.1 (TEAMS_TEST_IDENTITY_URL, which settings refuse to
point anywhere else).
"""
from __future__ import annotations

import logging
import time
from urllib.parse import urlparse

import aiohttp
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core import AgentAuthConfiguration, AuthTypes, ClaimsIdentity, JwtTokenValidator
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import _JwkClientManager

from bot.ops.settings import Settings

log = logging.getLogger("coachbot.teams")
BOTFRAMEWORK_ISSUER = "https://api.botframework.com"
CONNECTOR_SCOPE = "https://api.botframework.com/.default"


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The bot's identity and what the validator accepts (anonymous without an app id)."""
    app_id = settings.teams_app_id
    anonymous = not app_id
    secret = settings.teams_app_password.get_secret_value() if settings.teams_app_password else None
    tenant = settings.teams_tenant_id or None
    issuers = [BOTFRAMEWORK_ISSUER]
    if settings.teams_tenant_issuer and tenant:
        issuers += [f"https://sts.windows.net/{tenant}/", f"https://login.microsoftonline.com/{tenant}/v2.0"]
    return AgentAuthConfiguration(
        # An app id without a password means the bot's identity is a user-assigned managed identity
        # (coachbot running in Azure); with a password, a single-tenant app registration's secret.
        auth_type=AuthTypes.client_secret if secret or anonymous else AuthTypes.user_managed_identity,
        client_id=app_id or None, tenant_id=tenant, client_secret=secret, anonymous_allowed=anonymous,
        issuers=issuers, validate_issuer=True)


def connections(settings: Settings, auth: AgentAuthConfiguration):
    """Where outbound tokens come from: Entra ID through MSAL, or the test suite's identity double."""
    if settings.teams_test_identity_url and settings.teams_app_id:
        return LocalIdentity(auth, settings.teams_test_identity_url)
    return MsalConnectionManager(connections_configurations={"SERVICE_CONNECTION": auth})


def validator(settings: Settings, auth: AgentAuthConfiguration) -> JwtTokenValidator:
    """The SDK's JWT validator; with the test identity, its signing keys come from that double."""
    checker = JwtTokenValidator(auth)
    if settings.teams_test_identity_url:
        checker._jwk_client_manager = _KeysFrom(settings.teams_test_identity_url.rstrip("/") + "/keys")
    return checker


def reference_problem(url: str | None, hosts: tuple[str, ...] | None) -> str | None:
    """Why a stored conversation reference's service URL must not get the bot's token, or None.

    References are stored from checked activities, but ones stored before that check existed, or
    while running without an app id, are looked at again before every proactive send."""
    return _host_problem(url, hosts)


def service_url_problem(activity: dict, claims: ClaimsIdentity | None, hosts: tuple[str, ...] | None) -> str | None:
    """Why an activity's serviceUrl must not be answered, or None.

    `hosts` are the allowed hosts (suffix match); None means only this machine (the anonymous mode
    for the Agents Playground, where no token proves where an activity came from). With hosts, the
    token's `serviceurl` claim must name the same host and port.
    """
    url = activity.get("serviceUrl")
    problem = _host_problem(url, hosts)
    if problem:
        return f"the activity's serviceUrl: {problem}"
    if hosts is None:
        return None
    claimed = (claims.claims.get("serviceurl") if claims is not None else None) or ""
    mine, theirs = urlparse(url), urlparse(claimed)
    if (theirs.hostname or "").lower() != (mine.hostname or "").lower() or theirs.port != mine.port:
        return "the activity's serviceUrl does not match its token's serviceurl claim"
    return None


def _host_problem(url: str | None, hosts: tuple[str, ...] | None) -> str | None:
    if not isinstance(url, str) or not url:
        return "missing"
    parsed = urlparse(url)
    try:
        port = parsed.port
    except ValueError:
        return "not a URL"
    host = (parsed.hostname or "").lower()
    if not host or parsed.scheme not in ("https", "http") or parsed.username is not None:
        return "not a plain http(s) URL"
    local = host in ("localhost", "127.0.0.1", "::1")
    if hosts is None:
        return None if local else "anonymous requests may only come from this machine"
    if not local and (parsed.scheme != "https" or port not in (None, 443)):
        return "not https on the standard port"
    if not any(host == h or host.endswith("." + h) for h in hosts):
        return f"{host} is not a Teams service host"
    return None


class _KeysFrom(_JwkClientManager):
    """The SDK's key cache, asked for one address whatever the token's issuer would pick (tests only)."""

    def __init__(self, jwks_url: str):
        super().__init__()
        self.jwks_url = jwks_url

    def _get_jwk_client(self, jwks_uri: str):
        return super()._get_jwk_client(self.jwks_url)


class LocalIdentity:
    """A connection manager whose only token provider asks the test identity double (client credentials)."""

    def __init__(self, auth: AgentAuthConfiguration, url: str):
        self.auth = auth
        self.provider = _LocalTokens(auth, url.rstrip("/"))

    def get_connection(self, connection_name: str):
        """The one token provider, whatever connection is named."""
        return self.provider

    def get_default_connection(self):
        """The one token provider."""
        return self.provider

    def get_token_provider(self, claims_identity: ClaimsIdentity, service_url: str):
        """The one token provider, for any caller and service URL."""
        return self.provider

    def get_token_provider_from_activity(self, claims_identity: ClaimsIdentity, activity: Activity):
        """The one token provider, for any activity."""
        return self.provider

    def get_default_connection_configuration(self) -> AgentAuthConfiguration:
        """The app's auth settings (id, secret, tenant)."""
        return self.auth


class _LocalTokens:
    """Client-credential tokens from the test identity double, kept until a minute before they expire."""

    def __init__(self, auth: AgentAuthConfiguration, url: str):
        self.configuration = auth
        self.url = url
        self._token: tuple[str, float] | None = None

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        """A token for the connector, from the cache or the double's token endpoint."""
        if self._token and self._token[1] > time.monotonic() and not force_refresh:
            return self._token[0]
        form = {"grant_type": "client_credentials", "client_id": self.configuration.CLIENT_ID,
                "client_secret": self.configuration.CLIENT_SECRET, "scope": (scopes or [CONNECTOR_SCOPE])[0]}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.url}/{self.configuration.TENANT_ID}/oauth2/v2.0/token", data=form) as reply:
                reply.raise_for_status()
                answer = await reply.json()
        self._token = (answer["access_token"], time.monotonic() + answer.get("expires_in", 3600) - 60)
        return self._token[0]

    def get_token_credential(self):
        """Not offered: the test identity hands out tokens only."""
        raise NotImplementedError("the test identity hands out tokens only")
