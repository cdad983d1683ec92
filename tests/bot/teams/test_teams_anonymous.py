"""The Teams endpoint in its local, unauthenticated mode: loud about it, and strict about bodies."""
from __future__ import annotations

import json

import pytest

from tests.support.served import Served, scalar


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-local"))
    yield s
    s.stop()


def test_running_without_an_app_id_is_announced_loudly(local):
    assert "UNAUTHENTICATED" in local.output()


@pytest.mark.parametrize("body,status,why", [
    ("{not json", 400, "Invalid JSON"),
    (json.dumps({"type": "message"}), 400, "conversation"),
    (json.dumps({"type": "message", "conversation": {"id": "c"}, "from": "nobody"}), 400, "from"),
    (json.dumps([1, 2, 3]), 400, ""),
])
def test_malformed_activities_are_refused_with_a_reason(local, body, status, why):
    reply = local.request("POST", "/api/messages", body, {"Content-Type": "application/json"})
    assert reply.status == status, reply
    assert why in reply.text
    assert scalar(local, "SELECT count(*) FROM people") == 0


def test_an_oversized_activity_is_refused(local):
    body = json.dumps({"type": "message", "conversation": {"id": "c"}, "text": "x" * 400_000})
    reply = local.request("POST", "/api/messages", body, {"Content-Type": "application/json"})
    assert reply.status == 413
    assert scalar(local, "SELECT count(*) FROM people") == 0


def test_without_an_app_id_only_this_machine_may_call_and_be_called_back():
    from bot.teams.endpoint import is_loopback
    from bot.teams.identity import reference_problem

    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("10.0.0.5") and not is_loopback(None)
    # a conversation reference stored while anonymous must not get a real token later, and vice versa
    hosts = ("smba.trafficmanager.net",)
    assert reference_problem("http://localhost:56150/_connector", None) is None
    assert reference_problem("https://smba.trafficmanager.net/amer/", None)
    assert reference_problem("https://smba.trafficmanager.net/amer/", hosts) is None
    for bad in ("http://localhost:56150/_connector", "https://smba.trafficmanager.net:8443/amer/",
                "https://user@smba.trafficmanager.net/", "http://smba.trafficmanager.net/", "https://evil.example/"):
        assert reference_problem(bad, hosts), bad
