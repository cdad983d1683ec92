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
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from aiohttp import web

from bot.core import untrusted
from bot.core.crm import Batch, CrmDeal, Intake, IntakeResult, NewDeal, NewDeals
from bot.deal_payloads import (CREATED_SUBSCRIPTION, WebhookError, parse_generic, parse_hubspot,  # noqa: F401
                               parse_new_deal)

log = logging.getLogger("coachbot.webhooks")
MAX_BODY = 64 * 1024
# HubSpot sends up to 100 events in one request (its webhooks API, "Batching"), and retries a 413 ten
# times before dropping the batch: room for 100 events with long property values, so a full batch is
# never refused for its size.
MAX_HUBSPOT_BODY = 256 * 1024
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
            deal = parse_new_deal(_json(await self._signed(request)), now=self._now())
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

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    async def hubspot(self, request: web.Request) -> web.Response:
        """HubSpot's deal webhook: each event of the batch taken or refused on its own, and the answer's
        status chosen for what HubSpot does with it (see _batch_status)."""
        try:
            if not self.hubspot_secret:
                raise WebhookError(503, "HubSpot webhooks are not configured (set HUBSPOT_CLIENT_SECRET)")
            body = await _read_limited(request, MAX_HUBSPOT_BODY)
            uri = (self.public_url + request.path_qs) if self.public_url else str(request.url)
            verify_hubspot(self.hubspot_secret, request.method, uri, body,
                           request.headers.get("X-HubSpot-Request-Timestamp"),
                           request.headers.get("X-HubSpot-Signature-v3"), self.clock())
            team = request.query.get("team")
            if team is not None and (len(team) > 64 or not team.isprintable()):
                raise WebhookError(400, "the team query parameter must be a workspace id (at most 64 printable "
                                        "characters)")
            events = parse_hubspot(_json(body), now=self._now())
        except WebhookError as exc:
            return _refuse(exc)
        answer: dict[str, Any] = {"deals": [], "ignored": 0, "refused": []}
        batch = Batch()  # one Slack lookup per owner, and none after Slack failed to answer
        created, unowned, taken, statuses = [], 0, 0, []
        for event in events:
            if event.ignored:
                answer["ignored"] += 1
                continue
            if event.unowned:
                unowned += 1
                continue
            if event.refused is not None:
                result = IntakeResult(422, {"ok": False, "error": event.refused})
            elif event.lost is not None:
                deal = CrmDeal(**{**event.lost.__dict__, "workspace": team})
                result = await _each(self._result(deal, "hubspot", batch))
                answer["deals"].append(result.body)
            else:
                result = await _each(self._count(NewDeal(**{**event.created.__dict__, "workspace": team})))
                body = {**result.body, "note": event.note} if event.note and result.status < 400 else result.body
                created.append(body)
            statuses.append(result.status)
            if result.status < 400:
                taken += 1
            else:
                answer["refused"].append({**event.ref, "status": result.status, "error": result.body.get("error")})
        status = _batch_status(statuses, handled=taken + answer["ignored"] + unowned)
        answer["ok"] = status < 400
        if status >= 400:
            reasons = [r["error"] for r in answer["refused"] if (r["status"] >= 500) == (status >= 500)]
            answer["error"] = "; ".join(dict.fromkeys(str(r) for r in reasons))
        if any(e.ref.get("subscriptionType") == CREATED_SUBSCRIPTION for e in events):
            answer["created"] = created
        if unowned:  # HubSpot's own deal.creation events name no owner: say so rather than drop them quietly
            answer["created_without_owner"] = unowned
            log.warning("%d HubSpot deal.creation event(s) carried no properties.hubspot_owner_email; not counted",
                        unowned)
        if answer["refused"]:
            log.info("HubSpot webhook: %d of %d event(s) not taken (answered %d): %s", len(answer["refused"]),
                     len(events), status, answer.get("error") or answer["refused"])
        return web.json_response(answer, status=status)

    async def _take(self, deal: CrmDeal, source: str) -> web.Response:
        result = await self._result(deal, source)
        return web.json_response(result.body, status=result.status)

    async def _result(self, deal: CrmDeal, source: str, batch: Batch | None = None) -> IntakeResult:
        if self.intake is None:
            raise WebhookError(503, "no chat platform is configured to deliver lost-deal prompts")
        return await self.intake(deal, source, batch or Batch())


async def _read_limited(request: web.Request, limit: int = MAX_BODY) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise WebhookError(413, f"body larger than {limit // 1024} KiB")
    # read(n) answers with what has arrived so far, so a body in several network pieces is read to its end.
    body = b""
    while chunk := await request.content.read(limit + 1 - len(body)):
        body += chunk
        if len(body) > limit:
            raise WebhookError(413, f"body larger than {limit // 1024} KiB")
    return body


def _json(body: bytes) -> Any:
    try:
        return untrusted.loads(body)
    except untrusted.Refused as exc:
        raise WebhookError(400, str(exc))


async def _each(outcome: Awaitable[IntakeResult]) -> IntakeResult:
    """One event's outcome; a failure is that event's alone, answered as a passing one (HubSpot sends the
    batch again, and what was already taken is recognised as a duplicate)."""
    try:
        return await outcome
    except WebhookError as exc:
        return IntakeResult(exc.status, {"ok": False, "error": exc.reason})
    except Exception:
        log.exception("a HubSpot event failed")
        return IntakeResult(503, {"ok": False, "error": "coachbot couldn't take this event just now (its log says "
                                                        "why); it is taken when HubSpot sends it again"})


# How long HubSpot waits: an answer later than 5 seconds counts as a timeout, and the batch comes again
# (hookdeck.com/webhooks/platforms/guide-to-hubspot-webhooks-features-and-best-practices, "Timeout: 5
# seconds"; earlier versions of HubSpot's own webhooks page said 1 and then 2 seconds, as quoted in
# integrate.hubspot.com/t/what-does-will-retry-mean-when/3953 and the community thread below). So a batch
# must be answered in seconds: a deal already taken is answered without asking Slack, each owner is looked
# up once a batch, a Slack throttle is answered 503 rather than waited out, and at most 100 events (all
# HubSpot sends at once) are taken in one request.
# What HubSpot does with the answer: its app webhooks send a batch again (up to 10 times, backing off
# exponentially) after a connection failure, a timeout, or any status but 400, 401, 403, 404 and 405 —
# so a 422 is retried like a 5xx (developers.hubspot.com/docs/methods/webhooks/webhooks-overview,
# "Retries"; a HubSpot engineer confirms 429 and 5xx are retried and only those five 4xx are not:
# community.hubspot.com/t5/APIs-Integrations/Webhooks-response/m-p/277653). Workflow webhooks retry
# 5xx and 429 but no other 4xx (developers.hubspot.com/docs/methods/workflows/webhook_information).
# Hence: a passing problem (a Slack scope being granted, a service down) answers 503 so the whole batch
# comes back, what was taken being recognised as a duplicate; events wrong in themselves answer 2xx
# beside the taken ones, listed in "refused", or 400 when nothing in the batch could be taken — never
# 422, which would bring the same bad events back ten times.
def _batch_status(statuses: list[int], *, handled: int) -> int:
    """The status of a HubSpot batch from its events' outcomes (handled: events taken, ignored or unowned)."""
    if any(s >= 500 or s == 429 for s in statuses):
        return 503
    if handled:
        return 201 if 201 in statuses else 200
    return 400


def _refuse(exc: WebhookError) -> web.Response:
    log.info("webhook refused (%d): %s", exc.status, exc.reason)
    return web.json_response({"ok": False, "error": exc.reason}, status=exc.status)
