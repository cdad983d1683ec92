"""The outbox across a crash: a real `coachbot serve` is SIGKILLed right after a flow's finishing step is
acknowledged, or while its message is on the way to Slack, then started again on the same database.
Every message the finished flow owes reaches Slack exactly once."""
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
    served.fake.join("C0DEALS")
    assert served.command("lost Globex renewal 12k", user=rep, channel="C0DEALS").status == 200
    assert eventually(lambda: query(served, "SELECT count(*) FROM retrospectives")[0][0] == 1)
    return walk_retro(served, rep, served.open_modal("retro", user=rep))


# flow: (finish it, who receives the message, words it carries)
FLOWS = {
    "talk shared with the rep": (finish_talk, "rep", "shared the plan you agreed together"),
    "stuck check-in": (finish_checkin, "manager", "checked in: stuck"),
    "retrospective summary": (finish_retro, "manager", "Loss retrospective: Globex renewal — summary"),
}


def posts(fake: FakeSlack, user: str, words: str) -> list:
    """The DMs that reached `user` carrying `words` (a post Slack refused delivered nothing)."""
    return [c for c in fake.calls_to("chat.postMessage")
            if c.delivered and c.body.get("channel") == user and words in flat(c.body)]


def outbox(served: Served, user: str) -> list:
    return query(served, "SELECT n.status, n.attempts FROM nudges n JOIN people p ON p.id = n.recipient_id "
                         "WHERE p.platform_user_id = :u AND n.kind = 'message'", u=user)


@pytest.mark.parametrize("flow", list(FLOWS))
@pytest.mark.parametrize("moment", ["after the acknowledgement", "while the message is on its way"])
def test_a_kill_after_a_finishing_step_loses_no_message_and_sends_none_twice(fake, db_url, tmp_path, flow, moment):
    finish, to, words = FLOWS[flow]
    people = {"manager": new_person(fake, "Ada Manager"), "rep": new_person(fake, "Ben Rep")}
    recipient = people[to]
    key = NotesCipher.generate_key()
    first = serve(fake, tmp_path / "first", db_url, key)
    try:
        reports_to(first, people["rep"], people["manager"])
        if moment == "while the message is on its way":
            fake.slow("chat.postMessage", 2.0)  # Slack takes it, but answers after the server is gone
        done = finish(first, people["manager"], people["rep"])
        assert "summary" in flat(done["view"]).lower()
        if moment == "while the message is on its way":
            fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == recipient and words in flat(c.body))
        kill(first)
    finally:
        if first.proc.poll() is None:
            first.stop()
        fake.slow("chat.postMessage", 0)
    fake.settle(quiet=0.5, timeout=10)  # a post held when the server died lands (or not) now
    second = serve(fake, tmp_path / "second", db_url, key)
    try:
        assert eventually(lambda: outbox(second, recipient) and outbox(second, recipient)[0][0] == "sent", timeout=30), \
            outbox(second, recipient)
        time.sleep(1.5)  # several ticks more: a second copy would have gone out by now
        assert len(posts(fake, recipient, words)) == 1, [c.body for c in posts(fake, recipient, words)]
        assert len(outbox(second, recipient)) == 1
        if moment == "while the message is on its way":  # taken again after the kill, found in the DM history
            assert outbox(second, recipient)[0] == ("sent", 2)
    finally:
        second.stop()
