"""The message budget in Teams, against the strict Teams double: two nudges due together for one person come
as one card, each item with its own buttons (rows of at most six), and a button of the second item answers
for that item."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.teams.test_teams_strict import card_of, known, last_in, press, shown
from tests.bot.teams import test_teams_strict as strict
from tests.support.served import Served, query, scalar, utc_text, wait_status

teams_accepted_everything = strict.teams_accepted_everything  # autouse: nothing refused unexpectedly


@pytest.fixture(scope="module")
def bot(teams, tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-budget"), extra_env={**teams.env(), "COACHBOT_TICK_SECONDS": "0.3"})
    yield s
    s.stop()


def pulse_for(bot: Served, uid: str, week: str, due: datetime) -> int:
    person = query(bot, "SELECT id, workspace_id FROM people WHERE platform_user_id = :u", u=uid)[0]
    key = f"pulse:budget:{uid}:{week}"
    query(bot, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
               "payload, created_at) VALUES (:w, :r, 'pulse', :s, :k, :d, 'pending', 0, :p, :d)",
          w=person[1], r=person[0], s=f"person:{person[0]}", k=key, d=utc_text(due), p=json.dumps({"week": week}))
    return scalar(bot, "SELECT id FROM nudges WHERE dedupe_key = :k", k=key)


def test_two_nudges_due_together_are_one_card_teams_accepts_and_each_items_buttons_answer(teams, bot):
    manager, rep = known(teams, bot, "Grady Archie"), known(teams, bot, "Lidia Holloway")
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)  # a confirmed line
    later = datetime.now(timezone.utc) + timedelta(days=20)
    first, second = pulse_for(bot, rep, "2026-11-23", later), pulse_for(bot, rep, "2026-11-30", later)
    now = utc_text(datetime.now(timezone.utc) - timedelta(seconds=5))
    query(bot, "UPDATE nudges SET due_at = :d WHERE id IN (:a, :b)", d=now, a=first, b=second)
    assert wait_status(bot, first, "sent")[3] == wait_status(bot, second, "sent")[3]  # one message
    got = last_in(teams, rep, where=lambda a: "Two things for you today" in shown(a))
    card = card_of(got)
    rows = [row for row in card["body"] if row["type"] == "ActionSet"]
    assert all(len(row["actions"]) <= 6 for row in rows)
    buttons = [a for row in rows for a in row["actions"]]
    assert [b["title"] for b in buttons] == ["0", "1", "2", "3", "4", "5", "6 or more…"] * 2
    aid = teams.activities_id(got)
    press(teams, bot, rep, aid, buttons[7 + 3]["data"])  # "3" under the second item
    assert "Noted: 3 new opportunities" in shown(last_in(teams, rep, where=lambda a: "Noted: 3" in shown(a)))
    # the answer comes below: the card keeps the first item's buttons, still to be answered
    assert teams.activities[aid]["activity"] == {k: v for k, v in got.items() if k != "_id"}
    press(teams, bot, rep, aid, buttons[6]["data"])  # "6 or more…" under the first item: a field below
    form = last_in(teams, rep, where=lambda a: "Input.Number" in shown(a))
    assert teams.activities[aid]["activity"] == {k: v for k, v in got.items() if k != "_id"}
    press(teams, bot, rep, teams.activities_id(form), card_of(form)["actions"][0]["data"], count=9)
    assert "Noted: 9 new opportunities" in shown(last_in(teams, rep, where=lambda a: "Noted: 9" in shown(a)))
    assert sorted(query(bot, "SELECT o.week_start, o.count FROM opportunity_counts o JOIN people p "
                             "ON p.id = o.person_id WHERE p.platform_user_id = :r", r=rep)) == \
        [("2026-11-23", 9), ("2026-11-30", 3)]
