"""Privacy through signed Slack requests to a real `coachbot serve`: a plan the manager kept to themselves
is read by its rep nowhere — not in `/coach plans`, not on the Home tab, not in a DM."""
from __future__ import annotations

import time

import pytest

from tests.bot.slack.test_slack_serve import walk_talk
from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import eventually, flat, new_person as person, query as rows

SECRET = "Ringfenced4417"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    yield f
    f.stop()


def test_a_rep_reads_a_kept_plan_nowhere_and_the_manager_sees_it(served, fake):
    mgr, rep = person(fake, "Rosa Vale"), person(fake, "Tom Reed")
    walk_talk(served, mgr, rep, share="no", plan=f"call the {SECRET} accounts by Friday\nme: join two calls in 2 weeks")
    assert rows(served, "SELECT shared_with_rep FROM conversations c JOIN people r ON r.id = c.rep_id "
                        "WHERE r.platform_user_id = :r", r=rep) in ([(False,)], [(0,)])
    seen = fake.responses_for(rep)
    assert served.command("plans", user=rep).status == 200
    listed = flat(fake.wait_for_response(rep, count=seen + 1)[-1])
    attempted("a rep reading a kept plan with /coach plans (Slack)", SECRET not in listed)
    assert SECRET not in listed

    mine = lambda c: c.body.get("user_id") == rep  # noqa: E731
    before = len([c for c in fake.calls_to("views.publish") if mine(c)])
    opened = served.event({"type": "app_home_opened", "user": rep, "channel": "D0TOM", "tab": "home",
                           "event_ts": str(time.time())})
    assert opened.status == 200
    home = flat(fake.wait_for("views.publish", count=before + 1, where=mine)[-1].body["view"])
    attempted("a rep reading a kept plan on their Home tab (Slack)", SECRET not in home)
    assert SECRET not in home and "Rosa Vale" not in home

    time.sleep(0.5)  # anything the finished talk was going to DM has gone out by now
    to_rep = " ".join(flat(c.body) for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == rep)
    assert SECRET not in to_rep

    seen = fake.responses_for(mgr)
    served.command("plans", user=mgr)
    assert SECRET in flat(fake.wait_for_response(mgr, count=seen + 1)[-1])  # the manager's own plan



def seal_a_draft_with_another_key(served, user: str) -> None:
    """An unfinished talk of `user`'s, stored by a server that held another key (a rotation gone wrong)."""
    import uuid
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, insert, select

    from storage.crypto import NotesCipher
    from storage.db import sync_url
    from storage.models import FlowSession, Person

    engine = create_engine(sync_url(served.database_url))
    try:
        with engine.begin() as conn:
            me = conn.execute(select(Person).where(Person.platform_user_id == user)).one()
            now = datetime.now(timezone.utc)
            conn.execute(insert(FlowSession).values(
                id=str(uuid.uuid4()), workspace_id=me.workspace_id, user_id=me.id, flow="talk", step="observed",
                status="active", version=1, created_at=now, updated_at=now,
                state_encrypted=NotesCipher(NotesCipher.generate_key()).encrypt({"flow": "talk", "step": "observed"})))
    finally:
        engine.dispose()


def test_a_home_tab_whose_notes_our_keys_cannot_open_says_so_without_claiming_an_outage(served, fake):
    mgr = person(fake, "Una Sealed")
    assert served.command("settings tz Europe/Berlin", user=mgr).status == 200  # met: stored as a person
    eventually(lambda: rows(served, "SELECT id FROM people WHERE platform_user_id = :u", u=mgr))
    seal_a_draft_with_another_key(served, mgr)
    mine = lambda c: c.body.get("user_id") == mgr  # noqa: E731
    for n in (1, 2):
        opened = served.event({"type": "app_home_opened", "user": mgr, "channel": "D0UNA", "tab": "home",
                               "event_ts": str(time.time())})
        assert opened.status == 200
        home = flat(fake.wait_for("views.publish", count=n, where=mine)[-1].body["view"])
        assert "notes can't be read right now" in home and "encryption key" in home, home
        assert not any(w in home.lower() for w in ("database", "outage", "unavailable")), home
    trigger = fake.trigger()
    assert served.click("home_show_all", "1", user=mgr, trigger_id=trigger).status == 200  # *Show all*: the same
    shown = flat(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1].body["view"])
    assert "notes can't be read right now" in shown, shown
    log = served.output()
    assert log.count("home tab: stored notes don't open") == 1, log[-2000:]  # once, however often it is opened
    assert served.key not in log
