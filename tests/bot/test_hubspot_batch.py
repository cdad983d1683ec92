"""HubSpot sends up to 100 events in one request: each is taken or refused on its own, and the answer's
status is one HubSpot acts on rightly (sent again for a passing problem, never for an event wrong in itself)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.test_new_deals import OWNER, counted, fake, post_created, served  # noqa: F401
from tests.bot.test_webhooks import HUBSPOT, post_hubspot
from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, scalar

KIRI = {"hubspot_owner_email": {"value": "kiri@acme.example"}}
THURSDAY = 1795647600000  # Thu 26 Nov 2026, noon in Auckland: Kiri's week of 23 November


def creation(event_id: int, object_id, **extra) -> dict:
    return {"eventId": event_id, "subscriptionType": "deal.creation", "objectId": object_id, "occurredAt": THURSDAY,
            "properties": KIRI, **extra}


def lost(object_id: int, name: str | None, email: str = "kiri@acme.example") -> dict:
    props = {"dealstage": "closedlost", "hubspot_owner_email": email}
    return {"objectId": object_id, "properties": {**props, "dealname": name} if name else props}


def seen(served, object_id) -> int:
    return scalar(served, "SELECT count(*) FROM crm_deals_seen WHERE deal_key = :k", k=f"crm:hubspot:{object_id}")


def retros(served, object_id) -> int:
    return scalar(served, "SELECT count(*) FROM retrospectives WHERE deal_key = :k", k=f"crm:hubspot:{object_id}")


def test_bad_events_are_refused_each_with_its_reason_and_the_good_ones_are_taken(served, fake):
    batch = [creation(31, 9301),
             creation(32, 9302.0),  # a float id: no deal HubSpot has
             {"eventId": 33, "subscriptionType": "deal.propertyChange", "objectId": 9303,
              "propertyName": "dealstage", "propertyValue": "closedlost"},  # HubSpot's own: no name, no owner
             lost(9304, "Ghost Ltd", email="ghost@acme.example"),  # an owner nobody in Slack has
             lost(9305, "Weta Workshop")]
    reply = post_hubspot(served, batch)
    assert reply.status == 201, reply.text
    answer = reply.json()
    assert seen(served, 9301) == 1 and retros(served, 9305) == 1
    assert seen(served, 9302) == 0 and retros(served, 9303) == 0 and retros(served, 9304) == 0
    refused = {r["event"]: r for r in answer["refused"]}
    assert sorted(refused) == [1, 2, 3], answer
    for i in (1, 2, 3):
        attempted("a bad event in a HubSpot batch (refused alone, the rest taken)",
                  i in refused and seen(served, 9301) == 1 and retros(served, 9305) == 1)
    assert "objectId must be a whole number" in refused[1]["error"] and refused[1]["eventId"] == 32
    assert "properties.dealname" in refused[2]["error"] and refused[2]["objectId"] == 9303
    assert "no Slack user with the email ghost@acme.example" in refused[3]["error"]
    assert answer["created"][0]["week"] == "2026-11-23" and answer["deals"][-1]["retrospective"]
    fake.take_refusals()  # users.lookupByEmail found no ghost
    # HubSpot sends a batch again on any status but 400/401/403/404/405: the good events are answered as
    # duplicates, the bad ones refused again, and the status is not one that brings them back.
    again = post_hubspot(served, batch)
    assert again.status == 200 and len(again.json()["refused"]) == 3, again.text
    assert again.json()["created"][0]["duplicate"] is True and again.json()["deals"][-1]["duplicate"] is True
    assert seen(served, 9301) == 1 and retros(served, 9305) == 1
    fake.take_refusals()


def test_a_batch_with_nothing_that_can_be_taken_is_a_400_hubspot_does_not_send_again(served):
    reply = post_hubspot(served, [creation(41, 9401.5), lost(9402, None)])
    assert reply.status == 400, reply.text
    error = reply.json()["error"]
    assert "objectId must be a whole number" in error and "properties.dealname" in error
    assert seen(served, 9401) == 0 and retros(served, 9402) == 0


def test_a_passing_problem_has_hubspot_send_the_batch_again_and_nothing_is_taken_twice(served, fake):
    from tests.support.fakes.slack_api import manifest_scopes

    batch = [lost(9501, "Rivendell"), creation(51, 9502)]
    fake.grant(fake.bot_token, manifest_scopes() - {"users:read.email"})  # an install that predates the scope
    try:
        reply = post_hubspot(served, batch)
    finally:
        fake.scopes.pop(fake.bot_token)
    assert reply.status == 503, reply.text  # retried by HubSpot
    assert "users:read.email" in reply.json()["error"] and reply.json()["refused"][0]["status"] == 503
    assert seen(served, 9502) == 1 and retros(served, 9501) == 0  # the new deal was counted all the same
    assert [r[1] for r in fake.take_refusals()] == ["missing_scope"]
    again = post_hubspot(served, batch)  # HubSpot's retry, once the admin re-installed
    assert again.status == 201 and again.json()["refused"] == [], again.text
    assert again.json()["created"][0]["duplicate"] is True
    assert seen(served, 9502) == 1 and retros(served, 9501) == 1


def test_a_deal_created_in_the_future_is_not_counted_in_a_week_that_has_not_come(served):
    reply = post_created(served, {"deal_id": "F-2099", "owner": OWNER, "created_at": "2099-03-02T09:00:00Z"})
    assert reply.status == 422 and "created_at 2099-03-02T09:00:00Z is in the future" in reply.json()["error"]
    assert counted(served, "2099-03-02") == 0
    attempted("a new deal dated in a week that hasn't come", counted(served, "2099-03-02") == 0)
    soon = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()  # a clock a little ahead: taken
    assert post_created(served, {"deal_id": "F-SKEW", "owner": OWNER, "created_at": soon}).status == 201
    # HubSpot's occurredAt is HubSpot's own and won't be sent corrected: the deal counts when it arrived.
    event = creation(61, 9601, occurredAt=int(datetime(2099, 3, 2, tzinfo=timezone.utc).timestamp() * 1000))
    hub = post_hubspot(served, [event])
    assert hub.status == 201, hub.text
    counted_in = hub.json()["created"][0]
    assert "in the future" in counted_in["note"] and not counted_in["week"].startswith("2099")
    assert abs(datetime.fromisoformat(counted_in["week"]).date() - datetime.now(timezone.utc).date()) <= \
        timedelta(days=8)
    assert counted(served, "2099-03-02") == 0 and seen(served, 9601) == 1


def test_a_full_batch_of_a_hundred_events_with_long_values_is_not_refused_for_its_size(served):
    """HubSpot batches up to 100 events and retries a 413 until it drops them: a full batch, well over the
    generic hook's 64 KiB, is read whole; only a body beyond HubSpot's own limit is refused for size."""
    import json

    batch = [creation(6000 + i, 96000 + i, propertyValue="v" * 900) for i in range(100)]
    assert len(json.dumps(batch)) > 64 * 1024
    reply = post_hubspot(served, batch)
    assert reply.status == 201, reply.text
    assert len(reply.json()["created"]) == 100 and seen(served, 96099) == 1
    huge = [creation(7000 + i, 97000 + i, propertyValue="v" * 3000) for i in range(100)]
    refused = post_hubspot(served, huge)
    assert refused.status == 413 and "larger than 256 KiB" in refused.text and seen(served, 97000) == 0


def lookups(fake) -> int:
    return len(fake.calls_to("users.lookupByEmail"))


def test_a_resent_batch_asks_slack_nothing_for_deals_already_taken_and_each_owner_once(served, fake):
    """HubSpot waits a few seconds for its answer: a batch it sends again must not cost a Slack lookup per
    deal (a throttle's Retry-After would outlast HubSpot's wait and bring the batch back once more)."""
    batch = [lost(9700 + i, f"Deal {i}") for i in range(20)]
    before = lookups(fake)
    assert post_hubspot(served, batch).status == 201
    assert lookups(fake) - before == 1  # twenty deals of one owner: one lookup
    fake.rate_limit("users.lookupByEmail", retry_after=6)
    before = lookups(fake)
    again = post_hubspot(served, batch)
    assert again.status == 200 and all(d["duplicate"] for d in again.json()["deals"]), again.text
    assert lookups(fake) == before  # the throttle is still waiting for a call nobody made
    assert sum(retros(served, 9700 + i) for i in range(20)) == 20
    fake.failures.pop("users.lookupByEmail", None)


def test_a_slack_throttle_is_answered_503_at_once_and_the_resent_batch_is_taken(served, fake):
    import time

    batch = [lost(9801, "Mordor Ltd"), lost(9802, "Isengard plc")]
    fake.rate_limit("users.lookupByEmail", retry_after=6)
    before, started = lookups(fake), time.monotonic()
    reply = post_hubspot(served, batch)
    took = time.monotonic() - started
    assert reply.status == 503, reply.text  # HubSpot sends it again
    assert "Slack didn't answer (ratelimited); try again" in reply.json()["error"]
    assert lookups(fake) - before == 1 and took < 5  # not waited out, nor asked again for the second deal
    assert retros(served, 9801) == retros(served, 9802) == 0
    again = post_hubspot(served, batch)
    assert again.status == 201 and retros(served, 9801) == retros(served, 9802) == 1, again.text


def test_more_events_than_hubspot_ever_sends_at_once_are_refused_with_the_reason(served):
    batch = [creation(8000 + i, 98000 + i) for i in range(101)]
    reply = post_hubspot(served, batch)
    assert reply.status == 400, reply.text
    assert "101 events in one request: HubSpot sends at most 100" in reply.json()["error"]
    assert seen(served, 98000) == 0
    attempted("a HubSpot request with more events than HubSpot sends", reply.status == 400)


@pytest.mark.parametrize("error, status, reason", [
    ("service_unavailable", 503, "Slack didn't answer (service_unavailable); try again"),  # HubSpot resends
    ("invalid_auth", 400, "the Slack bot token doesn't work (invalid_auth)"),  # no resend would help
])
def test_a_failed_auth_test_when_coachbot_started_is_told_apart_from_a_bad_token(tmp_path, error, status, reason):
    own = FakeSlack().start()
    own.add_user(OWNER, "Kiri Kiwi", email="kiri@acme.example", tz="Pacific/Auckland")
    # Slack fails auth.test while coachbot starts (it and the client's two retries), and for the first batch.
    own.fail("auth.test", 503 if error == "service_unavailable" else 200, {"ok": False, "error": error}, times=6)
    s = Served(own, tmp_path, extra_env={"HUBSPOT_CLIENT_SECRET": HUBSPOT})
    try:
        reply = post_hubspot(s, [lost(9901, "Hobbiton")])
        assert reply.status == status and reply.json()["error"] == reason, reply.text
        assert scalar(s, "SELECT count(*) FROM retrospectives") == 0
        own.failures.pop("auth.test", None)
        own.take_refusals()
        if status == 503:  # once Slack is back, HubSpot's resend opens the retrospective
            again = post_hubspot(s, [lost(9901, "Hobbiton")])
            assert again.status == 201 and scalar(s, "SELECT count(*) FROM retrospectives") == 1, again.text
    finally:
        s.stop()
        own.stop()
