"""Untrusted input through every HTTP door of a served app on PostgreSQL: a clear 4xx or a clear message,
never a 500 and never a false "I can't reach my database"."""
from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlencode

import pytest

from bot.webhooks import sign_generic, sign_hubspot
from tests.support import slack_requests as sr
from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack
from tests.support.pgdb import fresh_pg_database
from tests.support.served import Served, flat, new_person, query, scalar

SECRET, HUBSPOT = "crm-secret-untrusted", "hubspot-secret-untrusted"
DB_DOWN = "can't reach my database"
DEEP = 40  # past the 32 levels any door takes, well short of the parser's own recursion limit


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.add_user("U0OWNER", "Olga Owner", email="olga@acme.example")
    f.join("C0LOSSES")
    yield f
    f.stop()


@pytest.fixture(scope="module")
def served(fake, pg_server, tmp_path_factory):
    with fresh_pg_database(pg_server) as url:
        s = Served(fake, tmp_path_factory.mktemp("untrusted"), database_url=url, extra_env={
            "CRM_WEBHOOK_SECRET": SECRET, "HUBSPOT_CLIENT_SECRET": HUBSPOT, "CRM_DEAL_CHANNEL": "C0LOSSES"})
        yield s
        s.stop()


def generic(served: Served, body: bytes, stamp: str | None = None):
    stamp = stamp or str(int(time.time()))
    return served.request("POST", "/hooks/deals/lost", body, {
        "Content-Type": "application/json", "X-Coachbot-Timestamp": stamp,
        "X-Coachbot-Signature": sign_generic(SECRET, stamp, body)})


def hubspot(served: Served, body: bytes, stamp: str | None = None):
    stamp = stamp or str(int(time.time() * 1000))
    sig = sign_hubspot(HUBSPOT, "POST", f"{served.url}/hooks/hubspot", body, stamp)
    return served.request("POST", "/hooks/hubspot", body, {
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp, "X-HubSpot-Signature-v3": sig})


def deal_json(deal_id: str, amount: str = "1000", name: str = "Deal") -> bytes:
    """A generic lost-deal body with `amount` written as raw JSON text (NaN and Infinity included)."""
    return (f'{{"deal_id": "{deal_id}", "name": {json.dumps(name)}, "owner_email": "olga@acme.example", '
            f'"amount": {amount}}}').encode()


def hub_deal(object_id: int, **props) -> bytes:
    return json.dumps({"objectId": object_id, "properties": {
        "dealstage": "closedlost", "dealname": f"Hub {object_id}", "hubspot_owner_email": "olga@acme.example",
        **props}}).encode()


def retros_for(served: Served, key: str) -> int:
    return scalar(served, "SELECT count(*) FROM retrospectives WHERE deal_key = :k", k=key)


# ---- amounts: non-finite, negative, absurd --------------------------------------------------------------

@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "-5", "1e999", "9" * 400])
def test_a_webhook_amount_that_is_not_a_real_sum_is_refused_with_a_reason(served, amount):
    reply = generic(served, deal_json(f"AMT-{len(amount)}-{amount[:3]}", amount))
    # NaN, Infinity and 1e999 are not JSON at all (400); the rest parse, and the amount is refused (422).
    expected = 422 if amount in ("-5", "9" * 400) else 400
    attempted("non-finite or negative amount (webhook)", reply.status == expected)
    assert reply.status == expected, reply.text
    named = "amount" if expected == 422 else amount.lstrip("-")  # the field, or the number that is no JSON
    assert named in reply.json()["error"], reply.text
    assert retros_for(served, f"crm:AMT-{len(amount)}-{amount[:3]}") == 0


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-3", "1e999", "a lot"])
def test_a_hubspot_amount_that_is_not_a_real_sum_is_refused_with_a_reason(served, amount):
    reply = hubspot(served, hub_deal(7100 + len(amount), amount=amount))
    # The batch's one event is refused: 400, which HubSpot doesn't send again (it would a 422).
    attempted("non-finite or negative amount (HubSpot)", reply.status == 400)
    assert reply.status == 400 and "properties.amount" in reply.json()["error"], reply.text


def test_a_hubspot_close_date_beyond_the_calendar_is_ignored_not_a_500(served):
    reply = hubspot(served, hub_deal(7201, closedate="9" * 30))
    attempted("close date overflowing the calendar (HubSpot)", reply.status < 500)
    assert reply.status == 201, reply.text
    assert retros_for(served, "crm:hubspot:7201") == 1  # lost today, as when HubSpot sends no close date


def test_hubspot_properties_that_are_not_an_object_get_a_reason(served):
    reply = hubspot(served, json.dumps({"objectId": 7202, "propertyValue": "closedlost", "properties": [1]}).encode())
    attempted("malformed HubSpot payload", reply.status == 400)
    assert reply.status == 400 and "properties" in reply.json()["error"]


# ---- NUL characters, which PostgreSQL refuses in text ------------------------------------------------

def test_nul_in_a_webhook_deal_name_is_dropped_and_the_deal_stored(served):
    reply = generic(served, deal_json("NUL-1", name="Acme\u0000 renewal"))
    attempted("NUL character in a deal name (webhook)", reply.status == 201)
    assert reply.status == 201, reply.text
    assert scalar(served, "SELECT deal_name FROM retrospectives WHERE deal_key = 'crm:NUL-1'") == "Acme renewal"


def test_nul_in_a_typed_command_and_a_form_field_is_dropped(served, fake):
    me = new_person(fake, "Nul Typist")
    reply = served.command("settings tz Europe/Berlin\x00", user=me)
    said = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    attempted("NUL character in a slash command", "Saved" in said and DB_DOWN not in said)
    assert "Saved" in said and DB_DOWN not in said, said
    view = served.open_modal("settings", user=me)
    values = {"tz": {"value": {"type": "plain_text_input", "value": "Asia/Dubai\x00"}},
              "work_start": {"value": {"type": "timepicker", "selected_time": "08:30"}},
              "work_end": {"value": {"type": "timepicker", "selected_time": "17:00"}},
              "work_days": {"value": {"type": "checkboxes", "selected_options": [{"value": "mon"}]}}}
    submitted = served.submit(view, values, user=me)
    attempted("NUL character in a modal field", submitted.status == 200 and DB_DOWN not in submitted.text)
    assert submitted.status == 200 and DB_DOWN not in submitted.text
    assert query(served, "SELECT tz_override FROM people WHERE platform_user_id = :u", u=me) == [("Asia/Dubai",)]


# ---- time zones that are not zones -------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["Europe", "Mars/Olympus", "x" * 5000, "../../etc/passwd", "Europe/" + "y" * 300])
def test_a_typed_time_zone_that_is_not_one_gets_a_clear_message(served, fake, zone):
    me = new_person(fake, "Zone Typist")
    reply = served.command(f"settings tz {zone}", user=me)
    said = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    refused = "isn't a time zone I know" in said and DB_DOWN not in said
    attempted("time zone that is not a zone (settings command)", refused)
    assert refused, said[:300]
    assert query(served, "SELECT tz_override FROM people WHERE platform_user_id = :u", u=me) == [(None,)]


def test_a_slack_profile_time_zone_that_is_not_one_falls_back_to_the_default(served, fake):
    me = new_person(fake, "Odd Profile", tz="Not/AZone")
    reply = served.command("pause 3d", user=me)
    said = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    attempted("time zone that is not a zone (Slack profile)", "Paused until" in said)
    assert "Paused until" in said, said
    assert scalar(served, "SELECT tz FROM people WHERE platform_user_id = :u", u=me) != "Not/AZone"


def test_a_huge_report_period_is_not_a_period(served, fake):
    me = new_person(fake, "Report Reader")
    reply = served.command("report 99999999999d", user=me)
    said = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    attempted("huge day count in /coach report", "isn't a period I know" in said)
    assert "isn't a period I know" in said, said[:300]


@pytest.mark.parametrize("text,said", [("pause 9999w", "90 days at most"), ("pause until 9999-12-31", "90 days at most"),
                                       ("pause until 0001-01-01", "couldn't read")])
def test_a_pause_at_the_edge_of_the_calendar_gets_a_clear_message(served, fake, text, said):
    me = new_person(fake, "Long Pauser")
    reply = served.command(text, user=me)
    shown = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    attempted("pause at the edge of the calendar", said in shown)
    assert said in shown, shown[:300]
    assert query(served, "SELECT paused_until FROM people WHERE platform_user_id = :u", u=me) == [(None,)]


# ---- oversized numeric headers ----------------------------------------------------------------------

@pytest.mark.parametrize("stamp", ["99999999999999999999", "9" * 400, "1e10", "-1"])
def test_an_absurd_timestamp_header_is_a_401_on_every_signed_door(served, fake, stamp):
    body, ctype = sr.command_body("help", user="U0STAMP", team=fake.team_id, response_url=fake.response_url(),
                                  trigger_id=fake.trigger())
    slack = served.post_signed(body, ctype, extra={"X-Slack-Request-Timestamp": stamp})
    crm = generic(served, deal_json("STAMP"), stamp=stamp)
    hub = hubspot(served, hub_deal(7301), stamp=stamp)
    statuses = (slack.status, crm.status, hub.status)
    attempted("oversized numeric timestamp header", statuses == (401, 401, 401))
    assert statuses == (401, 401, 401), (slack.text, crm.text, hub.text)


@pytest.mark.parametrize("path", ["/slack/events", "/hooks/deals/lost", "/hooks/hubspot"])
def test_an_absurd_content_length_is_refused_before_reading(served, path):
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 99999999999999999999\r\n\r\n{{}}".encode())
        status = int(conn.recv(200).split(b" ", 2)[1])
    attempted("oversized Content-Length header", 400 <= status < 500)
    assert 400 <= status < 500


# ---- deeply nested JSON -----------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [DEEP, 20_000])
def test_deeply_nested_json_is_a_400_with_a_reason_on_every_door(served, fake, depth):
    nested = "[" * depth + "]" * depth
    crm = generic(served, deal_json("DEEP")[:-1] + f', "x": {nested}}}'.encode())
    hub = hubspot(served, hub_deal(7501)[:-1] + f', "x": {nested}}}'.encode())
    event = json.dumps({"type": "event_callback", "team_id": fake.team_id, "event": {"type": "message"}})
    slack_json = served.post_signed(event[:-1] + f', "x": {nested}}}', "application/json")
    slack_form = served.post_signed(urlencode({"payload": f'{{"type": "block_actions", "x": {nested}}}'}),
                                    "application/x-www-form-urlencoded")
    replies = (crm, hub, slack_json, slack_form)
    refused = all(r.status == 400 and "nested deeper than 32" in r.text for r in replies)
    attempted("deeply nested JSON", refused)
    assert refused, [(r.status, r.text[:200]) for r in replies]
    assert retros_for(served, "crm:DEEP") == 0


# ---- user text that collides with internal names ----------------------------------------------------

def test_a_generic_deal_id_cannot_pose_as_a_hubspot_deal(served):
    assert hubspot(served, hub_deal(7401)).status == 201
    reply = generic(served, deal_json("hubspot:7401"))
    attempted("deal id colliding with an internal key", reply.status == 422)
    assert reply.status == 422 and "hubspot:" in reply.json()["error"]
    assert retros_for(served, "crm:hubspot:7401") == 1


# ---- the lost-deal form and command ----------------------------------------------------------------

def lost_form(served: Served, fake, me: str) -> dict:
    post = {"type": "message", "text": "Deal *Initech* moved to Closed Lost — $5,000", "bot_id": "BCRM",
            "ts": f"{time.time():.6f}"}
    trig = fake.trigger()
    body, ctype = sr.interaction_body(sr.message_shortcut("start_loss_retro", post, user=me, team=fake.team_id,
                                                          channel="C0LOSSES", trigger_id=trig))
    assert served.post_signed(body, ctype).status == 200
    return fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])


def form_values(me: str, deal: str, amount: str) -> dict:
    return {"deal": {"value": {"type": "plain_text_input", "value": deal}},
            "amount": {"value": {"type": "plain_text_input", "value": amount}},
            "rep": {"value": {"type": "users_select", "selected_user": me}}}


def test_the_lost_deal_form_refuses_an_absurd_amount_and_drops_nul_from_the_name(served, fake):
    me = new_person(fake, "Form Filler")
    view = lost_form(served, fake, me)
    bad = served.submit(view, form_values(me, "Initech", "9" * 400), user=me).json()
    refused = bad.get("response_action") == "errors" and "at most" in bad["errors"].get("amount", "")
    attempted("absurd amount in the lost-deal form", refused)
    assert refused, bad
    good = served.submit(view, form_values(me, "Initech\x00 West", "5000"), user=me)
    attempted("NUL character in the lost-deal form", good.status == 200 and DB_DOWN not in good.text)
    assert good.status == 200 and DB_DOWN not in good.text, good.text
    assert scalar(served, "SELECT amount FROM retrospectives WHERE deal_name = 'Initech West'") == 5000.0


def test_an_absurd_amount_in_the_lost_command_gets_a_clear_message(served, fake):
    me = new_person(fake, "Command Typist")
    reply = served.command("lost Globex " + "9" * 400, user=me)
    said = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    attempted("absurd amount in /coach lost", "more than any deal" in said)
    assert "more than any deal" in said, said[:300]
    assert scalar(served, "SELECT count(*) FROM retrospectives WHERE deal_name LIKE 'Globex%'") == 0


def test_a_slack_profile_name_with_nul_is_stored_without_it(served, fake):
    me = "U0NULPROFILE"
    fake.add_user(me, "Nul\x00 Profile")
    reply = served.command("plans", user=me)
    said = flat(reply.text) if reply.text else flat(fake.wait_for_response(me))
    attempted("NUL character in a Slack profile name", DB_DOWN not in said and reply.status == 200)
    assert reply.status == 200 and DB_DOWN not in said
    assert scalar(served, "SELECT name FROM people WHERE platform_user_id = :u", u=me) == "Nul Profile"


@pytest.mark.parametrize("team", ["T0%00X", "T" * 65])
def test_a_hubspot_team_parameter_that_is_no_workspace_id_gets_a_reason(served, team):
    body = hub_deal(7601)
    stamp = str(int(time.time() * 1000))
    sig = sign_hubspot(HUBSPOT, "POST", f"{served.url}/hooks/hubspot?team={team}", body, stamp)
    reply = served.request("POST", f"/hooks/hubspot?team={team}", body, {
        "Content-Type": "application/json", "X-HubSpot-Request-Timestamp": stamp, "X-HubSpot-Signature-v3": sig})
    attempted("NUL or oversized workspace id in a webhook query", reply.status == 400)
    assert reply.status == 400 and "team" in reply.json()["error"], reply.text
