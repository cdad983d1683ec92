"""Every button checks what it names, attacked through signed Slack requests against a real `coachbot serve`.

A button's value comes back from the client and is untrusted. Two installed workspaces hold the
same shape of data; a presser who is entitled to each button (a rep for a check-in, a manager for a
plan) tries it with another person's subject, a subject of another kind and a subject from the
other workspace. Each press is refused with a reason, and nothing is written.
"""
from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta, timezone
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import create_engine, insert, select

from bot.core.buttons import NOT_YOURS
from storage.crypto import NotesCipher
from storage.db import sync_url
from storage.models import ActionItem, Conversation, FollowUp, Nudge, Person, SignalFlag
from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack
from tests.support.nudge_seed import slack_workspace
from tests.support.served import Served, eventually, query

# Who may press each button, and the kind of subject it acts on.
BUTTONS = {
    "nudge_checkin": ("rep", "checkin_rep", "stuck"),
    "nudge_snooze": ("rep", "checkin_rep", "tomorrow"),
    "pulse": ("rep", "pulse", "3-5"),
    "nudge_checked_in": ("manager", "checkin_manager", ""),
    "nudge_send_checkin": ("manager", "checkin_manager", ""),
    "item_done": ("rep", "item", ""),
    "followup_done": ("rep", "followup", ""),
    "plan_close": ("manager", "plan", ""),
    "line_accept": ("rep", "line_invite", ""),
    "line_decline": ("rep", "line_invite", ""),
    "signal_prepare": ("manager", "flag", ""),
    "signal_dismiss": ("manager", "flag", ""),
    "signal_snooze": ("manager", "flag", ""),
}
NUDGE_KINDS = {"checkin_rep", "pulse", "line_invite", "checkin_manager"}
_press = itertools.count(1)
# Ids of each table from a range of its own, so an id named as another kind is never also one of the
# presser's rows of the right kind by coincidence.
_ids = {"nudges": itertools.count(700_001), "action_items": itertools.count(800_001),
        "followups": itertools.count(900_001), "signal_flags": itertools.count(600_001)}


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    for team in ("T1", "T2"):
        for who in ("MGR", "REP", "MGRB", "REPB"):
            f.add_user(f"U{team[1]}{who}", f"{who.title()} of {team}", team_id=team)
    yield f
    f.stop()


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("subjects"), oauth=True)
    for team in ("T1", "T2"):
        install(s, team)
    yield s
    s.stop()


def install(served: Served, team: str) -> None:
    page = served.get("/slack/install")
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1)
    state = parse_qs(urlparse(link.replace("&amp;", "&")).query)["state"][0]
    jar = "; ".join(f"{k}={m.value}" for k, m in SimpleCookie(page.headers["Set-Cookie"]).items())
    done = served.get(f"/slack/oauth_redirect?code=good-code-{team}&state={state}", headers={"Cookie": jar})
    assert done.status == 200, done.text


def seed(served: Served, team: str) -> dict[str, dict[str, int]]:
    """Two managers each with a rep and a plan, and every kind of subject a button can name.

    Returns, per Slack user id, the ids of the subjects that are theirs, by kind.
    """
    engine = create_engine(sync_url(served.database_url))
    now = datetime.now(timezone.utc)
    sealed = NotesCipher(served.key).encrypt  # notes are stored encrypted with the server's key
    mine: dict[str, dict[str, int]] = {}
    try:
        with engine.begin() as conn:
            ws = slack_workspace(conn, team, now)

            def person(uid: str, manager: int | None = None) -> int:
                found = conn.execute(select(Person.id).where(Person.workspace_id == ws,
                                                             Person.platform_user_id == uid)).scalar()
                if found is not None:
                    return found
                return conn.execute(insert(Person).values(
                    workspace_id=ws, platform_user_id=uid, name=uid, tz="UTC", work_start="00:00",
                    work_end="23:59", work_days="mon,tue,wed,thu,fri,sat,sun", opted_out=False,
                    manager_id=manager, created_at=now).returning(Person.id)).scalar_one()

            for suffix in ("", "B"):
                mgr_uid, rep_uid = f"U{team[1]}MGR{suffix}", f"U{team[1]}REP{suffix}"
                mgr = person(mgr_uid)
                rep = person(rep_uid, mgr)
                talk = conn.execute(insert(Conversation).values(
                    workspace_id=ws, manager_id=mgr, rep_id=rep, notes_encrypted=sealed({"observed": "seeded"}), review_on=date(2027, 1, 15),
                    status="open", shared_with_rep=True, created_at=now).returning(Conversation.id)).scalar_one()
                item = conn.execute(insert(ActionItem).values(
                    id=next(_ids["action_items"]), conversation_id=talk, workspace_id=ws, owner_role="rep", owner_id=rep, text_encrypted=sealed("call five prospects"),
                    status="open", created_at=now).returning(ActionItem.id)).scalar_one()
                followup = conn.execute(insert(FollowUp).values(
                    id=next(_ids["followups"]), workspace_id=ws, person_id=rep, text_encrypted=sealed("call five prospects"), status="open",
                    created_at=now).returning(FollowUp.id)).scalar_one()

                def nudge(kind: str, to: int, subject: str) -> int:
                    return conn.execute(insert(Nudge).values(
                        id=next(_ids["nudges"]), workspace_id=ws, recipient_id=to, kind=kind, subject=subject,
                        dedupe_key=f"subjects:{team}:{kind}:{to}:{now.timestamp()}", status="sent",
                        due_at=now + timedelta(days=30), attempts=0, payload="{}",
                        created_at=now).returning(Nudge.id)).scalar_one()

                mine[rep_uid] = {"checkin_rep": nudge("checkin_rep", rep, f"talk:{talk}"),
                                 "pulse": nudge("pulse", rep, f"talk:{talk}"),
                                 "line_invite": nudge("line_invite", rep, "invite:999999"), "item": item,
                                 "followup": followup}
                flag = conn.execute(insert(SignalFlag).values(
                    id=next(_ids["signal_flags"]), workspace_id=ws, rep_id=rep, manager_id=mgr,
                    key=f"opportunities_falling:{rep}:{now.timestamp()}", kind="opportunities_falling",
                    strength="strong", status="raised", told_at=now, created_at=now, updated_at=now,
                ).returning(SignalFlag.id)).scalar_one()
                mine[mgr_uid] = {"checkin_manager": nudge("checkin_manager", mgr, f"talk:{talk}"), "plan": talk,
                                 "flag": flag}
    finally:
        engine.dispose()
    return mine


def state_of(served: Served) -> tuple:
    """What a wrongly accepted press would change: check-ins, and the status of every subject (a signal's
    "Prepare a conversation" notes the time on the flag)."""
    return (query(served, "SELECT count(*) FROM checkins")[0][0],
            tuple(query(served, "SELECT id, status, due_at FROM nudges ORDER BY id")),
            tuple(query(served, "SELECT id, status FROM conversations ORDER BY id")),
            tuple(query(served, "SELECT id, status FROM action_items ORDER BY id")),
            tuple(query(served, "SELECT id, status FROM followups ORDER BY id")),
            tuple(query(served, "SELECT id, status, snoozed_until, prepared_at FROM signal_flags ORDER BY id")))


def press(served: Served, fake: FakeSlack, user: str, team: str, action: str, value: str) -> str:
    """Press a button in the user's DM with coachbot; the text Slack was sent back for it."""
    rid = f"{user}-subjects-{next(_press)}"
    seen = fake.responses_for(user)
    reply = served.click(action, value, user=user, team=team, channel="D" + user[1:], container="message",
                         message_ts="1.1", response_url=fake.response_url(rid))
    assert reply.status == 200, reply
    answers = fake.wait_for_response(user, count=seen + 1, timeout=10)
    return str([r for r in answers if r["_rid"] == rid])


def test_every_button_refuses_another_persons_another_kinds_and_another_workspaces_subject(served, fake):
    subjects = {**seed(served, "T1"), **seed(served, "T2")}
    before = state_of(served)
    for action, (role, kind, option) in BUTTONS.items():
        role_uid = "MGR" if role == "manager" else "REP"
        presser, team = f"U1{role_uid}", "T1"
        # snooze takes any of the presser's nudges; every other button one kind
        takes = NUDGE_KINDS if action == "nudge_snooze" else {kind}
        wrong_kind = next(i for k, i in subjects[presser].items() if k not in takes)
        tries = {
            "another person's": subjects[f"U1{role_uid}B"][kind],
            "another kind's": wrong_kind,
            "another workspace's": subjects[f"U2{role_uid}"][kind],
        }
        for what, ident in tries.items():
            told = press(served, fake, presser, team, action, f"{ident}:{option}")
            refused = NOT_YOURS in told and state_of(served) == before
            attempted(f"pressing a button with {what} subject", refused)
            assert refused, (action, what, told)


def test_the_same_presses_on_the_pressers_own_subjects_are_taken(served, fake):
    """The attack above would pass vacuously if no press worked at all: the owner's own press does."""
    subjects = seed(served, "T1")
    before = query(served, "SELECT count(*) FROM checkins")[0][0]
    told = press(served, fake, "U1REP", "T1", "nudge_checkin", f"{subjects['U1REP']['checkin_rep']}:stuck")
    assert NOT_YOURS not in told
    assert query(served, "SELECT count(*) FROM checkins")[0][0] == before + 1
    item = subjects["U1REP"]["item"]
    told = press(served, fake, "U1REP", "T1", "item_done", f"{item}:")
    assert eventually(lambda: query(served, "SELECT status FROM action_items WHERE id = :i", i=item)[0][0] == "done"), told


def test_a_press_that_fails_on_our_side_is_answered_not_left_hanging(fake, tmp_path):
    """Work after the acknowledgement that fails unexpectedly (here a stored note no key can open)
    tells the presser so, instead of leaving a button that seems to do nothing."""
    served = Served(fake, tmp_path, oauth=True)
    try:
        install(served, "T1")
        item = seed(served, "T1")["U1REP"]["item"]
        query(served, "UPDATE action_items SET text_encrypted = 'damaged' WHERE id = :i", i=item)
        told = press(served, fake, "U1REP", "T1", "item_done", f"{item}:")
        assert "Something went wrong on my side" in told and "try again" in told
        assert NOT_YOURS not in told
    finally:
        served.stop()


def test_every_button_coachbot_answers_is_among_those_attacked(tmp_path):
    """A button added later is attacked here too, or this fails."""
    import asyncio

    from bot.core.service import CoachService
    from storage.db import Database, migrate
    from tests.support.clock import FixedClock

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    migrate(url)
    db = Database(url)
    try:
        assert set(CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock()).buttons.actions) == set(BUTTONS)
    finally:
        asyncio.run(db.close())
