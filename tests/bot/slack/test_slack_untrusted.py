"""Untrusted input over Slack's Socket Mode, which reaches Bolt without passing the HTTP body reader."""
from __future__ import annotations

import time

import pytest

from tests.support.evidence import attempted
from tests.support.pgdb import fresh_pg_database
from tests.support.served import Served, flat, new_person


def test_nul_over_socket_mode_is_dropped_too(fake, pg_server, tmp_path):
    with fresh_pg_database(pg_server) as url:
        s = Served(fake, tmp_path, database_url=url, extra_env={"SLACK_APP_TOKEN": "xapp-1-test",
                                                                "SLACK_SIGNING_SECRET": ""})
        try:
            fake.wait_for("apps.connections.open")
            deadline = time.monotonic() + 10
            while not fake.sockets and time.monotonic() < deadline:
                time.sleep(0.05)
            me = new_person(fake, "Socket Typist")
            payload = {"team_id": fake.team_id, "user_id": me, "user_name": "socket", "command": "/coach",
                       "text": "settings tz Europe/Berlin\x00", "channel_id": "C0GENERAL",
                       "response_url": fake.response_url(f"{me}-1"), "trigger_id": fake.trigger()}
            fake.push({"envelope_id": "env-nul", "type": "slash_commands", "payload": payload,
                       "accepts_response_payload": True})
            fake.wait_for_socket_message("env-nul")
            said = flat(fake.wait_for_response(me))
            attempted("NUL character over Socket Mode", "Saved" in said)
            assert "Saved" in said, said
        finally:
            s.stop()


@pytest.mark.parametrize("value", ["9" * 30, "-5", "0"])
def test_a_retrospective_button_naming_an_impossible_id_is_told_it_does_not_exist(served, fake, value):
    me = new_person(fake, "Button Forger")
    fake.join("C0GENERAL")
    reply = served.click("retro_start", value, user=me, container="message", channel="C0GENERAL",
                         message_ts="1700000000.000200")
    told = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == me)[-1]
    refused = reply.status == 200 and "doesn't exist" in flat(told.body)
    attempted("impossible id in a button", refused)
    assert refused, flat(told.body)
