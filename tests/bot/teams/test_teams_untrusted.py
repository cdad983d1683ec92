"""Untrusted input in signed Teams activities: a 400 with a reason or a clear message, never a 500 and
never a false "I can't reach my database"."""
from __future__ import annotations

import json
import time

import pytest

from tests.support.evidence import attempted
from tests.support.pgdb import fresh_pg_database
from tests.support.served import Served, eventually, scalar

DB_DOWN = "can't reach my database"


@pytest.fixture(scope="module")
def bot(teams, pg_server, tmp_path_factory):
    with fresh_pg_database(pg_server) as url:
        s = Served(None, tmp_path_factory.mktemp("teams-untrusted"), database_url=url, extra_env=teams.env())
        yield s
        s.stop()


def said_to(teams, uid: str, after: int) -> str:
    """Everything the bot sent to the person's chat after the first `after` activities."""
    sent = teams.wait_sent(teams.personal_chat(uid), count=after + 1)
    return json.dumps(sent[after:], ensure_ascii=False)


def post_raw(teams, bot: Served, activity: dict, body: str):
    token = teams.inbound_token(service_url=activity["serviceUrl"])
    return bot.request("POST", "/api/messages", body, {"Content-Type": "application/json",
                                                       "Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("depth", [40, 20_000])
def test_a_deeply_nested_activity_is_a_400_with_a_reason(teams, bot, depth):
    uid = teams.add_user("Deep Nester")
    teams.install(uid)
    activity = teams.activity(uid, text="help")
    body = json.dumps(activity)[:-1] + ', "value": ' + "[" * depth + "]" * depth + "}"
    reply = post_raw(teams, bot, activity, body)
    attempted("deeply nested JSON (Teams activity)", reply.status == 400)
    assert reply.status == 400 and "nested deeper than 32" in reply.text, reply.text


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "x" * 3000])
def test_a_local_time_zone_that_is_not_a_zone_is_ignored(teams, bot, zone):
    uid = teams.add_user("Zone Traveller", tz="Europe/Berlin")
    teams.install(uid)
    status = teams.post(bot, teams.activity(uid, text="settings", localTimezone=zone)).status
    shown = said_to(teams, uid, 0)
    attempted("time zone that is not a zone (Teams localTimezone)", status in (200, 202) and DB_DOWN not in shown)
    assert status in (200, 202) and DB_DOWN not in shown
    stored = scalar(bot, "SELECT tz FROM people WHERE platform_user_id = :u", u=uid)
    assert stored != zone and stored in ("UTC", "Europe/Berlin")


def test_nul_in_a_name_and_a_typed_command_is_dropped(teams, bot):
    uid = teams.add_user("Nul\u0000 Sender")
    teams.install(uid)
    activity = teams.activity(uid, text="lost Acme\u0000 renewal 12k")
    reply = teams.post(bot, activity)
    shown = said_to(teams, uid, 0)
    ok = reply.status in (200, 202) and DB_DOWN not in shown
    attempted("NUL character in a Teams message and name", ok)
    assert ok, shown
    assert eventually(lambda: scalar(bot, "SELECT count(*) FROM retrospectives WHERE deal_name = 'Acme renewal'"))
    assert scalar(bot, "SELECT name FROM people WHERE platform_user_id = :u", u=uid) == "Nul Sender"


def test_an_absurd_amount_in_a_typed_command_gets_a_clear_message(teams, bot):
    uid = teams.add_user("Big Spender")
    teams.install(uid)
    teams.post(bot, teams.activity(uid, text="lost Globex " + "9" * 400))
    shown = said_to(teams, uid, 0)
    refused = "more than any deal" in shown
    attempted("absurd amount in /coach lost", refused)
    assert refused, shown
    time.sleep(0.2)
    assert scalar(bot, "SELECT count(*) FROM retrospectives WHERE deal_name LIKE 'Globex%'") == 0


def test_an_id_longer_than_any_teams_id_is_refused_not_reported_as_an_outage(teams, bot):
    uid = teams.add_user("Long Id")
    teams.install(uid)
    activity = teams.activity(uid, text="help")
    activity["from"]["id"] = "29:" + "x" * 300
    reply = teams.post(bot, activity)
    sent = json.dumps(teams.sent(teams.personal_chat(uid)), ensure_ascii=False)
    refused = reply.status == 400 and DB_DOWN not in sent
    attempted("oversized id in a Teams activity", refused)
    assert refused, (reply.status, reply.text, sent[:300])


def test_an_absurd_content_length_is_refused_before_reading(bot):
    import socket

    with socket.create_connection(("127.0.0.1", bot.port), timeout=10) as conn:
        conn.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 99999999999999999999\r\n\r\n{}")
        status = int(conn.recv(200).split(b" ", 2)[1])
    attempted("oversized Content-Length header", 400 <= status < 500)
    assert 400 <= status < 500


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e999"])
def test_a_card_value_that_is_no_json_number_is_a_400(teams, bot, raw):
    uid = teams.add_user("Card Forger")
    teams.install(uid)
    activity = teams.activity(uid, value={"coachbot": "step", "sid": "x", "step": "plan"})
    body = json.dumps(activity).replace('"sid": "x"', f'"sid": {raw}')
    reply = post_raw(teams, bot, activity, body)
    attempted("non-finite number in Teams card data", reply.status == 400)
    assert reply.status == 400 and raw in reply.text, reply.text
