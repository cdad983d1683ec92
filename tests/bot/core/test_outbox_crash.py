"""The outbox across a crash: a real `coachbot serve` is SIGKILLed right after a flow's finishing step is
acknowledged, or while its message is on the way to Slack, then started again on the same database.
Every message the finished flow owes reaches Slack exactly once: the DMs, and a retrospective's reply in
its deal channel's thread."""
from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from storage.crypto import NotesCipher
from tests.support import slack_requests as sr
from tests.support.fakes.slack_api import FakeSlack
from tests.bot.slack.test_slack_retro import walk_retro
from tests.support.served import Served, eventually, flat, new_person, query

FAST = {"COACHBOT_TICK_SECONDS": "0.5", "COACHBOT_LEASE_SECONDS": "3"}
DEALS = "C0DEALS"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    yield f
    f.stop()


def serve(fake: FakeSlack, workdir, url: str, key: str) -> Served:
    workdir.mkdir(exist_ok=True)
    return Served(fake, workdir, database_url=url, extra_env={"COACHBOT_ENCRYPTION_KEY": key, **FAST})


def kill(served: Served) -> None:
    """SIGKILL: no shutdown, no flush, whatever was in flight is cut off."""
    served.proc.kill()
    served.proc.wait(10)
    served.log.close()


def reports_to(served: Served, rep: str, manager: str) -> None:
    """Both people known to coachbot, the rep reporting to the manager (as a confirmed line would be)."""
    for uid in (manager, rep):
        assert served.command("plans", user=uid).status == 200
    known = "SELECT count(*) FROM people WHERE platform_user_id IN (:m, :r)"
    assert eventually(lambda: query(served, known, m=manager, r=rep)[0][0] == 2)
    assert query(served, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
                         "WHERE platform_user_id = :r", m=manager, r=rep) == 1


def submit_all(served: Served, view: dict, steps, user: str) -> dict:
    """Submit each step of a modal flow; the last acknowledgement (the finishing step's)."""
    body = {}
    for step_id, values in steps:
        assert json.loads(view["private_metadata"])["step"] == step_id, view["private_metadata"]
        body = served.submit(view, values, user=user).json()
        if body.get("response_action") == "update" and \
                json.loads(body["view"].get("private_metadata") or "{}").get("step") == step_id:
            body = served.submit(body["view"], values, user=user).json()  # a hint, kept
        assert body.get("response_action") == "update", body
        view = body["view"]
    return body


def finish_talk(served: Served, manager: str, rep: str) -> dict:
    view = served.open_modal(f"talk <@{rep}>", user=manager)
    review = (date.today() + timedelta(days=21)).isoformat()
    return submit_all(served, view, [
        ("raised_before", sr.radio_answer("no")),
        ("observed", sr.text_answer("In October you booked 2 demos; the target is 8.")),
        ("own_part", sr.text_answer("I haven't joined one of your calls since September.")),
        ("listen", {}),
        ("rep_view", sr.text_answer("My leads moved to the new team in September.")),
        ("options", sr.text_answer("Prospecting campaign\nShadow discovery calls")),
        ("plan", sr.text_answer("book 5 discovery calls by Friday\nme: join two calls in 2 weeks")),
        ("review", sr.date_answer(review)),
        ("share", sr.radio_answer("yes")),
    ], manager)


def finish_checkin(served: Served, manager: str, rep: str) -> dict:
    view = served.open_modal("checkin", user=rep)
    return submit_all(served, view, [("status", sr.radio_answer("stuck")),
                                     ("note", sr.text_answer("The Acme contact left"))], rep)


def finish_retro(served: Served, manager: str, rep: str) -> dict:
    served.fake.join(DEALS)
    assert served.command("lost Globex renewal 12k", user=rep, channel=DEALS).status == 200
    prompt = "SELECT message_ts FROM retrospectives WHERE channel_id = :c"  # remembered once Slack answered
    assert eventually(lambda: query(served, prompt, c=DEALS) and query(served, prompt, c=DEALS)[0][0])
    return walk_retro(served, rep, served.open_modal("retro", user=rep))


# flow: (finish it, the messages it owes: (whose, the channel it is posted in (None: their DM), words it carries))
FLOWS = {
    "talk shared with the rep": (finish_talk, [("rep", None, "shared the plan you agreed together")]),
    "stuck check-in": (finish_checkin, [("manager", None, "checked in: stuck")]),
    "retrospective": (finish_retro, [("manager", None, "Loss retrospective: Globex renewal — summary"),
                                     ("rep", DEALS, "finished the retrospective on Globex renewal")]),
}
MOMENTS = ["after the acknowledgement", "while the message is on its way"]
# A thread reply cut off by the kill is found again with conversations.replies (channels:history).
CASES = [pytest.param(flow, moment) for flow in FLOWS for moment in MOMENTS]


def posts(fake: FakeSlack, where: str, words: str, thread: str | None = None) -> list:
    """The posts that reached `where` (a person's DM, or a channel's `thread`) carrying `words` (a post
    Slack refused delivered nothing)."""
    return [c for c in fake.calls_to("chat.postMessage")
            if c.delivered and c.body.get("channel") == where and words in flat(c.body)
            and c.body.get("thread_ts") == thread]


def thread_of(served: Served, channel: str | None) -> str | None:
    """The thread of the newest retrospective prompted in `channel` (None for a DM)."""
    return query(served, "SELECT message_ts FROM retrospectives WHERE channel_id = :c ORDER BY id DESC",
                 c=channel)[0][0] if channel else None


def outbox(served: Served, user: str) -> list:
    return query(served, "SELECT n.status, n.attempts FROM nudges n JOIN people p ON p.id = n.recipient_id "
                         "WHERE p.platform_user_id = :u AND n.kind = 'message'", u=user)


@pytest.mark.parametrize(("flow", "moment"), CASES)
def test_a_kill_after_a_finishing_step_loses_no_message_and_sends_none_twice(fake, db_url, tmp_path, flow, moment):
    finish, owed = FLOWS[flow]
    people = {"manager": new_person(fake, "Ada Manager"), "rep": new_person(fake, "Ben Rep")}
    key = NotesCipher.generate_key()
    first = serve(fake, tmp_path / "first", db_url, key)
    threads: dict[str | None, str | None] = {None: None}
    try:
        reports_to(first, people["rep"], people["manager"])
        if moment == "while the message is on its way":
            fake.slow("chat.postMessage", 2.0)  # Slack takes it, but answers after the server is gone
        done = finish(first, people["manager"], people["rep"])
        assert "summary" in flat(done["view"]).lower()
        # The channel is shared by the tests; this retrospective's thread is not.
        threads.update({channel: thread_of(first, channel) for _, channel, _ in owed if channel})
        if moment == "while the message is on its way":
            for to, channel, words in owed:
                fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == (channel or people[to])
                              and words in flat(c.body) and c.body.get("thread_ts") == threads[channel])
        kill(first)
    finally:
        if first.proc.poll() is None:
            first.stop()
        fake.slow("chat.postMessage", 0)
    fake.settle(quiet=0.5, timeout=10)  # a post held when the server died lands (or not) now
    second = serve(fake, tmp_path / "second", db_url, key)
    try:
        for to, _, _ in owed:
            recipient = people[to]
            assert eventually(lambda: outbox(second, recipient) and outbox(second, recipient)[0][0] == "sent",
                              timeout=30), outbox(second, recipient)
        time.sleep(1.5)  # several ticks more: a second copy would have gone out by now
        for to, channel, words in owed:
            where, thread = channel or people[to], threads[channel]
            assert len(posts(fake, where, words, thread)) == 1, [c.body for c in posts(fake, where, words, thread)]
            assert len(outbox(second, people[to])) == 1
            if moment == "while the message is on its way":  # taken again after the kill, found in the history
                assert outbox(second, people[to])[0] == ("sent", 2)
    finally:
        second.stop()


