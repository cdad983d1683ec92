"""CRM webhooks for lost and new deals: generic signed JSON hooks and HubSpot's deal webhook (v3 signature).

All verify the signature over the raw body and a timestamp window before anything is parsed, and
refuse oversized or malformed bodies with a reason. A lost deal becomes one neutral `CrmDeal` for an
intake (Slack's, for now) that finds the owner and queues the prompt; a new deal becomes a `NewDeal`
counted once in its owner's week of new opportunities (`NewDeals`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any, Callable

from aiohttp import web

from bot.core import untrusted
from bot.core.crm import CrmDeal, Intake, IntakeResult, NewDeal, NewDeals
from bot.deal_payloads import (CREATED_SUBSCRIPTION, WebhookError, parse_generic, parse_hubspot,  # noqa: F401
                               parse_hubspot_created, parse_new_deal)

log = logging.getLogger("coachbot.webhooks")
MAX_BODY = 64 * 1024
TOLERANCE_SECONDS = 300


def sign_generic(secret: str, timestamp: str, body: bytes) -> str:
    """The signature a sender puts in X-Coachbot-Signature: v1=hex(HMAC-SHA256(secret, "v1:{ts}:{body}"))."""
    mac = hmac.new(secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_generic(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> None:
    """Raise WebhookError unless the body is signed with `secret` within the time window."""
    if not signature or not timestamp:
        raise WebhookError(401, "missing X-Coachbot-Signature or X-Coachbot-Timestamp header")
    ts = untrusted.header_int(timestamp)
    if ts is None:
        raise WebhookError(401, "X-Coachbot-Timestamp must be Unix seconds")
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise WebhookError(401, "timestamp outside the 5-minute window (replayed or clock skew)")
    if not hmac.compare_digest(sign_generic(secret, timestamp, body), signature):
        raise WebhookError(401, "signature does not match the body")


def sign_hubspot(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str) -> str:
    """HubSpot's v3 signature: base64(HMAC-SHA256(secret, method + uri + body + timestamp))."""
    message = method.encode() + uri.encode() + body + timestamp_ms.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_hubspot(secret: str, method: str, uri: str, body: bytes, timestamp_ms: str | None,
                   signature: str | None, now: float) -> None:
    """Raise WebhookError unless HubSpot's v3 signature and timestamp (milliseconds) check out."""
    if not signature or not timestamp_ms:
        raise WebhookError(401, "missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp header")
    ms = untrusted.header_int(timestamp_ms)
    if ms is None:
        raise WebhookError(401, "X-HubSpot-Request-Timestamp must be Unix milliseconds")
    ts = ms / 1000
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise WebhookError(401, "timestamp outside the 5-minute window (replayed or clock skew)")
    if not hmac.compare_digest(sign_hubspot(secret, method, uri, body, timestamp_ms), signature):
        raise WebhookError(401, "signature does not match the body")


class WebhookRoutes:
    """POST /hooks/deals/lost, POST /hooks/deals/created and POST /hooks/hubspot."""

    def __init__(self, *, intake: Intake | None, crm_secret: str | None, hubspot_secret: str | None,
                 public_url: str | None = None, clock: Callable[[], float] = time.time,
                 new_deals: NewDeals | None = None):
        self.intake = intake
        self.new_deals = new_deals
        self.crm_secret = crm_secret
        self.hubspot_secret = hubspot_secret
        self.public_url = public_url.rstrip("/") if public_url else None
        self.clock = clock

    def register(self, app: web.Application) -> None:
        app.router.add_post("/hooks/deals/lost", self.generic)
        app.router.add_post("/hooks/deals/created", self.created)
        app.router.add_post("/hooks/hubspot", self.hubspot)

    async def generic(self, request: web.Request) -> web.Response:
        try:
            deal = parse_generic(_json(await self._signed(request)))
            return await self._take(deal, "webhook")
        except WebhookError as exc:
            return _refuse(exc)

    async def created(self, request: web.Request) -> web.Response:
        """A deal created in the CRM: counted once in its owner's week of new opportunities."""
        try:
            deal = parse_new_deal(_json(await self._signed(request)))
            result = await self._count(deal)
            return web.json_response(result.body, status=result.status)
        except WebhookError as exc:
            return _refuse(exc)

    async def _signed(self, request: web.Request) -> bytes:
        """The body of a request signed with the CRM secret (X-Coachbot-Signature), else WebhookError."""
        if not self.crm_secret:
            raise WebhookError(503, "CRM webhooks are not configured (set CRM_WEBHOOK_SECRET)")
        body = await _read_limited(request)
        verify_generic(self.crm_secret, request.headers.get("X-Coachbot-Timestamp"),
                       request.headers.get("X-Coachbot-Signature"), body, self.clock())
        return body

    async def _count(self, deal: NewDeal) -> IntakeResult:
        if self.new_deals is None:
            raise WebhookError(503, "counting new deals is not configured on this server")
        return await self.new_deals(deal)

    async def hubspot(self, request: web.Request) -> web.Response:
        try:
            if not self.hubspot_secret:
                raise WebhookError(503, "HubSpot webhooks are not configured (set HUBSPOT_CLIENT_SECRET)")
            body = await _read_limited(request)
            uri = (self.public_url + request.path_qs) if self.public_url else str(request.url)
            verify_hubspot(self.hubspot_secret, request.method, uri, body,
                           request.headers.get("X-HubSpot-Request-Timestamp"),
                           request.headers.get("X-HubSpot-Signature-v3"), self.clock())
            data = _json(body)
            items = data if isinstance(data, list) else [data]
            created = [i for i in items if isinstance(i, dict) and i.get("subscriptionType") == CREATED_SUBSCRIPTION]
            rest = [i for i in items if not (isinstance(i, dict) and i.get("subscriptionType") == CREATED_SUBSCRIPTION)]
            deals, ignored = parse_hubspot(rest if isinstance(data, list) else data) if rest or not created \
                else ([], 0)
            new, unowned = parse_hubspot_created(created)
            team = request.query.get("team")
            if team is not None and (len(team) > 64 or not team.isprintable()):
                raise WebhookError(422, "the team query parameter must be a workspace id (at most 64 printable "
                                        "characters)")
            results = [await self._result(CrmDeal(**{**d.__dict__, "workspace": team}), "hubspot") for d in deals]
            counted = [await self._count(NewDeal(**{**d.__dict__, "workspace": team})) for d in new]
            status = max((r.status for r in results + counted), default=200)
            answer = {"ok": status < 400, "deals": [r.body for r in results], "ignored": ignored}
            if created:
                answer["created"] = [r.body for r in counted]
            if unowned:  # HubSpot's own deal.creation events name no owner: say so rather than drop them quietly
                answer["created_without_owner"] = unowned
                log.warning("%d HubSpot deal.creation event(s) carried no properties.hubspot_owner_email; not counted",
                            unowned)
            return web.json_response(answer, status=status)
        except WebhookError as exc:
            return _refuse(exc)

    async def _take(self, deal: CrmDeal, source: str) -> web.Response:
        result = await self._result(deal, source)
        return web.json_response(result.body, status=result.status)

    async def _result(self, deal: CrmDeal, source: str) -> IntakeResult:
        if self.intake is None:
            raise WebhookError(503, "no chat platform is configured to deliver lost-deal prompts")
        return await self.intake(deal, source)


async def _read_limited(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise WebhookError(413, f"body larger than {MAX_BODY // 1024} KiB")
    # read(n) answers with what has arrived so far, so a body in several network pieces is read to its end.
    body = b""
    while chunk := await request.content.read(MAX_BODY + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY:
            raise WebhookError(413, f"body larger than {MAX_BODY // 1024} KiB")
    return body


def _json(body: bytes) -> Any:
    try:
        return untrusted.loads(body)
    except untrusted.Refused as exc:
        raise WebhookError(400, str(exc))


def _refuse(exc: WebhookError) -> web.Response:
    log.info("webhook refused (%d): %s", exc.status, exc.reason)
    return web.json_response({"ok": False, "error": exc.reason}, status=exc.status)
