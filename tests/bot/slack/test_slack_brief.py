"""The talk's brief in Slack: signed requests to a real `coachbot serve`, the strict Slack double checking
every view. The brief is in the first modal, the step-1 input starts with the draft, step 2 names the
manager's late commitment, typed text is escaped, and a long brief says how much it leaves out."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from storage.crypto import NotesCipher
from storage.db import Database
from tests.support import slack_requests as sr
from tests.support.brief_seed import seed_record
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, flat

SAM, ALEX, BEN, JO = "U0SAM", "U0ALEX", "U0BEN", "U0JO"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    for uid, name in ((SAM, "Sam"), (ALEX, "Alex"), (BEN, "Ben"), (JO, "Jo")):
        f.add_user(uid, name, tz="UTC")
    yield f
    f.stop()


def seed(served: Served, fake: FakeSlack, rep: tuple[str, str], **kw) -> dict:
    async def run() -> dict:
        db = Database(served.database_url)
        try:
            return await seed_record(db, NotesCipher(served.key), platform="slack", team=fake.team_id,
                                     manager=(SAM, "Sam"), rep=rep, today=datetime.now(timezone.utc).date(), **kw)
        finally:
            await db.close()
    return asyncio.run(run())


def words(view: dict) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b.get("type") == "section")


def test_the_brief_the_draft_and_the_late_commitment_in_slack_modals(served, fake):
    seeded = seed(served, fake, (ALEX, "Alex"))
    view = served.open_modal(f"talk <@{ALEX}>", user=SAM)
    text = words(view)
    assert "*New opportunities*" in text and ": 4, 2, 1, 0 (from the rep" in text
    assert "“Acme &lt;Corp&gt; &amp; *Co*” — Price (buyer confirmed)" in text  # escaped: no mention, no link
    assert "“Globex” — Timing (our read)" in text and "*Last plan with Alex*" in text

    step1 = served.submit(view, sr.radio_answer("no"), user=SAM).json()["view"]
    assert json.loads(step1["private_metadata"])["step"] == "observed"
    box = next(b for b in step1["blocks"] if b.get("block_id") == "answer")["element"]
    draft = box["initial_value"]
    assert "your new opportunities were 4, 2, 1 and 0" in draft and "Acme <Corp> & *Co*" in draft
    assert "*A start from the facts*" in words(step1)

    own = served.submit(step1, sr.text_answer(draft), user=SAM).json()["view"]
    assert json.loads(own["private_metadata"])["step"] == "own_part"  # the draft drew no hint
    due, done = seeded["manager_due"], seeded["manager_done"]
    assert f"“weekly pipeline review” due {due.day} {due:%b %Y}, done {done.day} {done:%b %Y}" in words(own)
    fake.settle()
    assert not fake.take_refusals()


def test_a_long_brief_fits_the_modal_and_says_how_much_is_left_out(served, fake):
    seed(served, fake, (JO, "Jo"), more_losses=40)
    view = served.open_modal(f"talk <@{JO}>", user=SAM)
    text = words(view)
    assert "more not shown." in text and "&lt;Long deal name &amp; more" in text
    assert len(view["blocks"]) <= 100 and all(len(b["text"]["text"]) <= 3000 for b in view["blocks"]
                                              if b.get("type") == "section")
    step1 = served.submit(view, sr.radio_answer("no"), user=SAM).json()["view"]
    draft = next(b for b in step1["blocks"] if b.get("block_id") == "answer")["element"]["initial_value"]
    assert len(draft) <= 3000 and "more deals were lost between" in draft
    fake.settle()
    assert not fake.take_refusals()


def test_a_pending_manager_sees_no_facts_in_slack(served, fake):
    seed(served, fake, (BEN, "Ben"), confirmed=False)
    view = served.open_modal(f"talk <@{BEN}>", user=SAM)
    shown = flat(view)
    assert "Once Ben accepts" in shown
    for fact in ("Acme", "Globex", "pipeline review", "New opportunities"):
        assert fact not in shown
    step1 = served.submit(view, sr.radio_answer("no"), user=SAM).json()["view"]
    assert "initial_value" not in next(b for b in step1["blocks"] if b.get("block_id") == "answer")["element"]
