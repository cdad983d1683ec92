"""Teams as a new tenant meets coachbot, with TEAMS_APP_ID set, against the strict Teams double: signed
activities, connector calls that carry the bot's token, cards and sizes checked, and failures on demand."""
from __future__ import annotations

import http.client
import json
import subprocess
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.support.fakes.teams_connector import SIZE_LIMIT, FakeTeams
from tests.support.served import COACHBOT, Served, eventually, query, scalar, utc_text, wait_status


@pytest.fixture(scope="module")
def bot(teams, tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-strict"),
               # a short lease, so a send that hangs is given up (and tried again) within seconds
               extra_env={**teams.env(), "COACHBOT_TICK_SECONDS": "0.3", "COACHBOT_LEASE_SECONDS": "6"})
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def teams_accepted_everything(request):
    """A test fails when the Teams double refused something it did not expect (take_refusals clears)."""
    teams = request.getfixturevalue("teams") if "teams" in request.fixturenames else None
    yield
    if teams is not None:
        time.sleep(0.2)
        # A throttle of the double's rate limit is fine when the app waited it out (the test drives faster
        # than people type); anything else it refused, nobody expected.
        refused = [r for r in teams.take_refusals() if r[2] != "Throttled: Too many requests"]
        assert not refused, f"the Teams double refused calls during this test: {refused}"


def personal(teams: FakeTeams, name: str, *, installed: bool = True) -> str:
    uid = teams.add_user(name)
    if installed:
        teams.install(uid)
    return uid


def say(teams: FakeTeams, bot: Served, uid: str, text: str, **extra) -> int:
    return teams.post(bot, teams.activity(uid, text=text, **extra)).status


def last_in(teams: FakeTeams, uid: str, where=None, count: int = 1) -> dict:
    return teams.wait_sent(teams.personal_chat(uid), count=count, where=where)[-1]


def shown(activity: dict) -> str:
    """What a person sees of an activity: its text, or its card's texts and buttons."""
    parts = [activity.get("text") or ""]
    for attachment in activity.get("attachments") or []:
        parts.append(json.dumps(attachment.get("content"), ensure_ascii=False))
    return "\n".join(parts)


def card_of(activity: dict) -> dict | None:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return attachment["content"]
    return None


def press(teams: FakeTeams, bot: Served, uid: str, activity_id: str, data: dict, **answer) -> int:
    """Press a card's button (Action.Submit sends its data and the card's inputs as the value)."""
    return teams.post(bot, teams.activity(uid, value={**data, **answer}, replyToId=activity_id)).status


# ---- the channel is secure ----------------------------------------------------------------------------

def test_a_signed_activity_is_answered_through_the_connector_with_the_bots_token(teams, bot):
    uid = personal(teams, "Megan Bowen")
    assert say(teams, bot, uid, "help") in (200, 202)
    reply = last_in(teams, uid)
    assert "talk @rep" in shown(reply)
    assert scalar(bot, "SELECT name FROM people WHERE platform_user_id = :u", u=uid) == "Megan Bowen"


@pytest.fixture(scope="module")
def elsewhere():
    """A server at another address (127.0.0.2) that records any request: where a leaked token would go."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    seen: list[str] = []

    class Catch(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            seen.append(self.path + " " + self.headers.get("Authorization", ""))
            self.send_response(201)
            self.end_headers()
            self.wfile.write(b'{"id": "1"}')

        do_PUT = do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.2", 0), Catch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.seen = seen
    yield server
    server.shutdown()


@pytest.mark.parametrize("attack", ["claim names Teams, activity elsewhere", "both name another host",
                                    "another port of an allowed host", "userinfo in the URL",
                                    "no serviceurl claim", "wrong issuer", "another bot's audience", "expired",
                                    "tenant-issued token"])
def test_a_forged_activity_is_refused_before_anything_is_stored_or_sent(teams, bot, elsewhere, attack):
    from tests.support.evidence import attempted

    uid = teams.add_user("Mallory Forge")
    teams.install(uid)
    activity = teams.activity(uid, text="plans")
    evil = f"http://127.0.0.2:{elsewhere.server_address[1]}/"
    other_port = f"http://127.0.0.1:{elsewhere.server_address[1]}/"
    token = {
        "claim names Teams, activity elsewhere": teams.inbound_token(service_url="https://smba.trafficmanager.net/amer/"),
        "both name another host": teams.inbound_token(service_url=evil),
        "another port of an allowed host": teams.inbound_token(service_url=other_port),
        "userinfo in the URL": teams.inbound_token(service_url=f"http://127.0.0.1@127.0.0.2:{elsewhere.server_address[1]}/"),
        "no serviceurl claim": teams.inbound_token(service_url=""),
        "wrong issuer": teams.inbound_token(issuer="https://evil.example"),
        "another bot's audience": teams.inbound_token(audience="99999999-0000-0000-0000-000000000000"),
        "expired": teams.inbound_token(lifetime=-3600),
        "tenant-issued token": teams.inbound_token(issuer=f"https://sts.windows.net/{teams.tenant}/"),
    }[attack]
    if attack == "both name another host":
        activity["serviceUrl"] = evil
    if attack == "another port of an allowed host":  # the claim names the double, the activity another port
        activity["serviceUrl"] = other_port
        token = teams.inbound_token()
    if attack == "userinfo in the URL":
        activity["serviceUrl"] = f"http://127.0.0.1@127.0.0.2:{elsewhere.server_address[1]}/"
    calls = len(teams.calls)
    reply = teams.post(bot, activity, token=token)
    attempted("Teams activity with a forged service URL, issuer, audience or expiry", reply.status == 401)
    assert reply.status == 401, reply
    time.sleep(0.3)
    assert len(teams.calls) == calls and not elsewhere.seen  # no token went anywhere
    assert scalar(bot, "SELECT count(*) FROM people WHERE platform_user_id = :u", u=uid) == 0


def test_a_body_over_the_limit_is_refused_with_or_without_a_content_length(teams, bot):
    uid = personal(teams, "Chunk Norris")
    body = json.dumps(teams.activity(uid, text="help " + "x" * 300_000)).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {teams.inbound_token()}"}
    conn = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=30)
    try:
        conn.request("POST", "/api/messages", body=iter([body[i:i + 8192] for i in range(0, len(body), 8192)]),
                     headers={**headers, "Transfer-Encoding": "chunked"}, encode_chunked=True)
        chunked = conn.getresponse()
        chunked.read()
    finally:
        conn.close()
    assert chunked.status == 413
    assert bot.request("POST", "/api/messages", body, headers).status == 413
    assert scalar(bot, "SELECT count(*) FROM people WHERE platform_user_id = :u", u=uid) == 0


def test_serve_refuses_a_test_identity_that_is_not_on_this_machine(tmp_path):
    from tests.support.served import sanitized_env

    env = {**sanitized_env(), "TEAMS_APP_ID": "x", "TEAMS_TEST_IDENTITY_URL": "https://login.example.com/identity",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "COACHBOT_ENCRYPTION_KEY": "k" * 43 + "="}
    result = subprocess.run([str(COACHBOT), "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "TEAMS_TEST_IDENTITY_URL" in result.stdout + result.stderr


# ---- people are known properly from the first message ------------------------------------------------

def test_an_install_stores_the_persons_name_and_email_and_the_first_message_their_zone(teams, bot):
    uid = teams.add_user("Adele Vance", tz="America/Chicago")
    assert teams.post(bot, teams.installed(uid)).status in (200, 202)  # no name and no zone on this activity
    assert eventually(lambda: query(bot, "SELECT name, email FROM people WHERE platform_user_id = :u", u=uid)
                      == [("Adele Vance", "adele@contoso.example")])
    welcome = last_in(teams, uid)
    assert "I'm coachbot" in shown(welcome) and uid not in shown(welcome)
    say(teams, bot, uid, "settings")
    assert eventually(lambda: scalar(bot, "SELECT tz FROM people WHERE platform_user_id = :u", u=uid)
                      == "America/Chicago")


# ---- cards that fit Teams --------------------------------------------------------------------------------

def test_every_card_declares_the_version_it_needs_and_says_what_it_is(teams, bot):
    uid = personal(teams, "Lee Gu")
    say(teams, bot, uid, "retro")
    say(teams, bot, uid, "help")
    for activity in teams.sent(teams.personal_chat(uid)):
        card = card_of(activity)
        if card is not None:
            assert card["version"] in ("1.0", "1.2", "1.3") and card["fallbackText"]
            assert activity.get("summary")  # the notification line of a card-only message
        text = activity.get("text") or ""
        assert "\n" not in text.replace("\n\n", "")  # Teams ignores single line breaks


def test_a_team_gets_a_short_welcome_when_the_app_is_added(teams, bot):
    uid = teams.add_user("Nestor Wilke")
    channel = teams.channel("Sales", [uid])
    added = teams.activity(uid, kind="conversationUpdate", conversation=channel,
                           membersAdded=[{"id": teams.bot_id}])
    assert teams.post(bot, added).status in (200, 202)
    welcome = teams.wait_sent(channel)[-1]
    assert "@mention me" in shown(welcome) and "private chat" in shown(welcome)


# ---- sends you can trust -------------------------------------------------------------------------------

def due_message(bot: Served, uid: str, text: str, due_in: timedelta = timedelta(seconds=-5)) -> int:
    """A queued message for a person, due now unless `due_in` says later (its words are encrypted)."""
    from storage.crypto import NotesCipher

    person = query(bot, "SELECT id, workspace_id FROM people WHERE platform_user_id = :u", u=uid)[0]
    now = utc_text(datetime.now(timezone.utc) + due_in)
    key = f"message:test:{time.monotonic_ns()}"
    payload = json.dumps({"enc": NotesCipher(bot.key).encrypt(text)})
    query(bot, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
               "payload, created_at) VALUES (:w, :r, 'message', :s, :k, :d, 'pending', 0, :p, :d)",
          w=person[1], r=person[0], s=f"person:{person[0]}", k=key, d=now, p=payload)
    return scalar(bot, "SELECT id FROM nudges WHERE dedupe_key = :k", k=key)


def retry_now(bot: Served, nudge: int) -> None:
    """Wait for a nudge to be put back after a failed try, then bring its back-off to an end."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, attempts = query(bot, "SELECT status, attempts FROM nudges WHERE id = :i", i=nudge)[0]
        if status == "pending" and attempts >= 1:
            query(bot, "UPDATE nudges SET due_at = :d WHERE id = :i",
                  d=utc_text(datetime.now(timezone.utc) - timedelta(seconds=1)), i=nudge)
            return
        time.sleep(0.1)
    raise AssertionError(f"nudge {nudge} was not put back for another try")


def known(teams: FakeTeams, bot: Served, name: str) -> str:
    uid = personal(teams, name)
    say(teams, bot, uid, "settings hours 00:00-23:59")
    say(teams, bot, uid, "settings days mon,tue,wed,thu,fri,sat,sun")
    last_in(teams, uid, where=lambda a: "Saved" in shown(a), count=2)
    return uid


@pytest.mark.parametrize("status,code,retry_after", [(429, "Throttled", 120), (503, "", None),
                                                      (412, "PreconditionFailed", None)])
def test_a_send_teams_asks_to_retry_is_retried_and_delivered_once(teams, bot, status, code, retry_after):
    uid = known(teams, bot, f"Retry {status}")
    teams.fail(status, code, retry_after=retry_after, match=lambda body: "try me again" in json.dumps(body))
    failed_at = datetime.now(timezone.utc)
    nudge = due_message(bot, uid, "try me again")
    deadline = time.monotonic() + 30
    while query(bot, "SELECT attempts FROM nudges WHERE id = :i", i=nudge)[0][0] < 1 or \
            query(bot, "SELECT status FROM nudges WHERE id = :i", i=nudge)[0][0] != "pending":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    due = query(bot, "SELECT due_at FROM nudges WHERE id = :i", i=nudge)[0][0]
    due = datetime.fromisoformat(str(due)).replace(tzinfo=timezone.utc) if isinstance(due, str) else due
    if retry_after:  # Teams' Retry-After is honoured: the next try is not before it
        assert due >= failed_at + timedelta(seconds=retry_after - 5)
    retry_now(bot, nudge)
    status_, attempts, error, ref = wait_status(bot, nudge, "sent", timeout=30)
    assert attempts == 2 and ref
    delivered = [a for a in teams.sent(teams.personal_chat(uid)) if "try me again" in shown(a)]
    assert len(delivered) == 1
    assert not [a for a in teams.sent(teams.personal_chat(uid)) if "went wrong" in shown(a)]  # nobody was told
    assert [r[1] for r in teams.take_refusals()] == [status]


def test_a_short_throttle_is_waited_out_within_the_send(teams, bot):
    uid = known(teams, bot, "Brief Throttle")
    teams.fail(429, "Throttled", retry_after=1, match=lambda body: "one moment" in json.dumps(body))
    nudge = due_message(bot, uid, "one moment")
    _, attempts, _, _ = wait_status(bot, nudge, "sent", timeout=30)
    tries = [c for c in teams.calls if c.method == "send" and "one moment" in json.dumps(c.body)]
    assert attempts == 1 and len(tries) == 2 and tries[1].at - tries[0].at >= 1.0  # after the Retry-After
    assert [r[1] for r in teams.take_refusals()] == [429]


@pytest.mark.parametrize("status,code,reason", [
    (403, "BotNotInConversationRoster", "coachbot is no longer in this person's chat"),
    (404, "ConversationNotFound", "the chat with this person no longer exists")])
def test_a_send_teams_refuses_for_good_fails_with_a_reason_the_admin_can_read(teams, bot, status, code, reason):
    uid = known(teams, bot, f"Gone {status}")
    teams.fail(status, code, match=lambda body: "for the record" in json.dumps(body))
    nudge = due_message(bot, uid, "for the record")
    _, attempts, error, _ = wait_status(bot, nudge, "failed", timeout=30)
    assert attempts == 1 and code in error and reason in error
    listed = subprocess.run([str(COACHBOT), "nudges", "--failed", "--db", bot.database_url], capture_output=True,
                            text=True, timeout=60)
    assert f"#{nudge} message" in listed.stdout and reason in listed.stdout
    assert not [a for a in teams.sent(teams.personal_chat(uid)) if "went wrong" in shown(a)]
    assert [r[1] for r in teams.take_refusals()] == [status]


def test_a_send_that_hangs_is_tried_again(teams, bot):
    uid = known(teams, bot, "Slow Poke")
    teams.fail(503, "", hang=10, match=lambda body: "patience" in json.dumps(body))
    nudge = due_message(bot, uid, "patience")
    retry_now(bot, nudge)
    assert "sending took longer than the nudge's lease" in query(bot, "SELECT last_error FROM nudges WHERE id = :i",
                                                                 i=nudge)[0][0]
    _, attempts, error, _ = wait_status(bot, nudge, "sent", timeout=30)
    assert attempts == 2
    assert eventually(lambda: teams.refusals, timeout=15)  # the hung request ends with its 503, late
    assert [r[1] for r in teams.take_refusals()] == [503]


def test_a_message_too_big_for_teams_goes_out_in_parts(teams, bot):
    uid = known(teams, bot, "Big Message")
    long = "\n".join(f"line {i}: " + "word " * 60 for i in range(400))  # ~130 KB
    nudge = due_message(bot, uid, long)
    wait_status(bot, nudge, "sent", timeout=30)
    parts = [a for a in teams.sent(teams.personal_chat(uid)) if "line " in shown(a)]
    assert len(parts) > 1 and all(len(json.dumps(a).encode()) < SIZE_LIMIT for a in parts)
    seen = "".join(shown(a) for a in parts)
    assert all(f"line {i}:" in seen for i in range(400))
    # parts are paced for Teams' rate limit; a throttle met anyway is waited out, never a lost part
    assert {r[2] for r in teams.take_refusals()} <= {"Throttled: Too many requests"}


def test_a_plan_for_a_rep_without_a_chat_waits_and_arrives_when_they_install_the_app(teams, bot):
    manager = known(teams, bot, "Diego Siciliani")
    rep = personal(teams, "Lynne Robbins", installed=False)
    # the rep was mentioned in a channel once, so coachbot knows them but has no chat with them
    channel = teams.channel("Deals", [manager, rep])
    mention = [{"type": "mention", "mentioned": {"id": teams.bot_id, "name": "coachbot"}, "text": "<at>coachbot</at>"},
               {"type": "mention", "mentioned": {"id": rep, "name": "Lynne Robbins"}, "text": "<at>Lynne Robbins</at>"}]
    teams.post(bot, teams.activity(manager, text="<at>coachbot</at> team add <at>Lynne Robbins</at>",
                                   conversation=channel, entities=mention))
    teams.wait_sent(channel)
    # the rep can't answer the invitation without a chat: the line is confirmed from the organisation's data
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)
    card = walk_talk(teams, bot, manager, rep)
    assert "summary" in shown(card)
    told = last_in(teams, manager, where=lambda a: "hasn't opened a chat" in shown(a))
    assert "Lynne Robbins" in shown(told)
    waiting = eventually(lambda: query(bot, "SELECT n.status, n.last_error FROM nudges n JOIN people p ON "
                                            "p.id = n.recipient_id WHERE p.platform_user_id = :r AND n.kind = 'message'",
                                       r=rep), timeout=20)
    assert waiting and waiting[0][0] in ("pending", "waiting")
    assert eventually(lambda: query(bot, "SELECT n.status FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                         "WHERE p.platform_user_id = :r AND n.kind = 'message'", r=rep)
                      == [("waiting",)], timeout=20)
    assert teams.post(bot, teams.installed(rep)).status in (200, 202)
    backlog = last_in(teams, rep, where=lambda a: "were waiting for you" in shown(a))
    assert "shared the plan" in shown(backlog)
    assert eventually(lambda: query(bot, "SELECT n.status FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                         "WHERE p.platform_user_id = :r AND n.kind = 'message'", r=rep) == [("sent",)])


def test_removing_the_app_holds_the_persons_nudges_with_a_reason_until_it_is_back(teams, bot):
    uid = known(teams, bot, "Pradeep Gupta")
    # due tomorrow from the start: a nudge inserted as due could be sent before a test moved it
    nudge = due_message(bot, uid, "while you were away", due_in=timedelta(days=1))
    upgrade = teams.installed(uid) | {"action": "remove-upgrade"}  # an app upgrade: nothing stops
    assert teams.post(bot, upgrade).status in (200, 202)
    time.sleep(0.5)
    assert wait_status(bot, nudge, "pending")
    assert teams.post(bot, teams.removed(uid)).status in (200, 202)
    _, _, error, _ = wait_status(bot, nudge, "waiting")
    assert "removed coachbot from their Teams chat" in error and "delivered if they add it again" in error
    listed = subprocess.run([str(COACHBOT), "nudges", "--db", bot.database_url], capture_output=True, text=True,
                            timeout=60)
    assert "waiting: " in listed.stdout
    assert teams.post(bot, teams.installed(uid)).status in (200, 202)
    back = last_in(teams, uid, where=lambda a: "were waiting for you" in shown(a))
    assert "while you were away" in shown(back)
    wait_status(bot, nudge, "sent")


def walk_talk(teams: FakeTeams, bot: Served, manager: str, rep: str) -> dict:
    """A whole difficult conversation through its cards in the manager's chat; the last card."""
    say(teams, bot, manager, "talk Lynne Robbins")
    card_activity = last_in(teams, manager, where=lambda a: card_of(a) and "Difficult conversation" in shown(a))
    answers = {"raised_before": "no", "observed": "In October you booked 2 demos; the target is 8.",
               "own_part": "I haven't joined a call since September.", "listen": None,
               "rep_view": "My leads moved to the new team.", "options": "Prospecting campaign",
               "plan": "book 5 discovery calls by Friday\nme: join two calls in 2 weeks", "review": (date.today() + timedelta(weeks=10)).isoformat(),
               "share": "yes"}
    for _ in range(20):  # a step with a coaching hint comes back once; the same answer keeps it
        card = card_of(card_activity)
        step = next(a["data"] for a in card["actions"] if a["data"].get("coachbot") == "step")
        value = answers[step["step"]]
        before = len(teams.sent(teams.personal_chat(manager)))
        press(teams, bot, manager, teams.activities_id(card_activity), step,
              **({"answer": value} if value is not None else {}))
        sent = teams.wait_sent(teams.personal_chat(manager), count=before + 1)
        card_activity = next(a for a in reversed(sent) if card_of(a))
        if "summary" in shown(card_activity):
            return card_activity
    raise AssertionError(f"the talk did not finish: {shown(card_activity)[:3000]}")


def test_a_manager_gets_the_report_with_its_chart_drawn_in_the_card(teams, bot):
    manager = known(teams, bot, "Isaiah Langer")
    rep = personal(teams, "Johanna Lorenz")
    say(teams, bot, rep, "hi")
    last_in(teams, rep)
    ids = {u: scalar(bot, "SELECT id FROM people WHERE platform_user_id = :u", u=u) for u in (manager, rep)}
    ws = scalar(bot, "SELECT workspace_id FROM people WHERE id = :i", i=ids[manager])
    query(bot, "UPDATE people SET manager_id = :m WHERE id = :r", m=ids[manager], r=ids[rep])
    today = datetime.now(timezone.utc).date().isoformat()
    for i, reason in enumerate(["price", "price", "timing"]):
        query(bot, "INSERT INTO retrospectives (workspace_id, deal_key, deal_name, rep_id, manager_id, source, status, "
                   "primary_reason, secondary_reasons, share_scope, lost_on, created_at) VALUES (:w, :k, :n, :r, :m, "
                   "'command', 'done', :why, '', 'manager', :d, :c)",
              w=ws, k=f"seed:{i}", n=f"Deal {i}", r=ids[rep], m=ids[manager], why=reason, d=today,
              c=utc_text(datetime.now(timezone.utc)))
    say(teams, bot, manager, "report 30d")
    report = last_in(teams, manager, where=lambda a: card_of(a) and "Loss reasons" in shown(a))
    bars = [c for c in card_of(report)["body"] if c["type"] == "ColumnSet"]
    assert len(bars) == 2 and "67% (2)" in json.dumps(bars) and "33% (1)" in json.dumps(bars)


def test_a_checkin_that_went_stale_while_waiting_is_dropped_with_a_reason(teams, bot):
    rep = personal(teams, "Miriam Graham", installed=False)
    channel = teams.channel("Floor", [rep])
    teams.post(bot, teams.activity(rep, text="<at>coachbot</at> help", conversation=channel, entities=[
        {"type": "mention", "mentioned": {"id": teams.bot_id, "name": "coachbot"}, "text": "<at>coachbot</at>"}]))
    teams.wait_sent(channel)
    person = query(bot, "SELECT id, workspace_id FROM people WHERE platform_user_id = :u", u=rep)[0]
    long_ago = utc_text(datetime.now(timezone.utc) - timedelta(days=10))
    query(bot, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
               "payload, created_at, last_error) VALUES (:w, :r, 'checkin_rep', 'talk:999', :k, :d, 'waiting', 0, '{}', "
               ":d, 'waiting for Miriam Graham to open a chat with coachbot in Teams')",
          w=person[1], r=person[0], k=f"stale:{rep}", d=long_ago)
    assert teams.post(bot, teams.installed(rep)).status in (200, 202)
    assert eventually(lambda: query(bot, "SELECT status FROM nudges WHERE dedupe_key = :k", k=f"stale:{rep}")
                      == [("cancelled",)])
    reason = scalar(bot, "SELECT last_error FROM nudges WHERE dedupe_key = :k", k=f"stale:{rep}")
    assert reason.startswith("stale: waited from") and "Miriam Graham" in reason


def test_a_message_teams_finds_too_large_is_split_further_not_dropped(teams, bot):
    uid = known(teams, bot, "Tight Limit")
    long = "\n".join(f"row {i}: " + "word " * 40 for i in range(60))  # one card, ~15 KB: within our budget
    teams.fail(413, "MessageSizeTooBig", match=lambda body: "row 0:" in json.dumps(body))
    nudge = due_message(bot, uid, long)
    wait_status(bot, nudge, "sent", timeout=30)
    parts = [a for a in teams.sent(teams.personal_chat(uid)) if "row " in shown(a)]
    assert len(parts) >= 2 and all(f"row {i}:" in "".join(shown(a) for a in parts) for i in range(60))
    assert [r[1] for r in teams.take_refusals()] == [413]


def test_a_tenant_issued_token_is_accepted_only_where_configured(teams, tmp_path):
    s = Served(None, tmp_path, extra_env={**teams.env(), "TEAMS_TENANT_ISSUER": "true"})
    try:
        uid = personal(teams, "Grady Archie")
        token = teams.inbound_token(issuer=f"https://sts.windows.net/{teams.tenant}/")
        assert teams.post(s, teams.activity(uid, text="help"), token=token).status in (200, 202)
        assert "talk @rep" in shown(last_in(teams, uid))
        other = teams.inbound_token(issuer="https://sts.windows.net/00000000-1111-2222-3333-444444444444/")
        assert teams.post(s, teams.activity(uid, text="help"), token=other).status == 401
    finally:
        s.stop()


def test_a_backlog_longer_than_one_message_arrives_whole(teams, bot):
    rep = personal(teams, "Long Backlog", installed=False)
    channel = teams.channel("Backlog", [rep])
    teams.post(bot, teams.activity(rep, text="<at>coachbot</at> help", conversation=channel, entities=[
        {"type": "mention", "mentioned": {"id": teams.bot_id, "name": "coachbot"}, "text": "<at>coachbot</at>"}]))
    teams.wait_sent(channel)
    waiting = [due_message(bot, rep, f"message {i}: " + "näher " * 900) for i in range(6)]
    for nudge in waiting:
        wait_status(bot, nudge, "waiting")
    assert teams.post(bot, teams.installed(rep)).status in (200, 202)
    for nudge in waiting:
        wait_status(bot, nudge, "sent")
    parts = [a for a in teams.sent(teams.personal_chat(rep)) if "message " in shown(a)]
    assert len(parts) > 1 and all(f"message {i}:" in "".join(shown(a) for a in parts) for i in range(6))


def test_non_latin_text_is_measured_as_it_goes_over_the_wire(teams, bot):
    uid = known(teams, bot, "Wide Chars")
    text = "\n".join(f"行 {i}: " + "漢字かな😀 " * 60 for i in range(80))
    nudge = due_message(bot, uid, text)
    wait_status(bot, nudge, "sent", timeout=60)
    parts = [a for a in teams.sent(teams.personal_chat(uid)) if "行 " in shown(a)]
    assert len(parts) > 1 and all(f"行 {i}:" in "".join(shown(a) for a in parts) for i in range(80))
    assert {r[2] for r in teams.take_refusals()} <= {"Throttled: Too many requests"}


def test_zz_every_card_sent_in_this_module_declares_exactly_the_version_it_needs(teams):
    from bot.teams.adaptive import needed_version

    checked = 0
    for activity in teams.sent():
        card = card_of(activity)
        if card is None:
            continue
        checked += 1
        assert card["version"] == needed_version(card) and card["fallbackText"] and activity.get("summary")
        texts = _texts(card)
        assert all("\n" not in t.replace("\n\n", "") for t in texts), texts
    assert checked > 20


def _texts(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "TextBlock" and isinstance(node.get("text"), str) else []
        return found + [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []
