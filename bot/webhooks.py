"""CRM webhooks for lost deals: a generic signed JSON hook and HubSpot's deal webhook (v3 signature).

Both verify the signature over the raw body and a timestamp window before anything is parsed,
refuse oversized or malformed bodies with a reason, and hand one neutral `CrmDeal` per lost deal
to an intake (Slack's, for now) that finds the owner and posts the prompt.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from datetime import date, datetime, timezone
from typing import Any, Callable
from urllib.parse import urlparse

from aiohttp import web

from bot.core import untrusted
from bot.core.crm import CrmDeal, Intake, IntakeResult

log = logging.getLogger("coachbot.webhooks")
MAX_BODY = 64 * 1024
TOLERANCE_SECONDS = 300
LOST_STAGES = {"closedlost", "closed_lost", "closed lost", "lost"}


class WebhookError(Exception):
    """A request refused with an HTTP status and a reason the sender can act on."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


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


DEAL_ID_MAX = 120  # "crm:" + the id is the retrospective's deal_key (128 characters)


def parse_generic(data: Any) -> CrmDeal:
    """The generic payload: {"deal_id", "name", "owner_email", "amount"?, "stage"?, "close_date"?, "url"?,
    "workspace"?, "channel"?}. Raises WebhookError(422) naming every problem."""
    if not isinstance(data, dict):
        raise WebhookError(422, "the body must be a JSON object")
    problems = []
    deal_id = data.get("deal_id")
    if not isinstance(deal_id, (str, int)) or isinstance(deal_id, bool) or not str(deal_id).strip():
        problems.append("deal_id is required (a string or number)")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems.append("name is required (a string of at most 200 characters)")
    email = data.get("owner_email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        problems.append("owner_email is required (the deal owner's email)")
    amount = data.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, (int, float))):
        problems.append("amount must be a number")
    else:
        try:
            amount = untrusted.amount(amount)
        except untrusted.Refused as exc:
            problems.append(str(exc))
    close = data.get("close_date")
    close_date = None
    if close is not None:
        try:
            close_date = date.fromisoformat(str(close))
        except ValueError:
            problems.append("close_date must be a date like 2026-11-20")
    url = data.get("url")
    if url is not None and (not isinstance(url, str) or urlparse(url).scheme not in ("http", "https")):
        problems.append("url must be an http(s) link")
    if isinstance(deal_id, (str, int)) and len(str(deal_id).strip()) > DEAL_ID_MAX:
        problems.append(f"deal_id must be at most {DEAL_ID_MAX} characters")
    if isinstance(deal_id, str) and deal_id.strip().lower().startswith("hubspot:"):
        problems.append("deal_id must not start with “hubspot:”, which names deals from the HubSpot webhook")
    if isinstance(url, str) and len(url) > 500:
        problems.append("url must be at most 500 characters")
    for key, most in (("stage", 100), ("workspace", 64), ("channel", 32)):  # the columns they are kept in
        if data.get(key) is not None and (not isinstance(data.get(key), str) or len(data[key]) > most):
            problems.append(f"{key} must be a string of at most {most} characters")
    if problems:
        raise WebhookError(422, "; ".join(problems))
    return CrmDeal(id=str(deal_id).strip(), name=name.strip(), owner_email=email.strip().lower(),
                   amount=amount, stage=data.get("stage"),
                   close_date=close_date, url=url, workspace=data.get("workspace"), channel=data.get("channel"))


def parse_hubspot(data: Any) -> tuple[list[CrmDeal], int]:
    """Deals from HubSpot's deal webhook (one deal object or a list): the lost ones, and how many were not."""
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) for i in items):
        raise WebhookError(422, "expected a HubSpot deal object or a list of them")
    deals, ignored = [], 0
    for item in items:
        raw_props = item.get("properties") or {}
        if not isinstance(raw_props, dict):
            raise WebhookError(422, "properties must be an object of deal properties")
        props = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in raw_props.items()}
        stage = str(props.get("dealstage") or item.get("propertyValue") or "").strip().lower()
        if stage not in LOST_STAGES and str(props.get("hs_is_closed_lost", "")).lower() != "true":
            ignored += 1
            continue
        object_id = item.get("objectId") or props.get("hs_object_id")
        email = props.get("hubspot_owner_email") or props.get("owner_email")
        if not object_id or not props.get("dealname") or not email:
            raise WebhookError(422, "a lost HubSpot deal needs objectId, properties.dealname and "
                                    "properties.hubspot_owner_email (add them to the webhook's properties)")
        try:
            amount = untrusted.amount(props.get("amount"))
        except untrusted.Refused as exc:
            raise WebhookError(422, f"properties.{exc}")
        close = props.get("closedate")
        close_date = None
        if close:
            try:
                close_date = datetime.fromtimestamp(int(close) / 1000, timezone.utc).date()
            except (TypeError, ValueError, OverflowError, OSError):  # not milliseconds of a real date
                close_date = None
        if len(str(object_id)) > DEAL_ID_MAX - len("hubspot:"):
            raise WebhookError(422, f"objectId must be at most {DEAL_ID_MAX - len('hubspot:')} characters")
        name = str(props["dealname"]).strip()
        deals.append(CrmDeal(id=f"hubspot:{object_id}", name=name if len(name) <= 200 else name[:199] + "…",
                             owner_email=str(email).strip().lower(), amount=amount, stage=stage[:100] or None,
                             close_date=close_date))
    return deals, ignored


class WebhookRoutes:
    """POST /hooks/deals/lost and POST /hooks/hubspot."""

    def __init__(self, *, intake: Intake | None, crm_secret: str | None, hubspot_secret: str | None,
                 public_url: str | None = None, clock: Callable[[], float] = time.time):
        self.intake = intake
        self.crm_secret = crm_secret
        self.hubspot_secret = hubspot_secret
        self.public_url = public_url.rstrip("/") if public_url else None
        self.clock = clock

    def register(self, app: web.Application) -> None:
        app.router.add_post("/hooks/deals/lost", self.generic)
        app.router.add_post("/hooks/hubspot", self.hubspot)

    async def generic(self, request: web.Request) -> web.Response:
        try:
            if not self.crm_secret:
                raise WebhookError(503, "CRM webhooks are not configured (set CRM_WEBHOOK_SECRET)")
            body = await _read_limited(request)
            verify_generic(self.crm_secret, request.headers.get("X-Coachbot-Timestamp"),
                           request.headers.get("X-Coachbot-Signature"), body, self.clock())
            deal = parse_generic(_json(body))
            return await self._take(deal, "webhook")
        except WebhookError as exc:
            return _refuse(exc)

    async def hubspot(self, request: web.Request) -> web.Response:
        try:
            if not self.hubspot_secret:
                raise WebhookError(503, "HubSpot webhooks are not configured (set HUBSPOT_CLIENT_SECRET)")
            body = await _read_limited(request)
            uri = (self.public_url + request.path_qs) if self.public_url else str(request.url)
            verify_hubspot(self.hubspot_secret, request.method, uri, body,
                           request.headers.get("X-HubSpot-Request-Timestamp"),
                           request.headers.get("X-HubSpot-Signature-v3"), self.clock())
            deals, ignored = parse_hubspot(_json(body))
            team = request.query.get("team")
            if team is not None and (len(team) > 64 or not team.isprintable()):
                raise WebhookError(422, "the team query parameter must be a workspace id (at most 64 printable "
                                        "characters)")
            results = [await self._result(CrmDeal(**{**d.__dict__, "workspace": team}), "hubspot") for d in deals]
            status = max((r.status for r in results), default=200)
            return web.json_response({"ok": status < 400, "deals": [r.body for r in results], "ignored": ignored},
                                     status=status)
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
    body = await request.content.read(MAX_BODY + 1)
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
