"""What a CRM's deal payloads say, read as untrusted input: lost deals (the generic hook and HubSpot's deal
webhook) and new deals (the generic hook and HubSpot's deal.creation events). Every problem is named in
a WebhookError the sender can act on (for each event of a HubSpot batch on its own); nothing here reads a
header, a signature or the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
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
# A deal can't be created tomorrow; a day covers any clock skew and time-zone slip, and anything later
# would be counted in a week that hasn't come (and never shows in a report while it matters).
FUTURE_TOLERANCE = timedelta(days=1)


def parse_new_deal(data: Any, *, now: datetime) -> NewDeal:
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
        elif created_at > now + FUTURE_TOLERANCE:
            problems.append(f"created_at {created} is in the future: send the time the deal was created "
                            "(at most a day ahead of coachbot's clock)")
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


@dataclass(frozen=True)
class HubSpotEvent:
    """One event (or deal object) of a HubSpot request, judged on its own: what it brings, or why nothing."""

    ref: dict[str, Any]  # how the answer names it: its place in the batch, and its eventId and objectId
    lost: CrmDeal | None = None
    created: NewDeal | None = None
    refused: str | None = None  # what is wrong with the event itself: sending it again changes nothing
    ignored: bool = False  # a deal that is not lost
    unowned: bool = False  # a deal.creation event naming no owner (HubSpot's own events name none)
    note: str | None = None  # what the answer should add about a deal that was taken


# HubSpot sends at most 100 events in one request (its webhooks API, "Batching"): a longer list is not
# HubSpot's, and taking it would keep the answer past the few seconds HubSpot waits (see bot/webhooks.py).
MAX_HUBSPOT_EVENTS = 100


def parse_hubspot(data: Any, *, now: datetime | None = None) -> list[HubSpotEvent]:
    """Every event of HubSpot's deal webhook (one object or a list of them), each judged on its own: one
    bad event is refused with its reason and never costs the others. Raises WebhookError(400) only when
    the body is not an object or a list of them, or lists more events than HubSpot ever sends at once."""
    items = data if isinstance(data, list) else [data]
    if not items or not (isinstance(data, (dict, list))):
        raise WebhookError(400, "expected a HubSpot event (or deal object) or a list of them")
    if len(items) > MAX_HUBSPOT_EVENTS:
        raise WebhookError(400, f"{len(items)} events in one request: HubSpot sends at most {MAX_HUBSPOT_EVENTS}, "
                                f"so split them into requests of {MAX_HUBSPOT_EVENTS} or fewer")
    now = now or datetime.now(timezone.utc)
    events = []
    for index, item in enumerate(items):
        ref = _ref(index, item)
        try:
            events.append(_hubspot_event(item, ref, now))
        except WebhookError as exc:
            events.append(HubSpotEvent(ref=ref, refused=exc.reason))
    return events


def _ref(index: int, item: Any) -> dict[str, Any]:
    """The event's place in the batch and, when they are plain values, its eventId, objectId and type."""
    ref: dict[str, Any] = {"event": index}
    if isinstance(item, dict):
        for key in ("eventId", "objectId", "subscriptionType"):
            value = item.get(key)
            if isinstance(value, (int, float, str)) and not isinstance(value, bool) and len(str(value)) <= 40:
                ref[key] = value
    return ref


def _hubspot_event(item: Any, ref: dict[str, Any], now: datetime) -> HubSpotEvent:
    if not isinstance(item, dict):
        raise WebhookError(422, "each event must be a JSON object")
    raw_props = item.get("properties") or {}
    if not isinstance(raw_props, dict):
        raise WebhookError(422, "properties must be an object of deal properties")
    props = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in raw_props.items()}
    if item.get("subscriptionType") == CREATED_SUBSCRIPTION:
        return _hubspot_created(item, props, ref, now)
    return _hubspot_lost(item, props, ref)


def _object_id(item: dict, props: dict) -> str:
    """The deal's HubSpot id (objectId, else properties.hs_object_id) as text, or WebhookError(422)."""
    object_id = item.get("objectId")
    if object_id is None or object_id == "":
        object_id = props.get("hs_object_id")
    if object_id is None or object_id == "":
        raise WebhookError(422, "the event needs its objectId (the deal's HubSpot id)")
    if isinstance(object_id, bool) or not isinstance(object_id, (int, str)) or not str(object_id).strip() \
            or not str(object_id).strip().isprintable():
        raise WebhookError(422, f"objectId must be a whole number or a string, not {str(object_id)[:40]}")
    if len(str(object_id).strip()) > DEAL_ID_MAX - len("hubspot:"):
        raise WebhookError(422, f"objectId must be at most {DEAL_ID_MAX - len('hubspot:')} characters")
    return str(object_id).strip()


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or "@" not in value or len(value.strip()) > OWNER_MAX:
        return None
    return value.strip().lower()


def _hubspot_created(item: dict, props: dict, ref: dict[str, Any], now: datetime) -> HubSpotEvent:
    """A deal.creation event carrying its owner's email in properties, as the lost-deal webhook takes it."""
    object_id = _object_id(item, props)
    email = _email(props.get("hubspot_owner_email") or props.get("owner_email"))
    if email is None:
        return HubSpotEvent(ref=ref, unowned=True)
    occurred = item.get("occurredAt")
    at, note = None, None
    if isinstance(occurred, int) and not isinstance(occurred, bool):
        try:
            at = datetime.fromtimestamp(occurred / 1000, timezone.utc)
        except (OverflowError, OSError, ValueError):
            at = None
        # HubSpot sets occurredAt itself and won't send another: rather than lose the deal, it counts when
        # it arrived (as when no time is sent), and the answer says so.
        if at is None or not 2000 <= at.year or at > now + FUTURE_TOLERANCE:
            at, note = None, (f"occurredAt {occurred} is not a time the deal could have been created (it is "
                              "in the future or before 2000); counted in the week it arrived")
    deal = NewDeal(key=f"crm:hubspot:{object_id}", owner=email, created_at=at)
    return HubSpotEvent(ref=ref, created=deal, note=note)


def _hubspot_lost(item: dict, props: dict, ref: dict[str, Any]) -> HubSpotEvent:
    """A deal object or deal.propertyChange event: a CrmDeal when its stage is lost, else ignored."""
    stage = str(props.get("dealstage") or item.get("propertyValue") or "").strip().lower()
    if stage not in LOST_STAGES and str(props.get("hs_is_closed_lost", "")).lower() != "true":
        return HubSpotEvent(ref=ref, ignored=True)
    object_id = _object_id(item, props)
    name = props.get("dealname")
    email = props.get("hubspot_owner_email") or props.get("owner_email")
    missing = [f"properties.{key}" for key, value in (("dealname", name), ("hubspot_owner_email", email))
               if value is None or not str(value).strip()]
    if missing:
        raise WebhookError(422, f"a lost HubSpot deal needs {' and '.join(missing)}: add them to the "
                                "webhook's properties (HubSpot's own propertyChange events carry neither)")
    if _email(email) is None:
        raise WebhookError(422, "properties.hubspot_owner_email must be the deal owner's email")
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
    name = str(name).strip()
    deal = CrmDeal(id=f"hubspot:{object_id}", name=name if len(name) <= 200 else name[:199] + "…",
                   owner_email=_email(email), amount=amount, stage=stage[:100] or None, close_date=close_date)
    return HubSpotEvent(ref=ref, lost=deal)
