"""Operations: Prometheus metrics, a request id on every request and log line, JSON logs without secrets."""
from __future__ import annotations

import contextvars
import itertools
import json
import logging
import re
import time
import uuid
from datetime import datetime, timezone

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from storage import nudges
from storage.db import Database

REQUEST_ID = contextvars.ContextVar("request_id", default="-")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")

REQUESTS = Counter("coachbot_http_requests_total", "HTTP requests served, by route and outcome",
                   ["route", "outcome"])
LATENCY = Histogram("coachbot_http_request_seconds", "Time to answer (for Slack: the ack), by route", ["route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 3, 5, 10))
FLOWS_DONE = Counter("coachbot_flow_completions_total", "Flows finished (talk, check-in, retrospective)", ["flow"])
NUDGES_SENT = Counter("coachbot_nudges_sent_total", "Nudges this process delivered")
NUDGES_FAILED = Counter("coachbot_nudges_failed_total", "Nudges this process gave up on (reason in the table)")
NUDGES_BY_STATUS = Gauge("coachbot_nudges", "Nudges in the table, by status (all replicas)", ["status"])
NUDGES_DUE = Gauge("coachbot_nudges_due", "Pending nudges already due (all replicas)")
SCHEDULER_LAG = Gauge("coachbot_scheduler_lag_seconds", "How overdue the oldest due pending nudge is")
LAST_TICK = Gauge("coachbot_scheduler_last_tick_timestamp_seconds", "When this process last ran the nudge tick")


_ID_PREFIX = uuid.uuid4().hex[:8]  # per process, so ids from two replicas never collide
_ID_COUNTER = itertools.count(1)


def next_request_id() -> str:
    """A new request id: this process's random prefix and a counter (no system call per request)."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):08x}"


def route_of(request: web.Request) -> str:
    """A low-cardinality name for the route (the path template, never the raw path)."""
    resource = request.match_info.route.resource if request.match_info.route else None
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe_requests(request: web.Request, handler):
    """Give each request an id (the caller's X-Request-Id if sane), count it and time it."""
    incoming = request.headers.get("X-Request-Id", "")
    token = REQUEST_ID.set(incoming if _INCOMING_ID.match(incoming) else next_request_id())
    route = route_of(request)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = REQUEST_ID.get()
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        elapsed = time.perf_counter() - started
        REQUESTS.labels(route, f"{status // 100}xx").inc()
        LATENCY.labels(route).observe(elapsed)
        # Refusals, errors and slow answers are logged; routine 2xx only at debug (thousands per second).
        level = logging.WARNING if status >= 500 or elapsed > 1 else logging.INFO if status >= 400 else logging.DEBUG
        logging.getLogger("coachbot.http").log(level, "%s %s -> %d in %.1f ms", request.method, route, status,
                                               elapsed * 1000)
        REQUEST_ID.reset(token)


def metrics_handler(db: Database):
    """GET /metrics: this process's counters plus the shared nudge table's state, read at scrape time."""
    async def metrics(_request: web.Request) -> web.Response:
        now = datetime.now(timezone.utc)
        try:
            async with db.session() as s:
                by_status = await nudges.counts(s)
                due, oldest = await nudges.due_backlog(s, now=now)
            for status in ("pending", "sending", "waiting", "sent", "failed", "cancelled"):
                NUDGES_BY_STATUS.labels(status).set(by_status.get(status, 0))
            NUDGES_DUE.set(due)
            SCHEDULER_LAG.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        except Exception:  # noqa: BLE001 - a scrape must still answer when the database is down
            logging.getLogger("coachbot.metrics").warning("database unavailable for /metrics", exc_info=True)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
    return metrics


# ---- logs ------------------------------------------------------------------------------------

_SECRETS = re.compile(r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[A-Za-z0-9._\-]+"
                      r"|(?i:client_secret|password|signing_secret)=[^&\s]+)")


def redact(text: str) -> str:
    """Text with anything shaped like a token or secret replaced (a last line of defence)."""
    return _SECRETS.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id (and the error, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name,
                 "msg": redact(record.getMessage()), "request_id": REQUEST_ID.get()}
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable lines for a terminal, with the request id and the same redaction."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = REQUEST_ID.get()
        return redact(super().format(record))


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """Log to stderr as JSON (for collectors) or text (for people); quiet the chattiest libraries."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that log every tick or every turn at INFO would bury what matters.
    for noisy in ("apscheduler", "alembic.runtime.plugins", "microsoft_agents", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
