"""CRM webhooks over real HTTP: signatures, time windows, duplicates, bad bodies — and what gets posted."""
from __future__ import annotations

import json
import time

import pytest

from bot.webhooks import WebhookError, parse_generic, parse_hubspot, sign_generic, sign_hubspot, verify_generic
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, scalar as count, wait_status

SECRET = "crm-shared-secret"
HUBSPOT = "hubspot-client-secret"
CHANNEL = "C0LOSSES"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.add_user("U0OWNER", "Olga Owner", email="olga@acme.example")
    f.add_user("U0HUB", "Hugo Hub", email="hugo@acme.example")
    f.join(CHANNEL)  # the deal channel coachbot was invited to
    yield f
    f.stop()


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("hooks"), extra_env={
        "CRM_WEBHOOK_SECRET": SECRET, "HUBSPOT_CLIENT_SECRET": HUBSPOT, "CRM_DEAL_CHANNEL": CHANNEL})
    yield s
    s.stop()


def deal(deal_id: str, **extra) -> dict:
    return {"deal_id": deal_id, "name": f"Deal {deal_id}", "owner_email": "olga@acme.example", "amount": 12000,
            "stage": "Negotiation", "close_date": "2026-11-20", "url": "https://crm.example/deals/1", **extra}


def post_generic(served: Served, body: bytes, *, ts: int | None = None, secret: str = SECRET,
                 signature: str | None = None, headers: dict | None = None):
    stamp = str(int(time.time()) if ts is None else ts)
    h = {"Content-Type": "application/json", "X-Coachbot-Timestamp": stamp,
         "X-Coachbot-Signature": signature or sign_generic(secret, stamp, body)}
    h.update(headers or {})
    return served.request("POST", "/hooks/deals/lost", body, h)


def post_hubspot(served: Served, payload, *, secret: str = HUBSPOT, query: str = ""):
    body = json.dumps(payload).encode()
    stamp = str(int(time.time() * 1000))
    uri = f"{served.url}/hooks/hubspot{query}"
    headers = {"Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp,
               "X-HubSpot-Signature-v3": sign_hubspot(secret, "POST", uri, body, stamp)}
    return served.request("POST", f"/hooks/hubspot{query}", body, headers)


def test_a_signed_lost_deal_opens_a_retrospective_and_prompts_the_owner(served, fake):
    reply = post_generic(served, json.dumps(deal("D-100")).encode())
    assert reply.status == 201, reply.text
    assert reply.json()["ok"] is True
    lookup = fake.wait_for("users.lookupByEmail")[-1]
    assert lookup.body["email"] == "olga@acme.example"
    post = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == CHANNEL
                         and "Deal D-100" in json.dumps(c.body))[-1]
    assert "<@U0OWNER>" in json.dumps(post.body)
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:D-100' AND source = 'webhook' "
                         "AND lost_on = '2026-11-20'") == 1


def test_the_same_deal_id_twice_opens_one_retrospective(served, fake):
    body = json.dumps(deal("D-200")).encode()
    assert post_generic(served, body).status == 201
    again = post_generic(served, body)
    assert again.status == 200 and again.json()["duplicate"] is True
    time.sleep(0.3)
    posts = [c for c in fake.calls_to("chat.postMessage") if "Deal D-200" in json.dumps(c.body)]
    assert len(posts) == 1
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:D-200'") == 1


@pytest.mark.parametrize("case,status,reason", [
    ("bad", 401, "signature does not match"),
    ("missing", 401, "missing X-Coachbot-Signature"),
    ("expired", 401, "outside the 5-minute window"),
    ("wrong_secret", 401, "signature does not match"),
])
def test_unsigned_or_stale_requests_are_refused_and_store_nothing(served, case, status, reason):
    body = json.dumps(deal(f"D-{case}")).encode()
    if case == "bad":
        reply = post_generic(served, body, signature="v1=" + "0" * 64)
    elif case == "missing":
        reply = served.request("POST", "/hooks/deals/lost", body, {"Content-Type": "application/json"})
    elif case == "expired":
        reply = post_generic(served, body, ts=int(time.time()) - 301)
    else:
        reply = post_generic(served, body, secret="guessed")
    assert reply.status == status and reason in reply.json()["error"]
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = :k", k=f"crm:D-{case}") == 0


@pytest.mark.parametrize("body,status,reason", [
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 422, "must be a JSON object"),
    (json.dumps({"name": "x"}).encode(), 422, "deal_id is required"),
    (json.dumps(deal("D-9", owner_email="nobody")).encode(), 422, "owner_email is required"),
    (json.dumps(deal("D-9", amount=-5)).encode(), 422, "amount must be a finite number of zero or more"),
    (json.dumps(deal("D-9", close_date="yesterday")).encode(), 422, "close_date must be a date"),
    (json.dumps(deal("D-9", url="javascript:alert(1)")).encode(), 422, "url must be an http(s) link"),
    (json.dumps(deal("D-9", owner_email="ghost@acme.example")).encode(), 422, "no Slack user with the email"),
    (json.dumps(deal("D-9", filler="x" * 70_000)).encode(), 413, "larger than 64 KiB"),
])
def test_malformed_and_oversized_bodies_get_a_reason_and_store_nothing(served, body, status, reason):
    reply = post_generic(served, body)
    assert reply.status == status, reply.text
    assert reason in reply.json()["error"]
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:D-9'") == 0


def test_hubspot_deal_webhook_with_a_v3_signature(served, fake):
    lost = {"objectId": 4242, "properties": {"dealname": {"value": "Cyberdyne"}, "amount": {"value": "30000"},
                                             "dealstage": {"value": "closedlost"}, "closedate": {"value": "1763596800000"},
                                             "hubspot_owner_email": {"value": "hugo@acme.example"}}}
    won = {"objectId": 4243, "properties": {"dealname": "Tyrell", "dealstage": "closedwon",
                                            "hubspot_owner_email": "hugo@acme.example"}}
    reply = post_hubspot(served, [lost, won])
    assert reply.status == 201, reply.text
    assert reply.json()["ignored"] == 1
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:hubspot:4242' "
                         "AND source = 'hubspot' AND amount = 30000") == 1
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:hubspot:4243'") == 0
    fake.wait_for("chat.postMessage", where=lambda c: "Cyberdyne" in json.dumps(c.body))
    forged = post_hubspot(served, lost, secret="not-hubspot")
    assert forged.status == 401


def test_hubspot_for_a_workspace_that_is_not_installed(served):
    lost = {"objectId": 77, "properties": {"dealname": "Soylent", "dealstage": "closedlost",
                                           "hubspot_owner_email": "hugo@acme.example"}}
    reply = post_hubspot(served, lost, query="?team=T0ELSEWHERE")
    # Nothing in the batch can be taken: 400, a status HubSpot does not send again (it would a 422).
    assert reply.status == 400 and "isn't installed in workspace T0ELSEWHERE" in reply.json()["error"]


def test_pure_parsers_and_verification():
    with pytest.raises(WebhookError) as err:
        verify_generic(SECRET, "100", sign_generic(SECRET, "100", b"{}"), b"{}", now=100 + 301)
    assert err.value.status == 401
    verify_generic(SECRET, "100", sign_generic(SECRET, "100", b"{}"), b"{}", now=100 + 299)
    assert parse_generic(deal(" 7 ")).id == "7"
    [event] = parse_hubspot({"objectId": 1, "properties": {"dealname": "A", "hs_is_closed_lost": "true",
                                                           "owner_email": "A@B.example"}})
    assert (event.lost.id, event.lost.owner_email, event.refused) == ("hubspot:1", "a@b.example", None)
    odd, won = parse_hubspot([{"objectId": 1, "properties": {"dealname": "A", "dealstage": "closedlost",
                                                             "owner_email": "a@b.example", "amount": "lots"}},
                              {"objectId": 2, "properties": {"dealstage": "closedwon"}}])
    assert "amount" in odd.refused and odd.lost is None and won.ignored
    with pytest.raises(WebhookError, match="expected a HubSpot event"):
        parse_hubspot("a deal")


def test_an_install_without_users_read_email_tells_the_crm_what_to_fix(served, fake):
    from tests.support.fakes.slack_api import manifest_scopes

    fake.grant(fake.bot_token, manifest_scopes() - {"users:read.email"})  # installed before the scope existed
    try:
        reply = post_generic(served, json.dumps(deal("D-SCOPE")).encode())
    finally:
        fake.scopes.pop(fake.bot_token)
    assert reply.status == 503, reply
    assert "users:read.email" in reply.json()["error"] and "re-install" in reply.json()["error"]
    assert [r[1] for r in fake.take_refusals()] == ["missing_scope"]
    assert post_generic(served, json.dumps(deal("D-SCOPE")).encode()).status == 201  # re-installed: it works


@pytest.mark.parametrize("field,value,problem", [
    ("deal_id", "D" * 121, "deal_id must be at most 120 characters"),
    ("stage", "S" * 101, "stage must be a string of at most 100 characters"),
    ("url", "https://crm.example/" + "u" * 490, "url must be at most 500 characters"),
    ("channel", "C" * 33, "channel must be a string of at most 32 characters"),
])
def test_fields_longer_than_their_columns_are_refused_with_a_reason(served, field, value, problem):
    reply = post_generic(served, json.dumps({**deal("D-LONG"), field: value}).encode())
    assert reply.status == 422 and problem in reply.json()["error"], reply


def test_a_deal_whose_prompt_slack_refuses_is_stored_and_the_failure_says_why(served, fake):
    from tests.support.fakes.slack_api import manifest_scopes

    fake.grant(fake.bot_token, manifest_scopes() - {"chat:write"})
    try:
        reply = post_generic(served, json.dumps(deal("D-NOPOST")).encode())
        assert reply.status == 201, reply  # the CRM is answered at once: the prompt is queued, not yet posted
        assert reply.json()["prompt"] == {"status": "queued", "channel": CHANNEL, "rep": "U0OWNER"}
        nudge = count(served, "SELECT id FROM nudges WHERE dedupe_key = :k",
                      k=f"loss:{reply.json()['retrospective']}")
        # Refused for good (no retry can grant a scope): it fails where an admin looks, saying what to fix.
        _, attempts, error, _ = wait_status(served, nudge, "failed")
    finally:
        fake.scopes.pop(fake.bot_token)
    assert attempts == 1 and "chat:write" in error
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:D-NOPOST'") == 1
    assert {r[1] for r in fake.take_refusals()} == {"missing_scope"}


def test_a_lookup_slack_fails_to_answer_asks_the_crm_to_send_the_deal_again(served, fake):
    """A Slack outage is not the deal's fault: 503 with an honest reason, and the deal sent again is taken."""
    fake.fail("users.lookupByEmail", 500, {"ok": False, "error": "internal_error"}, times=3)  # and two retries
    reply = post_generic(served, json.dumps(deal("D-OUTAGE")).encode())
    assert reply.status == 503, reply.text
    assert reply.json()["error"] == "Slack didn't answer (internal_error); try again"
    assert count(served, "SELECT count(*) FROM retrospectives WHERE deal_key = 'crm:D-OUTAGE'") == 0
    assert post_generic(served, json.dumps(deal("D-OUTAGE")).encode()).status == 201
