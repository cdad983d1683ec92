"""The message budget on Slack, through a real `coachbot serve` and the strict Slack double: a rep's check-in
and pipeline pulse due together arrive as one DM that Slack accepts, and a re-send after a crash finds it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.slack.test_slack_nudges import make_due, plan_with_due_checkins, press
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, flat, query as sql, utc_text, wait_status


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("budget"), extra_env={"COACHBOT_TICK_SECONDS": "0.3"})
    yield s
    s.stop()


def checkin_and_pulse(served: Served, fake: FakeSlack) -> tuple[str, int, int]:
    """A rep whose first check-in and a pipeline pulse are both due now (people at work around the clock)."""
    _, rep, (rep_checkin, _) = plan_with_due_checkins(served, fake)
    person, space = sql(served, "SELECT id, workspace_id FROM people WHERE platform_user_id = :r", r=rep)[0]
    later = utc_text(datetime.now(timezone.utc) + timedelta(days=30))
    sql(served, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
                "payload, created_at) VALUES (:w, :r, 'pulse', :s, :k, :d, 'pending', 0, '{}', :d)",
        w=space, r=person, s=f"person:{person}", k=f"pulse:budget:{person}", d=later)
    pulse = sql(served, "SELECT id FROM nudges WHERE dedupe_key = :k", k=f"pulse:budget:{person}")[0][0]
    return rep, rep_checkin, pulse


def merged_calls(fake: FakeSlack, nudge_id: int) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.delivered
            and str(nudge_id) in str(((c.body.get("metadata") or {}).get("event_payload") or {}).get("nudge_ids", "")
                                     ).split(",")]


def test_a_checkin_and_a_pulse_due_together_are_one_dm_slack_accepts_and_both_buttons_work(served, fake):
    rep, checkin, pulse = checkin_and_pulse(served, fake)
    fake.take_refusals()
    make_due(served, [checkin, pulse])
    (_, _, _, ref_a), (_, _, _, ref_b) = wait_status(served, checkin, "sent"), wait_status(served, pulse, "sent")
    assert ref_a == ref_b
    (call,) = merged_calls(fake, pulse)
    assert call.body["metadata"]["event_payload"] == {"nudge_id": checkin, "nudge_ids": f"{checkin},{pulse}"}
    ids = [e["action_id"] for b in call.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids)) == 3 + 7  # the check-in's three answers and the pulse's 0-5 and "6 or more…"
    assert not fake.take_refusals()  # blocks, ids and metadata as Slack takes them
    buttons = {e["text"]["text"]: e for b in call.body["blocks"] if b["type"] == "actions" for e in b["elements"]}
    rid = press(served, fake, rep, buttons["4"], message=call.body)
    answer = next(r for r in fake.wait_for_response(rid.split("-")[0], containing="Noted: 4") if "Noted: 4" in flat(r))
    # only the pulse's buttons went: the check-in above it is still to be answered
    left = [e["text"]["text"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert left == ["On track", "Could use a hand", "Stuck"], left
    rid = press(served, fake, rep, buttons["On track"], message=call.body)
    assert fake.wait_for_response(rid.split("-")[0], containing="on track")


def test_a_merged_dm_cut_off_by_a_crash_is_found_by_any_of_its_items_and_not_sent_twice(served, fake):
    rep, checkin, pulse = checkin_and_pulse(served, fake)
    # A replica died after Slack took the merged message but before it could record it.
    fake.history.setdefault("D" + rep[1:], []).append(
        {"type": "message", "ts": "1700000000.000777", "text": "Two things for you today:",
         "metadata": {"event_type": "coachbot_nudge", "event_payload": {"nudge_id": checkin,
                                                                         "nudge_ids": f"{checkin},{pulse}"}}})
    sql(served, "UPDATE nudges SET status = 'sending', attempts = 1, lease_owner = 'dead-replica', "
                "lease_expires_at = :t, due_at = :t WHERE id IN (:a, :b)",
        t=utc_text(datetime.now(timezone.utc) - timedelta(seconds=5)), a=checkin, b=pulse)
    for nudge in (checkin, pulse):
        _, attempts, _, ref = wait_status(served, nudge, "sent")
        assert attempts == 2 and ref.endswith("1700000000.000777")
    assert not merged_calls(fake, pulse) and checkin not in fake.nudge_ids_sent()


def test_a_merged_message_of_long_items_keeps_within_slacks_fifty_blocks_and_says_what_did_not_fit():
    """Slack takes at most 50 blocks a message (docs.slack.dev/reference/block-kit/blocks): four digests of
    40 lines each share them, every item keeps its text and buttons, and each says how much it left out."""
    from bot.core.views import NudgeMessage, merge
    from bot.slack.blocks import nudge_message

    long = [NudgeMessage(i, "digest", f"Digest {i}", (("nudge_snooze.tomorrow", "Tomorrow", f"{i}:tomorrow"),),
                         tuple(f"{n}. Rep {n} — on a plan, {'x' * 2000}" for n in range(40))) for i in range(1, 5)]
    out = nudge_message(merge(long))
    assert len(out["blocks"]) <= 50
    ids = [e["action_id"] for b in out["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids)) == 4
    shown = str(out["blocks"])
    assert all(f"Digest {i}" in shown for i in range(1, 5)) and shown.count("didn't fit in this message") == 4
