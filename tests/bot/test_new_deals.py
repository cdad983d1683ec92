"""New CRM deals over real signed HTTP: each counted once in its owner's week (Monday in their zone)."""
from __future__ import annotations

import json
import time

import pytest

from bot.webhooks import sign_generic
from tests.bot.test_webhooks import HUBSPOT, SECRET, post_hubspot
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, eventually, query, scalar

OWNER = "U0KIWI"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.add_user(OWNER, "Kiri Kiwi", email="kiri@acme.example", tz="Pacific/Auckland")
    yield f
    f.stop()


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("new-deals"), extra_env={
        "CRM_WEBHOOK_SECRET": SECRET, "HUBSPOT_CLIENT_SECRET": HUBSPOT})
    assert s.command("team", user=OWNER).status == 200  # coachbot meets Kiri (and reads her email and zone)
    assert eventually(lambda: scalar(s, "SELECT count(*) FROM people WHERE email = 'kiri@acme.example' "
                                        "AND tz = 'Pacific/Auckland'") == 1)
    yield s
    s.stop()


def post_created(served: Served, payload, *, secret: str = SECRET, signature: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = str(int(time.time()))
    return served.request("POST", "/hooks/deals/created", body, {
        "Content-Type": "application/json", "X-Coachbot-Timestamp": stamp,
        "X-Coachbot-Signature": signature or sign_generic(secret, stamp, body)})


def counted(served: Served, week: str, source: str = "crm") -> int:
    rows = scalar(served, "SELECT count(*) FROM opportunity_counts WHERE week_start = :w AND source = :s",
                  w=week, s=source)
    return scalar(served, "SELECT count FROM opportunity_counts WHERE week_start = :w AND source = :s",
                  w=week, s=source) if rows else 0


def test_a_new_deal_counts_once_in_the_owners_own_week(served):
    # Sunday 20:00 UTC is already Monday morning in Auckland: the deal belongs to Kiri's new week.
    deal = {"deal_id": "N-1", "owner": "Kiri@Acme.example", "created_at": "2026-11-29T20:00:00Z", "name": "Weta"}
    first = post_created(served, deal)
    assert first.status == 201 and first.json()["week"] == "2026-11-30", first.text
    retried = post_created(served, deal)  # the CRM delivers it again (a new timestamp, the same deal)
    assert retried.status == 200 and retried.json()["duplicate"] is True
    assert counted(served, "2026-11-30") == 1 and counted(served, "2026-11-23") == 0
    by_id = post_created(served, {"deal_id": 2, "owner": OWNER, "created_at": "2026-12-01T10:00:00+13:00"})
    assert by_id.status == 201, by_id.text
    assert counted(served, "2026-11-30") == 2


@pytest.mark.parametrize("case,status,reason", [
    ("bad_signature", 401, "signature does not match"),
    ("wrong_secret", 401, "signature does not match"),
    ("not_json", 400, "not valid JSON"),
    ("no_owner", 422, "owner is required"),
    ("no_deal_id", 422, "deal_id is required"),
    ("naive_time", 422, "created_at must be a date-time with its offset"),
    ("unknown_owner", 422, "no one coachbot knows has the email ghost@acme.example"),
    ("oversized", 413, "larger than 64 KiB"),
])
def test_refused_deliveries_say_why_and_count_nothing(served, case, status, reason):
    deal = {"deal_id": f"R-{case}", "owner": "kiri@acme.example", "created_at": "2026-11-04T09:00:00Z"}
    if case == "bad_signature":
        reply = post_created(served, deal, signature="v1=" + "0" * 64)
    elif case == "wrong_secret":
        reply = post_created(served, deal, secret="guessed")
    elif case == "not_json":
        reply = post_created(served, b"{nope")
    elif case == "oversized":
        reply = post_created(served, {**deal, "filler": "x" * 70_000})
    else:
        broken = {"no_owner": {"owner": None}, "no_deal_id": {"deal_id": ""},
                  "naive_time": {"created_at": "2026-11-04T09:00:00"},
                  "unknown_owner": {"owner": "ghost@acme.example"}}[case]
        reply = post_created(served, {**deal, **broken})
    assert reply.status == status and reason in reply.json()["error"], reply.text
    assert counted(served, "2026-11-02") == 0


def test_hubspot_deal_creation_events_carrying_the_owner_are_counted(served):
    event = {"eventId": 1, "subscriptionType": "deal.creation", "objectId": 9001, "occurredAt": 1795647600000,
             "changeFlag": "CREATED", "properties": {"hubspot_owner_email": {"value": "kiri@acme.example"}}}
    bare = {"eventId": 2, "subscriptionType": "deal.creation", "objectId": 9002, "occurredAt": 1795647600000}
    reply = post_hubspot(served, [event, bare])
    assert reply.status == 201, reply.text
    assert reply.json()["created_without_owner"] == 1  # HubSpot's own events name no owner: said, not dropped
    assert counted(served, "2026-11-23") == 1  # 1795647600000 ms: Thu 26 Nov 2026, noon in Auckland
    again = post_hubspot(served, [event])
    assert again.status == 200 and again.json()["created"][0]["duplicate"] is True
    assert counted(served, "2026-11-23") == 1
    assert scalar(served, "SELECT count(*) FROM crm_deals_seen WHERE deal_key = 'crm:hubspot:9001'") == 1


def test_a_body_that_arrives_in_pieces_is_read_whole(served):
    """A faulty network: the signed body reaches the server in two TCP segments a moment apart. It is the
    same body, so it is counted; reading only the first piece would refuse it as a signature mismatch."""
    import socket

    body = json.dumps({"deal_id": "SLOW-1", "owner": "kiri@acme.example",
                       "created_at": "2026-10-05T09:00:00Z", "name": "x" * 150}).encode()
    stamp = str(int(time.time()))
    head = (f"POST /hooks/deals/created HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Coachbot-Timestamp: {stamp}\r\n"
            f"X-Coachbot-Signature: {sign_generic(SECRET, stamp, body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(head + body[:40])
        time.sleep(0.3)
        conn.sendall(body[40:])
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status == 201, answer.decode(errors="replace")
    assert counted(served, "2026-10-05") == 1


def test_an_oversized_chunked_body_is_refused_as_too_large(served):
    """No Content-Length, 70 KiB sent as chunks a moment apart: refused for its size (413), not for a
    signature the server never read whole."""
    import socket

    from tests.support.evidence import attempted

    body = json.dumps({"deal_id": "BIG-1", "owner": "kiri@acme.example", "filler": "y" * 70_000}).encode()
    stamp = str(int(time.time()))
    head = (f"POST /hooks/deals/created HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nX-Coachbot-Timestamp: {stamp}\r\n"
            f"X-Coachbot-Signature: {sign_generic(SECRET, stamp, body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(head)
        try:
            for i in range(0, len(body), 8192):
                piece = body[i:i + 8192]
                conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                time.sleep(0.05)
            conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the rest is sent
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    status = int(answer.split(b" ", 2)[1])
    attempted("CRM webhook oversized chunked body (no Content-Length)", status == 413)
    assert status == 413 and b"larger than 64 KiB" in answer, answer.decode(errors="replace")


def test_a_hubspot_event_dated_in_year_9999_counts_in_this_week(served):
    """occurredAt far outside any real week (a clock or a forged event) is not filed in a week that never
    comes: the deal counts when it arrived, as a generic created_at outside 2000-2100 is refused."""
    from datetime import datetime, timedelta, timezone

    event = {"eventId": 7, "subscriptionType": "deal.creation", "objectId": 9777, "occurredAt": 253402214400000,
             "properties": {"hubspot_owner_email": "kiri@acme.example"}}
    reply = post_hubspot(served, [event])
    assert reply.status == 201, reply.text
    week = reply.json()["created"][0]["week"]
    assert not week.startswith("9999")
    assert abs(datetime.fromisoformat(week).date() - datetime.now(timezone.utc).date()) <= timedelta(days=8)


def test_a_deal_for_a_workspace_that_removed_coachbot_is_not_counted(served):
    """The app was uninstalled from the owner's workspace: a new deal naming it is refused with that reason
    (422), not counted for someone coachbot no longer serves."""
    from tests.support.evidence import attempted

    team = scalar(served, "SELECT external_id FROM workspaces WHERE id = (SELECT workspace_id FROM people "
                          "WHERE platform_user_id = :u)", u=OWNER)
    query(served, "UPDATE workspaces SET removed_at = '2026-11-01 00:00:00.000000' WHERE external_id = :t", t=team)
    try:
        reply = post_created(served, {"deal_id": "GONE-1", "owner": OWNER, "workspace": team,
                                      "created_at": "2026-09-08T09:00:00Z"})
        refused = reply.status == 422 and "isn't installed" in reply.json()["error"]
        attempted("CRM new deal for a workspace that uninstalled coachbot", refused)
        assert refused, reply.text
        assert counted(served, "2026-09-07") == 0
    finally:
        query(served, "UPDATE workspaces SET removed_at = NULL WHERE external_id = :t", t=team)
