"""A CRM's lost deal through the signed webhook: the rep's prompt is stored with the retrospective and the
dispatcher posts it in the deal channel (or the rep's DM) through the strict Slack double — retried when
Slack fails, found again after a crash, never posted twice, and its thread is where the summary goes."""
from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from tests.bot.slack.test_slack_retro import walk_retro
from tests.bot.test_webhooks import SECRET, deal, post_generic
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, eventually, flat, query as sql, scalar, utc_text, wait_status

CHANNEL = "C0LOSTDEALS"  # coachbot was invited here
OUTSIDE = "C0NOTINVITED"  # and not here
ENV = {"CRM_WEBHOOK_SECRET": SECRET, "COACHBOT_TICK_SECONDS": "0.3"}
_ids = count(1)


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.join(CHANNEL)
    yield f
    f.stop()


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("loss-prompt"), extra_env=ENV)
    yield s
    s.stop()


def rep(fake: FakeSlack) -> tuple[str, str]:
    """A new rep of the workspace: their Slack id and the email the CRM knows them by."""
    n = next(_ids)
    uid, email = f"U0LOSS{n:04d}", f"rep{n}@acme.example"
    fake.add_user(uid, f"Rep Number{n}", tz="UTC", email=email)
    return uid, email


def lost(served: Served, email: str, deal_id: str, channel: str = CHANNEL) -> tuple[dict, int]:
    """Report a lost deal as the CRM does; its answer and the id of the prompt's row in the outbox."""
    reply = post_generic(served, json.dumps({**deal(deal_id), "owner_email": email, "channel": channel}).encode())
    assert reply.status == 201, reply.text
    answer = reply.json()
    return answer, scalar(served, "SELECT id FROM nudges WHERE dedupe_key = :k", k=f"loss:{answer['retrospective']}")


def prompts(fake: FakeSlack, nudge: int, deal_id: str) -> list:
    """The prompts of this deal Slack took for this row (a refused or failed call delivered nothing; another
    database of the module's may number its rows the same)."""
    return [c for c in fake.calls_to("chat.postMessage") if c.delivered and FakeSlack.for_nudge(nudge)(c.body)
            and f"Deal {deal_id}" in flat(c.body)]


def recorded(served: Served, retro: int) -> tuple:
    return tuple(sql(served, "SELECT channel_id, message_ts FROM retrospectives WHERE id = :i", i=retro)[0])


def test_the_prompt_is_posted_in_the_deal_channel_and_the_summary_goes_into_its_thread(served, fake):
    uid, email = rep(fake)
    answer, nudge = lost(served, email, "L-1")
    assert answer["prompt"] == {"status": "queued", "channel": CHANNEL, "rep": uid}
    _, attempts, _, ref = wait_status(served, nudge, "sent")
    (post,) = prompts(fake, nudge, "L-1")
    assert attempts == 1 and post.body["channel"] == CHANNEL and f"<@{uid}>" in flat(post.body)
    assert "*Deal L-1* (12,000) was lost" in flat(post.body)
    (button,) = [e for b in post.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == "retro_start" and button["value"] == str(answer["retrospective"])
    ts = post.answer["ts"]
    assert ref == f"{CHANNEL}:{ts}"
    assert eventually(lambda: recorded(served, answer["retrospective"]) == (CHANNEL, ts))

    trig = fake.trigger()
    assert served.click("retro_start", button["value"], user=uid, channel=CHANNEL, message_ts=ts,
                        trigger_id=trig).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
    walk_retro(served, uid, view, share="channel")
    reply = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("thread_ts") == ts)[-1]
    assert reply.body["channel"] == CHANNEL and "lost mainly on price" in flat(reply.body)


def test_a_slack_failure_is_answered_201_and_the_prompt_arrives_once_on_the_retry(served, fake):
    uid, email = rep(fake)
    fake.fail("chat.postMessage", 503, {"ok": False, "error": "service_unavailable"},
              match=lambda body: "Deal L-2" in flat(body))
    answer, nudge = lost(served, email, "L-2")  # the CRM hears at once, whatever Slack does
    deadline = time.monotonic() + 15
    while (row := sql(served, "SELECT status, attempts, last_error FROM nudges WHERE id = :i", i=nudge)[0]) and \
            not (row[0] == "pending" and row[1] == 1) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert row[0] == "pending" and row[1] == 1 and "service_unavailable" in row[2]  # backing off, not dropped
    looked = len(fake.calls_to("conversations.history"))
    sql(served, "UPDATE nudges SET due_at = :d WHERE id = :i", i=nudge,
        d=utc_text(datetime.now(timezone.utc) - timedelta(seconds=1)))  # the back-off has passed
    _, attempts, _, ref = wait_status(served, nudge, "sent")
    assert attempts == 2 and len(prompts(fake, nudge, "L-2")) == 1  # a 5xx may have posted: looked before posting again
    assert len(fake.calls_to("conversations.history")) > looked
    assert recorded(served, answer["retrospective"]) == tuple(ref.rsplit(":", 1))


def test_without_a_place_in_the_channel_the_rep_gets_the_prompt_in_their_dm(served, fake):
    uid, email = rep(fake)
    answer, nudge = lost(served, email, "L-3", channel=OUTSIDE)
    _, attempts, _, ref = wait_status(served, nudge, "sent")
    assert [r[1] for r in fake.take_refusals()] == ["not_in_channel"]
    (post,) = prompts(fake, nudge, "L-3")
    assert attempts == 1 and post.body["channel"] == uid and "retro_start" in flat(post.body)
    dm = "D" + uid[1:]
    assert ref == f"{dm}:{post.answer['ts']}"
    assert eventually(lambda: recorded(served, answer["retrospective"]) == (dm, post.answer["ts"]))


def test_a_crash_while_slack_takes_the_prompt_leaves_it_posted_once(fake, tmp_path):
    uid, email = rep(fake)
    env = {**ENV, "COACHBOT_LEASE_SECONDS": "2"}
    doomed = Served(fake, tmp_path, extra_env=env)
    fake.slow("chat.postMessage", 2.0)  # Slack takes it, but answers after the process is gone
    try:
        answer, nudge = lost(doomed, email, "L-4")
        fake.wait_for("chat.postMessage", where=lambda c: "Deal L-4" in flat(c.body))
        os.kill(doomed.proc.pid, signal.SIGKILL)
        doomed.proc.wait(10)
    finally:
        fake.slow("chat.postMessage", 0)
        doomed.stop()
    (call,) = [c for c in fake.calls_to("chat.postMessage") if "Deal L-4" in flat(c.body)]
    assert eventually(lambda: call.answer) and call.delivered  # posted, and nobody recorded it
    assert sql(doomed, "SELECT status FROM nudges WHERE id = :i", i=nudge) == [("sending",)]
    survivor = Served(fake, tmp_path, extra_env=env)
    try:
        _, attempts, reason, ref = wait_status(survivor, nudge, "sent", timeout=30)
        assert attempts == 2 and ref == f"{CHANNEL}:{call.answer['ts']}"  # found in the channel's history
        assert len(prompts(fake, nudge, "L-4")) == 1
        assert eventually(lambda: recorded(survivor, answer["retrospective"]) == (CHANNEL, call.answer["ts"]))
    finally:
        survivor.stop()
