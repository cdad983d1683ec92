"""Security evidence: forged, replayed, unauthenticated and cross-workspace requests against a real
`coachbot serve`, each attempted and refused; the counts are printed at the end of the run."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from bot.webhooks import sign_generic, sign_hubspot
from tests.support import slack_requests as sr
from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, flat, new_person, scalar
from tests.bot.slack.test_slack_serve import walk_talk

CRM_SECRET, HUBSPOT_SECRET = "crm-evidence-secret", "hubspot-evidence-secret"


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("security"), extra_env={
        "CRM_WEBHOOK_SECRET": CRM_SECRET, "HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET,
        "COACHBOT_PUBLIC_URL": "https://coachbot.example.com"})
    yield s
    s.stop()


def people_count(served: Served) -> int:
    return scalar(served, "SELECT count(*) FROM people")


def forged_slack_requests(fake: FakeSlack):
    """(name, body, headers) of requests that must not pass Slack's signature check."""
    body, ctype = sr.command_body("talk <@U0VICTIM>", user="U0MALLORY", team=fake.team_id,
                                  response_url=fake.response_url(), trigger_id=fake.trigger())
    now = int(time.time())
    good = sr.sign(body)
    yield "wrong secret", body, {**sr.sign(body, secret="guessed-secret")}
    for minutes in (6, 60, 24 * 60):
        yield f"{minutes} min old", body, sr.sign(body, timestamp=now - minutes * 60)
    yield "10 min in the future", body, sr.sign(body, timestamp=now + 600)
    yield "tampered body", body.replace("talk", "team"), good
    yield "no signature", body, {"X-Slack-Request-Timestamp": str(now)}
    yield "no timestamp", body, {"X-Slack-Signature": good["X-Slack-Signature"]}
    yield "v1 scheme", body, {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")}
    yield "truncated signature", body, {**good, "X-Slack-Signature": good["X-Slack-Signature"][:-2]}
    yield "timestamp not a number", body, {**good, "X-Slack-Request-Timestamp": "yesterday"}
    for i in range(5):
        random_secret = uuid.uuid4().hex
        yield f"random secret {i}", body, sr.sign(body, secret=random_secret)


def test_forged_slack_requests_are_refused_and_nothing_is_stored(served, fake):
    before, calls = people_count(served), len(fake.calls)
    for name, body, headers in forged_slack_requests(fake):
        reply = served.request("POST", "/slack/events", body,
                               {"Content-Type": "application/x-www-form-urlencoded", **headers})
        attempted("Slack request with a forged or stale signature", reply.status == 401)
        assert reply.status == 401, name
    time.sleep(0.3)
    assert people_count(served) == before and len(fake.calls) == calls


def test_replayed_slack_events_are_acted_on_once(served, fake):
    user = new_person(fake, "Replay Target")
    mine = lambda c: c.body.get("user_id") == user  # noqa: E731
    event = {"type": "app_home_opened", "user": user, "channel": "D0REPLAY", "tab": "home",
             "event_ts": str(time.time())}
    assert served.event(event, event_id="EvREPLAY0001").status == 200
    fake.wait_for("views.publish", where=mine)
    for i in range(9):
        reply = served.event(event, event_id="EvREPLAY0001", extra={"X-Slack-Retry-Num": str(i + 1)})
        assert reply.status == 200
    time.sleep(0.5)
    published = len([c for c in fake.calls_to("views.publish") if mine(c)])
    for _ in range(9):
        attempted("Slack event replayed with a seen event_id", published == 1)
    assert published == 1


def test_bad_webhook_signatures_are_refused(served):
    deal = json.dumps({"deal_id": "D-1", "name": "Forged deal", "owner_email": "rep@example.com"}).encode()
    now = str(int(time.time()))
    generic = [
        ("wrong secret", {"X-Coachbot-Timestamp": now, "X-Coachbot-Signature": sign_generic("nope", now, deal)}),
        ("stale", {"X-Coachbot-Timestamp": str(int(now) - 3600),
                   "X-Coachbot-Signature": sign_generic(CRM_SECRET, str(int(now) - 3600), deal)}),
        ("missing", {}),
        ("signature of another body", {"X-Coachbot-Timestamp": now,
                                       "X-Coachbot-Signature": sign_generic(CRM_SECRET, now, b"{}")}),
    ]
    for name, headers in generic:
        reply = served.request("POST", "/hooks/deals/lost", deal, {"Content-Type": "application/json", **headers})
        attempted("CRM webhook with a bad signature", reply.status == 401)
        assert reply.status == 401, name
    ms = str(int(time.time() * 1000))
    uri = "https://coachbot.example.com/hooks/hubspot"
    hubspot = [
        ("wrong secret", {"X-HubSpot-Request-Timestamp": ms,
                          "X-HubSpot-Signature-v3": sign_hubspot("nope", "POST", uri, deal, ms)}),
        ("stale", {"X-HubSpot-Request-Timestamp": str(int(ms) - 3_600_000),
                   "X-HubSpot-Signature-v3": sign_hubspot(HUBSPOT_SECRET, "POST", uri, deal, str(int(ms) - 3_600_000))}),
        ("other url", {"X-HubSpot-Request-Timestamp": ms,
                       "X-HubSpot-Signature-v3": sign_hubspot(HUBSPOT_SECRET, "POST", "https://evil/hooks", deal, ms)}),
        ("missing", {}),
    ]
    for name, headers in hubspot:
        reply = served.request("POST", "/hooks/hubspot", deal, {"Content-Type": "application/json", **headers})
        attempted("HubSpot webhook with a bad signature", reply.status == 401)
        assert reply.status == 401, name
    assert scalar(served, "SELECT count(*) FROM retrospectives WHERE deal_name = 'Forged deal'") == 0


def test_cross_workspace_and_cross_team_reads_are_refused(served, fake):
    lee, sam, priya = (new_person(fake, n) for n in ("Lee Evidence", "Sam Evidence", "Priya Evidence"))
    walk_talk(served, lee, priya)
    view = served.open_modal(f"talk <@{new_person(fake, 'Nia Evidence')}>", user=lee)
    # Another manager of the same workspace answers Lee's draft with its session id.
    stolen = served.submit(view, sr.radio_answer("no"), user=sam).json()
    attempted("answering another manager's draft (same workspace)", "isn't yours" in flat(stolen))
    assert "isn't yours" in flat(stolen)
    # ...or opens a talk with Lee's rep, or lists plans: nothing of Lee's team shows.
    served.command(f"talk <@{priya}>", user=sam)
    told = fake.wait_for_response(sam, containing="reports to Lee Evidence")
    attempted("opening a talk with another manager's rep", bool(told))
    served.command("plans", user=sam)
    plans = fake.wait_for_response(sam, containing="No open plans")[-1]
    attempted("listing plans of another manager's team", "Priya" not in flat(plans))
    assert "Priya" not in flat(plans) and "No open plans" in flat(plans)
    # A user of another workspace with Lee's session id in the payload: that workspace isn't installed,
    # so Bolt refuses before any listener runs, and Lee's draft is untouched.
    sid = json.loads(view["private_metadata"])["sid"]
    for team in ("T0EVIL", "T0OTHER2", "E0ORG"):
        reply = served.submit(view, sr.radio_answer("no"), user="U0EVIL", team=team)
        untouched = scalar(served, "SELECT version FROM flow_sessions WHERE id = :i", i=sid) == 1
        attempted("answering a draft from another workspace", untouched and "flow_step" not in reply.text)
        assert untouched and "flow_step" not in reply.text, reply
    assert scalar(served, "SELECT count(*) FROM workspaces WHERE external_id IN ('T0EVIL', 'T0OTHER2', 'E0ORG')") == 0


BIG = "x" * (2 * 1024 * 1024)
BAD_BODIES = [
    ("POST", "/slack/events", "text=" + BIG, "application/x-www-form-urlencoded", {413}),
    ("POST", "/slack/events", '{"type": "event_callback", "event": ', "application/json", {400, 401}),
    ("POST", "/slack/events", "\x00\xff\xfe garbage", "application/octet-stream", {400, 401}),
    ("POST", "/api/messages", "{not json", "application/json", {400}),
    ("POST", "/api/messages", json.dumps({"type": "message", "text": BIG[:300_000]}), "application/json", {413}),
    ("POST", "/api/messages", json.dumps({"type": "message", "conversation": {"id": 1}, "from": []}),
     "application/json", {400}),
    ("POST", "/api/messages", json.dumps([{"type": "message"}]), "application/json", {400}),
    ("POST", "/hooks/deals/lost", BIG, "application/json", {413}),
    ("POST", "/hooks/deals/lost", "{broken", "application/json", {400, 401}),
    ("POST", "/hooks/hubspot", BIG, "application/json", {413}),
    ("POST", "/hooks/hubspot", "[[[", "application/json", {400, 401}),
    ("POST", "/healthz", "{}", "application/json", {405}),
    ("POST", "/metrics", "{}", "application/json", {405}),
    ("GET", "/api/messages", None, "", {405}),
    ("GET", "/slack/events", None, "", {405}),
]


@pytest.mark.parametrize("method,path,body,ctype,statuses", BAD_BODIES,
                         ids=[f"{m} {p} #{i}" for i, (m, p, *_rest) in enumerate(BAD_BODIES)])
def test_malformed_and_oversized_bodies_are_refused_on_every_endpoint(served, method, path, body, ctype, statuses):
    before = people_count(served)
    reply = served.request(method, path, body, {"Content-Type": ctype} if ctype else {})
    attempted("malformed, oversized or wrong-method request", reply.status in statuses)
    assert reply.status in statuses, reply
    assert people_count(served) == before
    assert served.get("/healthz").status == 200  # and the server carries on
