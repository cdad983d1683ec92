"""In Teams, a pulse delivered after its week asks about that week by name, in its card and in the "6 or
more…" card, and the answer is stored for it; against the strict Teams double."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.bot.teams.test_teams_pulse import bot, due_pulse  # noqa: F401 (the fixture)
from tests.bot.teams.test_teams_strict import card_of, known, last_in, press, shown
from tests.support.served import query, wait_status


def test_a_pulse_sent_after_its_week_names_that_week(teams, bot):  # noqa: F811
    manager, rep = known(teams, bot, "Grady Archie"), known(teams, bot, "Lidia Holloway")
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)
    today = datetime.now(timezone.utc).date()
    last_week = today - timedelta(days=today.weekday() + 7)
    wait_status(bot, due_pulse(bot, rep, week=last_week.isoformat()), "sent")
    week = f"the week of {last_week:%d %b}"
    asked = last_in(teams, rep, where=lambda a: "Pipeline pulse" in shown(a))
    assert f"how many new opportunities did you open in {week}?" in shown(asked)
    assert "this week" not in shown(asked)
    more = [a for row in card_of(asked)["body"] if row["type"] == "ActionSet" for a in row["actions"]][-1]
    assert more["title"] == "6 or more…"
    press(teams, bot, rep, teams.activities_id(asked), more["data"])
    form = last_in(teams, rep, where=lambda a: "Input.Number" in shown(a))
    assert f"How many new opportunities did you open in {week}?" in shown(form)
    press(teams, bot, rep, teams.activities_id(form), card_of(form)["actions"][0]["data"], count=9)
    assert f"Noted: 9 new opportunities in {week}." in shown(last_in(teams, rep, where=lambda a: "Noted: 9" in shown(a)))
    assert query(bot, "SELECT o.week_start, o.count FROM opportunity_counts o JOIN people p ON p.id = o.person_id "
                      "WHERE p.platform_user_id = :r", r=rep) == [(last_week.isoformat(), 9)]
