"""What a CRM's deal payloads say, read as untrusted input: lost deals (the generic hook and HubSpot's deal
webhook) and new deals (the generic hook and HubSpot's deal.creation events). Every problem is named in
a WebhookError the sender can act on; nothing here reads a header, a signature or the database."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlparse

from bot.core import untrusted
from bot.core.crm import CrmDeal, NewDeal

LOST_STAGES = {"closedlost", "closed_lost", "closed lost", "lost"}


class WebhookError(Exception):
    """A request refused with an HTTP status and a reason the sender can act on."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


DEAL_ID_MAX = 120  # "crm:" + the id is the retrospective's deal_key (128 characters)


def _deal_id_problems(deal_id: Any) -> list[str]:
    """What is wrong with a generic hook's deal_id (the same rules for lost and new deals), if anything."""
    if not isinstance(deal_id, (str, int)) or isinstance(deal_id, bool) or not str(deal_id).strip():
        return ["deal_id is required (a string or number)"]
    problems = []
    if len(str(deal_id).strip()) > DEAL_ID_MAX:
        problems.append(f"deal_id must be at most {DEAL_ID_MAX} characters")
    if isinstance(deal_id, str) and deal_id.strip().lower().startswith("hubspot:"):
        problems.append("deal_id must not start with “hubspot:”, which names deals from the HubSpot webhook")
    return problems


def parse_generic(data: Any) -> CrmDeal:
    """The generic payload: {"deal_id", "name", "owner_email", "amount"?, "stage"?, "close_date"?, "url"?,
    "workspace"?, "channel"?}. Raises WebhookError(422) naming every problem."""
    if not isinstance(data, dict):
        raise WebhookError(422, "the body must be a JSON object")
    problems = []
    deal_id = data.get("deal_id")
    problems += _deal_id_problems(deal_id)
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


OWNER_MAX = 320  # an email (people.email); a platform user id is shorter
CREATED_SUBSCRIPTION = "deal.creation"  # HubSpot webhooks v3: developers.hubspot.com/docs/api/webhooks


def parse_new_deal(data: Any) -> NewDeal:
    """The generic new-deal payload: {"deal_id", "owner" (a user id or an email; "owner_email" also
    taken, as the lost-deal hook names it), "created_at"?, "name"?, "workspace"?}. Raises WebhookError(422)
    naming every problem."""
    if not isinstance(data, dict):
        raise WebhookError(422, "the body must be a JSON object")
    problems = []
    deal_id = data.get("deal_id")
    problems += _deal_id_problems(deal_id)
    owner = data.get("owner", data.get("owner_email"))
    if not isinstance(owner, str) or not owner.strip() or len(owner) > OWNER_MAX or not owner.strip().isprintable():
        problems.append("owner is required: the deal owner's user id (e.g. U0123ABCD) or email")
    created = data.get("created_at")
    created_at = None
    if created is not None:
        created_at = _instant(created)
        if created_at is None:
            problems.append("created_at must be a date-time with its offset, like 2026-11-30T09:15:00+01:00")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        problems.append("name must be a string of at most 200 characters")
    workspace = data.get("workspace")
    if workspace is not None and (not isinstance(workspace, str) or not 0 < len(workspace) <= 255):
        problems.append("workspace must be a workspace id (a string of at most 255 characters)")
    if problems:
        raise WebhookError(422, "; ".join(problems))
    owner = owner.strip()
    return NewDeal(key=f"crm:{str(deal_id).strip()}", owner=owner.lower() if "@" in owner else owner,
                   created_at=created_at, workspace=workspace)


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 date-time with an offset (or a Z) as UTC; None for anything else (a bare time is ambiguous)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    if at.tzinfo is None or not 2000 <= at.year <= 2100:
        return None
    return at.astimezone(timezone.utc)


def parse_hubspot_created(items: list[Any]) -> tuple[list[NewDeal], int]:
    """HubSpot's deal-creation events (subscriptionType "deal.creation") that carry their owner's email in
    properties, as the lost-deal webhook takes it; and how many came without one (HubSpot's own events
    name no owner, so those can't be counted)."""
    deals, unowned = [], 0
    for item in items:
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            raise WebhookError(422, "properties must be an object of deal properties")
        props = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in props.items()}
        object_id = item.get("objectId") or props.get("hs_object_id")
        email = props.get("hubspot_owner_email") or props.get("owner_email")
        if isinstance(object_id, bool) or not isinstance(object_id, (int, str)) or not str(object_id).strip():
            raise WebhookError(422, "a HubSpot deal.creation event needs its objectId")
        if len(str(object_id)) > DEAL_ID_MAX - len("hubspot:"):
            raise WebhookError(422, f"objectId must be at most {DEAL_ID_MAX - len('hubspot:')} characters")
        if not isinstance(email, str) or "@" not in email or len(email) > OWNER_MAX:
            unowned += 1
            continue
        occurred = item.get("occurredAt")
        at = None
        if isinstance(occurred, int) and not isinstance(occurred, bool):
            try:
                at = datetime.fromtimestamp(occurred / 1000, timezone.utc)
            except (OverflowError, OSError, ValueError):
                at = None
            if at is not None and not 2000 <= at.year <= 2100:  # as the generic hook's created_at: else "now"
                at = None
        deals.append(NewDeal(key=f"crm:hubspot:{object_id}", owner=email.strip().lower(), created_at=at))
    return deals, unowned


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
