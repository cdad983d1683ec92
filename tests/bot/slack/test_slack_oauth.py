"""Multi-workspace installs through OAuth, stored by slack_sdk's SQLAlchemy store in our database."""
from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support import slack_requests as sr
from tests.support.pgdb import fresh_pg_database
from tests.support.fakes.slack_api import FakeSlack
from tests.support.nudge_seed import seed_due_nudges
from tests.support.served import Served, query, scalar as count, wait_status


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    for uid, name in [("U1MGR", "Ana Lopez"), ("U1REP", "Ben Ode"), ("U2MGR", "Cleo Hart"), ("U2REP", "Dev Rao")]:
        f.add_user(uid, name, team_id="T1" if uid.startswith("U1") else "T2")
    yield f
    f.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request, fake, tmp_path_factory):
    url = None if request.param == "sqlite" else request.getfixturevalue("pg_url_module")
    s = Served(fake, tmp_path_factory.mktemp("oauth"), oauth=True, database_url=url)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pg_url_module(pg_server):
    with fresh_pg_database(pg_server) as url:
        yield url


def install(served: Served, team: str) -> None:
    page = served.get("/slack/install")
    assert page.status == 200
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1)
    query = parse_qs(urlparse(link.replace("&amp;", "&")).query)
    assert query["client_id"] == ["1111.2222"] and "chat:write" in query["scope"][0]
    cookie = SimpleCookie(page.headers["Set-Cookie"])
    state = query["state"][0]
    jar = "; ".join(f"{k}={m.value}" for k, m in cookie.items())
    done = served.get(f"/slack/oauth_redirect?code=good-code-{team}&state={state}", headers={"Cookie": jar})
    assert done.status == 200, done.text


def test_install_then_use_two_workspaces_and_keep_them_apart(served, fake):
    install(served, "T1")
    install(served, "T2")
    assert count(served, "SELECT count(*) FROM slack_installations") == 2
    assert count(served, "SELECT count(*) FROM slack_bots") == 2

    trig = fake.trigger()
    assert served.command("talk <@U1REP>", user="U1MGR", team="T1", trigger_id=trig).status == 200
    opened = fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1]
    assert opened.token.startswith("xoxb-T1-")  # each workspace's own bot token
    view = opened.body["view"]

    # A manager of workspace B replays workspace A's form, ids and all: refused, nothing changes.
    stolen = served.submit(view, sr.radio_answer("no"), user="U2MGR", team="T2")
    assert stolen.status == 200 and "isn't yours" in json.dumps(stolen.json())
    sid = json.loads(view["private_metadata"])["sid"]
    assert count(served, "SELECT version FROM flow_sessions WHERE id = :i", i=sid) == 1
    mine = served.submit(view, sr.radio_answer("no"), user="U1MGR", team="T1").json()
    assert json.loads(mine["view"]["private_metadata"])["step"] == "observed"

    # Same Slack user id in the other workspace is a different person.
    seen = fake.responses_for("U1MGR")  # the fake is shared with the other database's run of this module
    served.command("plans", user="U1MGR", team="T2")
    fake.wait_for_response("U1MGR", count=seen + 1)
    assert count(served, "SELECT count(*) FROM people WHERE platform_user_id = 'U1MGR'") == 2


def test_a_bad_oauth_state_installs_nothing(served):
    before = count(served, "SELECT count(*) FROM slack_installations")
    reply = served.get("/slack/oauth_redirect?code=good-code-T9&state=forged")
    assert reply.status == 400
    assert count(served, "SELECT count(*) FROM slack_installations") == before


def stopped_reasons(served: Served, ids: list[int]) -> set:
    deadline = time.monotonic() + 10
    while True:
        rows = query(served, "SELECT status, last_error FROM nudges WHERE id IN (%s)" % ",".join(map(str, ids)))
        if all(status == "failed" for status, _ in rows) or time.monotonic() > deadline:
            return {(status, error) for status, error in rows}
        time.sleep(0.1)


def test_uninstall_and_token_revocation_remove_the_workspaces_tokens(served, fake):
    install(served, "T3")
    fake.add_user("U3MGR", "Eli Moss", team_id="T3")
    assert count(served, "SELECT count(*) FROM slack_bots WHERE team_id = 'T3'") == 1
    later = seed_due_nudges(served.database_url, nudges=3, people=1, team="T3", due_in=timedelta(days=1))
    reply = served.event({"type": "app_uninstalled", "event_ts": str(time.time())}, team="T3")
    assert reply.status == 200
    (outcome,) = stopped_reasons(served, later)  # every scheduled nudge stopped, with the reason for the admin
    assert outcome[0] == "failed" and "coachbot was uninstalled from this Slack workspace" in outcome[1]
    deadline = time.monotonic() + 10
    while count(served, "SELECT count(*) FROM slack_bots WHERE team_id = 'T3'") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count(served, "SELECT count(*) FROM slack_bots WHERE team_id = 'T3'") == 0
    assert count(served, "SELECT count(*) FROM slack_installations WHERE team_id = 'T3'") == 0
    seen = fake.responses_for("U3MGR")
    served.command("plans", user="U3MGR", team="T3")
    assert "isn't installed" in json.dumps(fake.wait_for_response("U3MGR", count=seen + 1)[-1])

    install(served, "T4")
    later = seed_due_nudges(served.database_url, nudges=2, people=1, team="T4", due_in=timedelta(days=1))
    reply = served.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT0001"]},
                          "event_ts": str(time.time())}, team="T4")
    assert reply.status == 200
    (outcome,) = stopped_reasons(served, later)
    assert outcome[0] == "failed" and "bot token was revoked" in outcome[1]
    deadline = time.monotonic() + 10
    while count(served, "SELECT count(*) FROM slack_bots WHERE team_id = 'T4'") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count(served, "SELECT count(*) FROM slack_bots WHERE team_id = 'T4'") == 0


def test_no_request_waits_for_auth_test(served, fake):
    """Bolt's stock installation-store authorize calls auth.test on every request, before the ack: a slow
    auth.test would expire the trigger. coachbot authorizes from the stored install instead."""
    install(served, "T1")
    fake.add_user("U1SLOW", "Fay Quick", team_id="T1")
    before = len(fake.calls_to("auth.test"))
    fake.slow("auth.test", 3.5)
    try:
        trig = fake.trigger()
        reply = served.command("talk <@U1SLOW>", user="U1MGR", team="T1", trigger_id=trig)
        assert reply.status == 200
        opened = fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1]
        assert fake.opened_view(opened)["callback_id"] == "flow_step"
    finally:
        fake.slow("auth.test", 0)
    assert len(fake.calls_to("auth.test")) == before


def test_a_workspace_that_installs_again_gets_its_nudges_with_the_new_token(fake, tmp_path):
    s = Served(fake, tmp_path, oauth=True, extra_env={"COACHBOT_TICK_SECONDS": "0.3"})
    try:
        install(s, "T5")
        (first,) = seed_due_nudges(s.database_url, nudges=1, people=1, team="T5")
        wait_status(s, first, "sent")
        old = fake.calls_to("chat.postMessage")[-1].token
        fake.revoke(old)  # uninstalled in Slack; the app re-installed before this replica heard of it
        install(s, "T5")
        (second,) = seed_due_nudges(s.database_url, nudges=1, people=1, team="T5")
        wait_status(s, second, "sent")
        delivered = [c for c in fake.calls_to("chat.postMessage") if c.delivered][-1]
        assert delivered.token != old and delivered.token.startswith("xoxb-T5-")
        assert [r[1] for r in fake.take_refusals()] == ["token_revoked"]
    finally:
        s.stop()
