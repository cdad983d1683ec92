"""The Teams endpoint with TEAMS_APP_ID set: nothing is processed without a valid Bot Framework token."""
from __future__ import annotations

import json

import pytest

from tests.support.evidence import attempted
from tests.support.served import Served, scalar

ACTIVITY = {
    "type": "message", "id": "1", "channelId": "msteams", "serviceUrl": "http://127.0.0.1:9/_connector",
    "from": {"id": "user-forged", "name": "Mallory"}, "recipient": {"id": "bot", "name": "coachbot"},
    "conversation": {"id": "conv-1", "conversationType": "personal", "tenantId": "tenant-a"},
    "text": "talk Megan",
}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-auth"), extra_env={
        "TEAMS_APP_ID": "11111111-2222-3333-4444-555555555555", "TEAMS_APP_PASSWORD": "not-a-real-secret",
        "TEAMS_TENANT_ID": "tenant-a"})
    yield s
    s.stop()


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz",
                                           "Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiIxMTExIn0."])
def test_requests_without_a_valid_token_are_refused_and_nothing_is_stored(secured, authorization):
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    reply = secured.request("POST", "/api/messages", json.dumps(ACTIVITY), headers)
    attempted("Teams activity without a valid Bot Framework token", reply.status == 401)
    assert reply.status == 401, reply
    assert scalar(secured, "SELECT count(*) FROM people") == 0
    assert scalar(secured, "SELECT count(*) FROM workspaces") == 0


def test_the_secret_never_reaches_the_log(secured):
    secured.request("POST", "/api/messages", json.dumps(ACTIVITY), {"Content-Type": "application/json"})
    log = secured.output()
    assert "not-a-real-secret" not in log
    assert "UNAUTHENTICATED" not in log  # the loud warning is only for the anonymous local mode
    assert "JWT-validated" in log
