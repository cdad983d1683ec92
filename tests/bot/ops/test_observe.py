"""Operations: /metrics, /readyz, request ids, JSON logs with no secrets or note text in them."""
from __future__ import annotations

import json
import logging

import pytest

from bot.ops.observe import JsonFormatter, redact
from storage.db import Database, migrate, newest_revision
from tests.support import slack_requests as sr
from tests.support.served import new_person
from tests.bot.slack.test_slack_serve import walk_talk

SECRET_NOTE = "Quietly-Unique-Note-7731 about missed targets"


def metric(text: str, name: str, **labels) -> float | None:
    """The value of one sample in Prometheus text format."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_by_route_and_outcome(served):
    before = metric(served.get("/metrics").text, "coachbot_http_requests_total", route="/healthz", outcome="2xx") or 0
    for _ in range(3):
        assert served.get("/healthz").status == 200
    served.post_signed("x=1", "application/x-www-form-urlencoded", secret="wrong-secret")
    text = served.get("/metrics").text
    assert metric(text, "coachbot_http_requests_total", route="/healthz", outcome="2xx") == before + 3
    assert metric(text, "coachbot_http_requests_total", route="/slack/events", outcome="4xx") >= 1
    assert metric(text, "coachbot_http_request_seconds_bucket", route="/healthz", le="0.1") >= 3
    for status in ("pending", "sent", "failed"):
        assert metric(text, "coachbot_nudges", status=status) is not None
    assert metric(text, "coachbot_scheduler_lag_seconds") is not None
    assert metric(text, "coachbot_nudges_due") is not None
    assert "process_resident_memory_bytes" in text


def test_a_finished_talk_counts_as_a_flow_completion_and_its_notes_never_reach_the_log(served, fake):
    manager, rep = new_person(fake, "Obs Manager"), new_person(fake, "Obs Rep")
    walk_talk(served, manager, rep, observed=f"On 3 Nov: {SECRET_NOTE}; the target is 8.")
    assert metric(served.get("/metrics").text, "coachbot_flow_completions_total", flow="talk") >= 1
    log = served.output()
    assert SECRET_NOTE not in log
    assert fake.bot_token not in log and sr.SIGNING_SECRET not in log


def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(served):
    mine = served.get("/healthz", headers={"X-Request-Id": "trace-abc.123"})
    assert mine.headers["X-Request-Id"] == "trace-abc.123"
    for forged in ("x" * 200, "has spaces and {json}", "semi;colon"):
        got = served.get("/healthz", headers={"X-Request-Id": forged}).headers["X-Request-Id"]
        assert got != forged and len(got) == 16


def test_logs_are_json_lines_and_a_refusal_is_logged_with_its_request_id(served):
    served.post_signed("x=1", "application/x-www-form-urlencoded", secret="wrong-secret",
                       extra={"X-Request-Id": "refused-req-42"})
    lines = [line for line in served.output().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    assert entries and all({"ts", "level", "logger", "msg", "request_id"} <= e.keys() for e in entries)
    assert any(e["request_id"] == "refused-req-42" and "/slack/events -> 401" in e["msg"] for e in entries)


def test_readyz_says_ready_when_the_schema_is_current(served):
    reply = served.get("/readyz")
    assert reply.status == 200 and reply.json() == {"ready": True}


async def test_readiness_names_the_missing_migration(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0004")
    db = Database(url)
    try:
        problem = await db.readiness()
        assert problem == f"schema at 0004, this code needs {newest_revision()}: run coachbot migrate"
    finally:
        await db.close()


@pytest.mark.parametrize("raw", [
    "token xoxb-1234-5678-abcdefABCDEF used", "Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig",
    "app token xapp-1-A0-123-abc", "POST client_secret=s3cr3t&code=1", "password=hunter2 in url",
])
def test_secret_shaped_text_is_redacted(raw):
    cleaned = redact(raw)
    assert "[redacted]" in cleaned
    for secret in ("xoxb-1234", "eyJhbGciOi", "xapp-1", "s3cr3t", "hunter2"):
        assert secret not in cleaned


def test_the_json_formatter_redacts_messages_and_errors():
    try:
        raise ValueError("bad token xoxb-999-888-zzz")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "called with %s", ("xoxp-1-2-3",),
                                   exc_info=__import__("sys").exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "xoxp-1-2-3" not in entry["msg"] and "xoxb-999" not in entry["error"]
