"""Nudges delivered by a real `coachbot serve` scheduler to the fake Slack API, and what can go wrong."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import slack_requests as sr
from tests.support.fakes.slack_api import FakeSlack, manifest_scopes
from tests.support.fakes.slack_render import seen_in
from tests.support.served import COACHBOT, Served, flat, query as sql, utc_text, wait_status
from tests.bot.slack.test_slack_serve import walk_talk

_seq = iter(range(1, 10**6))


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    # Each nudge as a message of its own here, whatever else is due for the person; the message budget's
    # merged messages are tested in test_slack_budget.py.
    s = Served(fake, tmp_path_factory.mktemp("nudges"), extra_env={"COACHBOT_TICK_SECONDS": "0.3",
                                                                   "COACHBOT_MESSAGE_BUDGET": "false"})
    yield s
    s.stop()


def pair(fake: FakeSlack) -> tuple[str, str]:
    n = next(_seq)
    mgr, rep = f"U0MGR{n:04d}", f"U0REP{n:04d}"
    fake.add_user(mgr, f"Manager {n}", tz="UTC")
    fake.add_user(rep, f"Rep {n}", tz="UTC")
    return mgr, rep


def plan_with_due_checkins(served: Served, fake: FakeSlack) -> tuple[str, str, list[int]]:
    """A talk through the modals, people at work around the clock, and its first check-ins due now."""
    mgr, rep = pair(fake)
    walk_talk(served, mgr, rep)
    # the summary DMs go out after the ack; the manager's home refresh is the last of that work
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == mgr)
    sql(served, "UPDATE people SET work_start = '00:00', work_end = '23:59', "
                "work_days = 'mon,tue,wed,thu,fri,sat,sun' WHERE platform_user_id IN (:m, :r)", m=mgr, r=rep)
    ids = [row[0] for row in sql(served, "SELECT n.id FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                         "WHERE p.platform_user_id IN (:m, :r) AND n.dedupe_key LIKE '%:checkin:0:%' "
                                         "ORDER BY n.kind DESC", m=mgr, r=rep)]
    return mgr, rep, ids



def make_due(served: Served, ids: list[int]) -> None:
    past = utc_text(datetime.now(timezone.utc) - timedelta(minutes=1))
    for i in ids:
        sql(served, "UPDATE nudges SET due_at = :d WHERE id = :i", d=past, i=i)



def test_checkins_go_out_as_dms_with_metadata_and_the_buttons_work(served, fake):
    mgr, rep, (rep_checkin, mgr_checkin) = plan_with_due_checkins(served, fake)
    make_due(served, [rep_checkin, mgr_checkin])
    status, attempts, _, ref = wait_status(served, rep_checkin, "sent")
    assert attempts == 1 and ref.startswith("D")
    wait_status(served, mgr_checkin, "sent")
    to_rep = next(c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == rep
                  and "Quick check-in" in json.dumps(c.body))
    assert to_rep.body["metadata"] == {"event_type": "coachbot_nudge", "event_payload": {"nudge_id": rep_checkin}}
    buttons = to_rep.body["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["On track", "Could use a hand", "Stuck"]
    to_mgr = next(c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == mgr
                  and "since your talk" in json.dumps(c.body))
    assert "I checked in" in json.dumps(to_mgr.body)

    stuck = next(b for b in buttons if b["text"]["text"] == "Stuck")
    payload = sr.block_action(stuck["action_id"], stuck["value"], user=rep, team=fake.team_id, channel="D" + rep[1:],
                              trigger_id=fake.trigger(),
                              message_ts="1.1")
    payload["response_url"] = fake.response_url(f"{rep}-nudge")
    assert served.post_signed(*sr.interaction_body(payload)).status == 200
    alert = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                          and "checked in: stuck" in json.dumps(c.body))
    assert alert
    replaced = fake.wait_for_response(rep)[-1]
    assert replaced.get("replace_original") in (True, "true") and "has been told you are stuck" in json.dumps(replaced)
    assert sql(served, "SELECT c.status FROM checkins c JOIN people p ON p.id = c.rep_id "
                       "WHERE p.platform_user_id = :r", r=rep) == [("stuck",)]


def test_rate_limited_then_sent_once(served, fake):
    _, _, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    before = fake.nudge_ids_sent().count(rep_checkin)
    fake.fail("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"},
              match=fake.for_nudge(rep_checkin))
    make_due(served, [rep_checkin])
    wait_status(served, rep_checkin, "sent")
    assert fake.nudge_ids_sent().count(rep_checkin) - before == 1  # the 429 posted nothing; the retry did
    deliveries = [c for c in fake.calls_to("chat.postMessage") if c.body.get("metadata", {}).get("event_payload", {})
                  .get("nudge_id") == rep_checkin]
    assert deliveries[-1].at - deliveries[-2].at >= 0.9  # Retry-After was honoured


def test_server_errors_back_off_and_a_later_tick_delivers(served, fake):
    _, _, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    # A 5xx may or may not have posted the message, so it is not retried inside the call: the nudge goes
    # back to the table with a back-off, and the next attempt checks the DM history before sending.
    fake.fail("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"},
              match=fake.for_nudge(rep_checkin))
    make_due(served, [rep_checkin])
    status, attempts, error, _ = wait_status(served, rep_checkin, "pending")
    deadline = time.monotonic() + 10
    while "503" not in (error or "") and "service_unavailable" not in (error or "") and time.monotonic() < deadline:
        time.sleep(0.1)
        status, attempts, error, _ = sql(served, "SELECT status, attempts, last_error, message_ref FROM nudges "
                                                 "WHERE id = :i", i=rep_checkin)[0]
    assert status == "pending" and attempts == 1 and "service_unavailable" in error
    due = sql(served, "SELECT due_at FROM nudges WHERE id = :i", i=rep_checkin)[0][0]
    assert due is not None
    history_checks = len(fake.calls_to("conversations.history"))
    make_due(served, [rep_checkin])  # the back-off has passed
    assert wait_status(served, rep_checkin, "sent")[1] == 2
    assert len(fake.calls_to("conversations.history")) > history_checks  # looked before sending again
    assert fake.nudge_ids_sent().count(rep_checkin) == 1


def test_a_deactivated_user_fails_permanently_and_the_admin_can_see_why(served, fake, tmp_path):
    _, _, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    fake.fail("chat.postMessage", 200, {"ok": False, "error": "account_inactive"}, match=fake.for_nudge(rep_checkin))
    make_due(served, [rep_checkin])
    _, attempts, error, _ = wait_status(served, rep_checkin, "failed")
    # Slack's account_inactive is about the token's account (chat.postMessage's errors): read again, same
    # token, so it fails at once, saying what to do.
    assert attempts == 1 and error.startswith("slack: account_inactive") and "install coachbot" in error
    cmd = [str(COACHBOT)] if COACHBOT.exists() else [sys.executable, "-m", "bot"]
    shown = subprocess.run([*cmd, "nudges", "--failed", "--db", served.database_url], capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0 and f"#{rep_checkin} checkin_rep" in shown.stdout
    assert "slack: account_inactive" in shown.stdout and "failed: " in shown.stdout


def test_a_reclaimed_lease_finds_the_earlier_delivery_and_does_not_send_twice(served, fake):
    _, rep, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    # A replica died after Slack took the message but before it could record it.
    fake.history.setdefault("D" + rep[1:], []).append(
        {"type": "message", "ts": "1700000000.000001", "text": "Quick check-in",
         "metadata": {"event_type": "coachbot_nudge", "event_payload": {"nudge_id": rep_checkin}}})
    sql(served, "UPDATE nudges SET status = 'sending', attempts = 1, lease_owner = 'dead-replica', "
                "lease_expires_at = :t, due_at = :t WHERE id = :i",
        t=utc_text(datetime.now(timezone.utc) - timedelta(seconds=5)), i=rep_checkin)
    _, attempts, _, ref = wait_status(served, rep_checkin, "sent")
    assert attempts == 2 and ref.endswith("1700000000.000001")
    assert rep_checkin not in fake.nudge_ids_sent()
    assert fake.calls_to("conversations.history")


def test_a_dm_that_slack_keeps_refusing_is_queued_and_delivered_later(served, fake):
    mgr, rep = pair(fake)
    shared = lambda body: body.get("channel") == rep and "shared the plan" in json.dumps(body)  # noqa: E731
    fake.fail("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"}, times=3, match=shared)
    walk_talk(served, mgr, rep)
    deadline = time.monotonic() + 20
    queued = []
    while not queued and time.monotonic() < deadline:
        queued = sql(served, "SELECT n.id, n.payload FROM nudges n JOIN people p ON p.id = n.recipient_id "
                             "WHERE n.kind = 'message' AND p.platform_user_id = :r", r=rep)
        time.sleep(0.1)
    assert queued, "the failed DM was not queued"
    nudge_id, payload = queued[0]
    assert "shared the plan" not in payload  # queued text is encrypted like other notes
    deadline = time.monotonic() + 30
    while sql(served, "SELECT status FROM nudges WHERE id = :i", i=nudge_id)[0][0] != "sent":
        assert time.monotonic() < deadline, sql(served, "SELECT status, attempts, last_error FROM nudges WHERE id = :i",
                                                i=nudge_id)
        # each refusal backs off (30 s, then 60 s...): the test lets that time pass at once
        sql(served, "UPDATE nudges SET due_at = :t WHERE id = :i AND status = 'pending' AND attempts > 0",
            t=utc_text(datetime.now(timezone.utc) - timedelta(seconds=1)), i=nudge_id)
        time.sleep(0.2)
    assert sql(served, "SELECT attempts FROM nudges WHERE id = :i", i=nudge_id) == [(4,)]
    delivered = [c for c in fake.calls_to("chat.postMessage") if c.delivered and c.body.get("metadata", {}).get(
        "event_payload", {}).get("nudge_id") == nudge_id]
    assert len(delivered) == 1 and "shared the plan you agreed together" in json.dumps(delivered[0].body)


def press(served: Served, fake: FakeSlack, user: str, button: dict, *, action_id: str | None = None,
          message: dict | None = None):
    """Press a button on a nudge DM, as Slack posts it (with the message as it was sent: text escaped)."""
    rid = f"{user}-press-{next(_seq)}"
    reply = served.click(action_id or button["action_id"], button["value"], user=user, channel="D" + user[1:],
                         message_ts="1.1", message_text=(message or {}).get("text", ""),
                         message_blocks=(message or {}).get("blocks"), response_url=fake.response_url(rid))
    assert reply.status == 200
    return rid


def test_every_kind_of_nudge_is_accepted_by_slack_and_its_buttons_answer(served, fake):
    """The buttons of a check-in, a manager nudge and a pulse each have an action_id of their own (Slack
    refuses a block whose buttons share one), and each button still does what it says."""
    mgr, rep, (rep_checkin, mgr_checkin) = plan_with_due_checkins(served, fake)
    rep_id = sql(served, "SELECT id, workspace_id FROM people WHERE platform_user_id = :r", r=rep)[0]
    now = utc_text(datetime.now(timezone.utc) - timedelta(minutes=1))
    sql(served, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
                "payload, created_at) VALUES (:w, :r, 'pulse', :s, :k, :d, 'pending', 0, '{}', :d)",
        w=rep_id[1], r=rep_id[0], s=f"person:{rep_id[0]}", k=f"pulse:test:{rep_id[0]}", d=now)
    pulse = sql(served, "SELECT id FROM nudges WHERE dedupe_key = :k", k=f"pulse:test:{rep_id[0]}")[0][0]
    make_due(served, [rep_checkin, mgr_checkin])
    for nudge in (rep_checkin, mgr_checkin, pulse):
        assert wait_status(served, nudge, "sent")[1] == 1  # once, not failed after retries
    sent = {n: next(c for c in fake.calls_to("chat.postMessage") if c.delivered
                    and (c.body.get("metadata") or {}).get("event_payload", {}).get("nudge_id") == n)
            for n in (rep_checkin, mgr_checkin, pulse)}
    for call in sent.values():
        ids = [e["action_id"] for b in call.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert len(ids) == len(set(ids)) > 1
    buttons = sent[pulse].body["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["0", "1", "2", "3", "4", "5", "6 or more…"]
    rid = press(served, fake, rep, buttons[3])
    assert "Noted: 3 new opportunities" in flat(fake.wait_for_response(rid.split("-")[0], containing="Noted: 3"))
    snooze = next(b for b in sent[mgr_checkin].body["blocks"][-1]["elements"] if b["text"]["text"] == "Tomorrow")
    assert snooze["action_id"] == "nudge_snooze.tomorrow"
    press(served, fake, mgr, snooze)
    assert fake.wait_for_response(mgr, containing="Snoozed")
    assert sql(served, "SELECT o.count, o.source FROM opportunity_counts o JOIN people p ON p.id = o.person_id "
                       "WHERE p.platform_user_id = :r", r=rep) == [(3, "pulse")]
    # "6 or more…" opens a modal with a whole-number field (the double checks it as Slack does), and what is
    # typed there replaces the answer, through the same checks as a button
    trigger = fake.trigger()
    assert served.click(buttons[6]["action_id"], buttons[6]["value"], user=rep, channel="D" + rep[1:],
                        message_ts="1.1", trigger_id=trigger).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1])
    field = view["blocks"][-1]["element"]
    assert (field["type"], field["is_decimal_allowed"], field["min_value"], field["max_value"]) == \
        ("number_input", False, "0", "500")
    typed = lambda text: {"count": {"value": {"type": "number_input", "value": text}}}  # noqa: E731
    for wrong, why in (("501", "whole number from 0 to 500"), ("2.5", "whole number from 0 to 500"),
                       ("0" * 36 + "7", "whole number from 0 to 500"),  # too long to be a count, not cut to 0
                       ("", "Type the number")):
        reply = served.submit(view, typed(wrong), user=rep)
        assert reply.json()["response_action"] == "errors" and why in reply.json()["errors"]["count"], reply.text
    assert not fake.take_refusals()  # every acknowledgement and view was one Slack takes
    stranger = served.submit(view, typed("40"), user=mgr)  # the manager can't answer the rep's pulse
    assert "someone else's message" in stranger.json()["errors"]["count"]
    done = served.submit(view, typed("17"), user=rep)
    assert "Noted: 17 new opportunities" in flat(done.json()["view"])
    assert sql(served, "SELECT o.count FROM opportunity_counts o JOIN people p ON p.id = o.person_id "
                       "WHERE p.platform_user_id = :r", r=rep) == [(17,)]


def test_a_button_on_a_message_posted_before_ids_were_unique_still_works(served, fake):
    _, rep, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    press(served, fake, rep, {"action_id": "nudge_checkin", "value": f"{rep_checkin}:on_track"})
    assert fake.wait_for_response(rep, containing="noted: on track")


def test_the_message_a_button_replaces_keeps_its_text_as_written(served, fake):
    n = next(_seq)
    mgr, rep = f"U0AMP{n:04d}", f"U0AMR{n:04d}"
    fake.add_user(mgr, "Kim & <Co>", tz="UTC")
    fake.add_user(rep, "Lou Tran", tz="UTC")
    walk_talk(served, mgr, rep)
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == mgr)
    sql(served, "UPDATE people SET work_start = '00:00', work_end = '23:59', "
                "work_days = 'mon,tue,wed,thu,fri,sat,sun' WHERE platform_user_id = :r", r=rep)
    (nudge,) = [r[0] for r in sql(served, "SELECT n.id FROM nudges n JOIN people p ON p.id = n.recipient_id WHERE "
                                          "p.platform_user_id = :r AND n.dedupe_key LIKE '%:checkin:0:%'", r=rep)]
    make_due(served, [nudge])
    wait_status(served, nudge, "sent")
    sent = next(c for c in fake.calls_to("chat.postMessage") if c.delivered
                and (c.body.get("metadata") or {}).get("event_payload", {}).get("nudge_id") == nudge)
    assert seen_in({"text": sent.body["text"], "channel": rep}).shows("agreed with Kim & <Co>")
    press(served, fake, rep, sent.body["blocks"][-1]["elements"][0], message=sent.body)
    replaced = fake.wait_for_response(rep, containing="noted")[-1]
    shown = seen_in(replaced)
    assert shown.shows("agreed with Kim & <Co>") and "&amp;" not in shown.all and not shown.broadcasts
    assert not [b for b in replaced["blocks"] if b["type"] == "actions"]  # the buttons are gone, the words stay
    assert replaced["blocks"][:-1] == [b for b in sent.body["blocks"] if b["type"] != "actions"]


def test_an_install_missing_a_scope_fails_the_nudge_with_a_reason_the_admin_can_act_on(served, fake):
    _, _, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    fake.grant(fake.bot_token, manifest_scopes() - {"chat:write"})
    try:
        make_due(served, [rep_checkin])
        _, attempts, error, _ = wait_status(served, rep_checkin, "failed")
    finally:
        fake.scopes.pop(fake.bot_token)
    assert attempts == 1 and "chat:write" in error and "re-install coachbot" in error
    assert {r[1] for r in fake.take_refusals()} == {"missing_scope"}
