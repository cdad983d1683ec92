"""A notes key that cannot read what is stored: `serve` refuses to start with it, a replica that meets
rows written with another key says so on /readyz, and a step it cannot read changes nothing."""
from __future__ import annotations

import json
import subprocess

import pytest

from storage.crypto import NotesCipher
from tests.support import evidence
from tests.support import slack_requests as sr
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import COACHBOT, Served, eventually, flat, new_person, query, sanitized_env


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    yield f
    f.stop()


def serve(fake, workdir, url: str, key: str, **env) -> Served:
    workdir.mkdir(exist_ok=True)
    return Served(fake, workdir, database_url=url, extra_env={"COACHBOT_ENCRYPTION_KEY": key, **env})


def begin_talk(served: Served, manager: str, rep: str) -> dict:
    """Open a talk and answer its first two steps: a draft stored under the server's key."""
    view = served.open_modal(f"talk <@{rep}>", user=manager)
    view = served.submit(view, sr.radio_answer("no"), user=manager).json()["view"]
    return served.submit(view, sr.text_answer("In October you booked 2 demos; the target is 8."),
                         user=manager).json()["view"]


def stored_drafts(served: Served) -> list:
    return query(served, "SELECT id, version, state_encrypted FROM flow_sessions ORDER BY id")


def test_serve_with_a_key_that_cannot_read_the_notes_stops_at_start_saying_why(fake, db_url, tmp_path):
    right, wrong = NotesCipher.generate_key(), NotesCipher.generate_key()
    first = serve(fake, tmp_path / "first", db_url, right)
    try:
        begin_talk(first, new_person(fake, "Ada Manager"), new_person(fake, "Ben Rep"))
        assert eventually(lambda: stored_drafts(first))
    finally:
        first.stop()
    env = sanitized_env() | {"DATABASE_URL": db_url, "COACHBOT_ENCRYPTION_KEY": wrong,
                             "COACHBOT_PREVIOUS_KEYS": NotesCipher.generate_key(),
                             "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET, "SLACK_BOT_TOKEN": fake.bot_token,
                             "SLACK_API_URL": fake.api_url}
    done = subprocess.run([str(COACHBOT), "serve", "--port", "0"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    evidence.attempted("serve with a key that cannot read the stored notes", refused=done.returncode != 0)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert "COACHBOT_ENCRYPTION_KEY cannot read the stored notes" in said and "flow_sessions" in said
    assert wrong not in said and right not in said and env["COACHBOT_PREVIOUS_KEYS"] not in said
    assert "coachbot serving" not in said
    # the old key kept as a previous one (a rotation) reads them: it starts
    rotated = serve(fake, tmp_path / "rotated", db_url, wrong, COACHBOT_PREVIOUS_KEYS=right)
    try:
        assert rotated.get("/readyz").status == 200
    finally:
        rotated.stop()


def test_a_replica_started_with_another_key_turns_unready_and_changes_no_draft(fake, db_url, tmp_path):
    manager, rep = new_person(fake, "Cleo Manager"), new_person(fake, "Dev Rep")
    ours = serve(fake, tmp_path / "ours", db_url, NotesCipher.generate_key(), COACHBOT_KEY_CHECK_SECONDS="0.3")
    # started while nothing was stored yet, so its start-up check had nothing to refuse
    other = serve(fake, tmp_path / "other", db_url, NotesCipher.generate_key(), COACHBOT_KEY_CHECK_SECONDS="0.3")
    try:
        assert other.get("/readyz").status == 200
        view = begin_talk(ours, manager, rep)
        before = stored_drafts(ours)
        assert len(before) == 1
        ready = eventually(lambda: (r := other.get("/readyz")).status == 503 and r, timeout=15)
        assert ready, other.get("/readyz")
        problem = ready.json()["problem"]
        assert "cannot read the stored notes" in problem and "flow_sessions" in problem
        assert ours.get("/readyz").status == 200
        # a step sent to the replica that can't read it: refused in plain words, the draft untouched
        reply = other.submit(view, sr.text_answer("I haven't joined one of your calls."), user=manager)
        evidence.attempted("a flow step on a replica whose key cannot read the draft",
                           refused=stored_drafts(ours) == before)
        assert reply.status == 200
        assert "encryption key" in flat(reply.text) and "nothing was changed" in flat(reply.text)
        assert stored_drafts(ours) == before
        again = ours.submit(view, sr.text_answer("I haven't joined one of your calls."), user=manager).json()
        assert again["response_action"] == "update"
        assert json.loads(again["view"]["private_metadata"])["step"] == "listen"
    finally:
        other.stop()
        ours.stop()
