"""Prospecting focus on Teams (issue 17.4): a rep's check-in card shows each week since the talk against the
plan's weekly target, as text the Teams double accepts (the numbers written, '—' for no answer)."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from tests.support.served import query, scalar, utc_text, wait_status
from tests.bot.teams.test_teams_strict import (bot, card_of, known, last_in, shown,  # noqa: F401 (fixtures)
                                               teams_accepted_everything)


def test_a_checkin_card_shows_the_weeks_against_the_target(teams, bot):  # noqa: F811
    manager, rep = known(teams, bot, "Target Manager"), known(teams, bot, "Target Rep")
    ids = {u: scalar(bot, "SELECT id FROM people WHERE platform_user_id = :u", u=u) for u in (manager, rep)}
    ws = scalar(bot, "SELECT workspace_id FROM people WHERE id = :i", i=ids[rep])
    query(bot, "UPDATE people SET manager_id = :m WHERE id = :r", m=ids[manager], r=ids[rep])
    monday = date.today() - timedelta(days=date.today().weekday())
    held = datetime.combine(monday - timedelta(days=14), datetime.min.time(), timezone.utc)
    now = utc_text(datetime.now(timezone.utc))
    query(bot, "INSERT INTO conversations (workspace_id, manager_id, rep_id, notes_encrypted, review_on, status, "
               "shared_with_rep, weekly_target, created_at) VALUES (:w, :m, :r, 'sealed', :v, 'open', :t, 4, :c)",
          w=ws, m=ids[manager], r=ids[rep], v=str(monday + timedelta(days=14)), t=True, c=utc_text(held))
    talk = scalar(bot, "SELECT id FROM conversations WHERE rep_id = :r", r=ids[rep])
    query(bot, "INSERT INTO opportunity_counts (workspace_id, person_id, week_start, count, source, updated_at) "
               "VALUES (:w, :p, :d, 5, 'pulse', :t)", w=ws, p=ids[rep], d=str(monday - timedelta(days=14)), t=now)
    query(bot, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
               "payload, created_at) VALUES (:w, :r, 'checkin_rep', :s, :k, :d, 'pending', 0, :p, :d)",
          w=ws, r=ids[rep], s=f"talk:{talk}", k=f"target:{rep}", d=now, p=json.dumps({"manager": "Target Manager"}))
    nudge = scalar(bot, "SELECT id FROM nudges WHERE dedupe_key = :k", k=f"target:{rep}")
    wait_status(bot, nudge, "sent", timeout=30)
    card = last_in(teams, rep, where=lambda a: "Quick check-in" in shown(a))
    text = shown(card)
    first, second = monday - timedelta(days=14), monday - timedelta(days=7)
    assert card_of(card) is not None and "against the target of 4" in text
    assert f"wk {first.day} {first:%b}  ██████████ 5/4 ✓" in text
    assert f"wk {second.day} {second:%b}  ·········· —/4 (no answer)" in text
