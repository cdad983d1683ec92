"""The weekly pulse in Teams, against the strict Teams double: buttons 0-5, and "6 or more…" a card with a
whole-number field whose answer is checked like a button's (the presser's own pulse, digits 0..500)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.teams.test_teams_strict import card_of, known, last_in, press, shown
from tests.support.served import Served, query, scalar, utc_text, wait_status


@pytest.fixture(scope="module")
def bot(teams, tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-pulse"), extra_env={**teams.env(), "COACHBOT_TICK_SECONDS": "0.3"})
    yield s
    s.stop()


def due_pulse(bot: Served, uid: str, week: str = "2026-11-30") -> int:
    person = query(bot, "SELECT id, workspace_id FROM people WHERE platform_user_id = :u", u=uid)[0]
    now = utc_text(datetime.now(timezone.utc) - timedelta(seconds=5))
    key = f"pulse:test:{uid}"
    query(bot, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
               "payload, created_at) VALUES (:w, :r, 'pulse', :s, :k, :d, 'pending', 0, :p, :d)",
          w=person[1], r=person[0], s=f"person:{person[0]}", k=key, d=now, p=json.dumps({"week": week}))
    return scalar(bot, "SELECT id FROM nudges WHERE dedupe_key = :k", k=key)


def test_six_or_more_asks_for_the_exact_number_in_a_card(teams, bot):
    manager, rep = known(teams, bot, "Grady Archie"), known(teams, bot, "Lidia Holloway")
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)  # a confirmed line
    nudge = due_pulse(bot, rep)
    wait_status(bot, nudge, "sent")
    asked = last_in(teams, rep, where=lambda a: "Pipeline pulse" in shown(a))
    shown_card = card_of(asked)  # seven buttons: Teams shows at most six in a row, so they come in two
    buttons = [a for row in shown_card["body"] if row["type"] == "ActionSet" for a in row["actions"]]
    assert [b["title"] for b in buttons] == ["0", "1", "2", "3", "4", "5", "6 or more…"]
    assert "actions" not in shown_card
    press(teams, bot, rep, teams.activities_id(asked), buttons[-1]["data"])
    form = last_in(teams, rep, where=lambda a: "Input.Number" in shown(a))
    field = next(e for e in card_of(form)["body"] if e["type"] == "Input.Number")
    assert (field["min"], field["max"]) == (0, 500)
    save = card_of(form)["actions"][0]["data"]
    press(teams, bot, manager, teams.activities_id(form), save, count="40")  # not the manager's pulse
    assert "someone else's message" in shown(last_in(teams, manager, where=lambda a: "someone else" in shown(a)))
    press(teams, bot, rep, teams.activities_id(form), save, count="5000")
    assert "whole number from 0 to 500" in shown(last_in(teams, rep, where=lambda a: "whole number" in shown(a)))
    press(teams, bot, rep, teams.activities_id(form), save, count=23)
    assert "Noted: 23 new opportunities" in shown(last_in(teams, rep, where=lambda a: "Noted: 23" in shown(a)))
    assert query(bot, "SELECT o.week_start, o.count, o.source FROM opportunity_counts o JOIN people p "
                      "ON p.id = o.person_id WHERE p.platform_user_id = :r", r=rep) == [("2026-11-30", 23, "pulse")]


def test_a_typed_count_too_long_to_be_one_is_passed_on_as_no_count_not_cut():
    from bot.teams.pulse import COUNT_INPUT, button_value
    assert button_value({"value": "5:more", "action": "pulse", COUNT_INPUT: "0" * 36 + "7"}) == "5:too-long"
    assert button_value({"value": "5:more", "action": "pulse", COUNT_INPUT: 17.0}) == "5:17"
