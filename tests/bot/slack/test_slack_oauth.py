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


@pytest.fixture(scope="module")
def ticking(fake, tmp_path_factory):
    """A server whose dispatcher ticks fast, for the token tests (each on a workspace of its own)."""
    s = Served(fake, tmp_path_factory.mktemp("tokens"), oauth=True, extra_env={"COACHBOT_TICK_SECONDS": "0.3", "COACHBOT_MESSAGE_BUDGET": "false"})
    yield s
    s.stop()


def posted_with(fake: FakeSlack, team: str) -> list[tuple[str, bool]]:
    """(token, delivered) of every chat.postMessage made with the team's tokens, in order."""
    return [(c.token, c.delivered) for c in fake.calls_to("chat.postMessage") if c.token.startswith(f"xoxb-{team}-")]


def test_a_workspace_that_installs_again_is_served_with_the_new_token_at_once(ticking, fake):
    install(ticking, "T5")
    (first,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team="T5")
    wait_status(ticking, first, "sent")
    old = posted_with(fake, "T5")[-1][0]
    install(ticking, "T5")  # the old token still works: Slack leaves it until it is revoked
    (second,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team="T5")
    wait_status(ticking, second, "sent")
    token, delivered = posted_with(fake, "T5")[-1]
    assert delivered and token != old and token.startswith("xoxb-T5-")
    fake.revoke(old)  # uninstalled elsewhere: nothing here still holds it
    (third,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team="T5")
    wait_status(ticking, third, "sent")
    assert posted_with(fake, "T5")[-1] == (token, True) and fake.take_refusals() == []


def test_a_token_revoked_while_a_nudge_is_on_its_way_is_read_again_and_the_new_one_used(ticking, fake):
    install(ticking, "T6")
    (warm,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team="T6")
    wait_status(ticking, warm, "sent")
    old = posted_with(fake, "T6")[-1][0]
    fake.slow("chat.postMessage", 1.5)
    try:
        (nudge,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team="T6")
        fake.wait_for("chat.postMessage", count=2, where=lambda c: c.token == old)
        fake.revoke(old)  # Slack answers the call in flight with token_revoked ...
        install(ticking, "T6")  # ... and the workspace has installed again meanwhile
        _, attempts, error, _ = wait_status(ticking, nudge, "sent", timeout=20)
    finally:
        fake.slow("chat.postMessage", 0)
    calls = posted_with(fake, "T6")
    assert calls[-2] == (old, False) and calls[-1][1] and calls[-1][0] != old
    assert [r[1] for r in fake.take_refusals()] == ["token_revoked"]


@pytest.mark.parametrize("error", ["token_revoked", "account_inactive"])
def test_a_dead_token_with_no_newer_install_fails_the_nudge_saying_what_to_do(ticking, fake, error):
    team = "T7" if error == "token_revoked" else "T8"
    install(ticking, team)
    (warm,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team=team)
    wait_status(ticking, warm, "sent")
    fake.revoke(posted_with(fake, team)[-1][0], error)
    (nudge,) = seed_due_nudges(ticking.database_url, nudges=1, people=1, team=team)
    _, attempts, reason, _ = wait_status(ticking, nudge, "failed")
    assert attempts == 1 and error in reason and "install coachbot in the workspace again" in reason
    assert [r[1] for r in fake.take_refusals()] == [error]


def test_another_replica_uses_the_new_token_within_seconds_though_the_old_one_still_works(fake, pg_url, tmp_path):
    """The install lands on one replica; the one that sends nudges never hears of it but reads the store."""
    from bot.slack.sender import SlackSender

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    installer = Served(fake, tmp_path / "a", oauth=True, database_url=pg_url,
                       extra_env={"COACHBOT_TICK_SECONDS": "3600"})
    sender = None
    try:
        key = {"COACHBOT_ENCRYPTION_KEY": installer.key}
        sender = Served(fake, tmp_path / "b", oauth=True, database_url=pg_url,
                        extra_env={"COACHBOT_TICK_SECONDS": "0.3", "COACHBOT_MESSAGE_BUDGET": "false", **key})
        install(installer, "T9")
        (first,) = seed_due_nudges(pg_url, nudges=1, people=1, team="T9")
        wait_status(sender, first, "sent")
        old = posted_with(fake, "T9")[-1][0]
        install(installer, "T9")
        time.sleep(SlackSender.TOKEN_FRESH)  # how long a replica may keep a token that still works
        (second,) = seed_due_nudges(pg_url, nudges=1, people=1, team="T9")
        wait_status(sender, second, "sent")
        token, delivered = posted_with(fake, "T9")[-1]
        assert delivered and token != old
        assert fake.take_refusals() == []
    finally:
        if sender is not None:
            sender.stop()
        installer.stop()
