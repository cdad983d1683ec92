"""A signal in Teams, against the strict Teams double: the manager's card carries the dated numbers and the
three buttons; the rep's press of them is refused, the manager's Snooze is taken."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.slack.test_slack_signals import seed_falling_pulse
from tests.bot.teams.test_teams_strict import card_of, known, last_in, press, shown
from tests.support.evidence import attempted
from tests.support.served import Served, eventually, query, utc_text


@pytest.fixture(scope="module")
def bot(teams, tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-signals"), extra_env={**teams.env(), "COACHBOT_TICK_SECONDS": "0.3"})
    yield s
    s.stop()


def test_a_signal_card_reaches_the_manager_and_only_they_can_snooze_it(teams, bot):
    manager, rep = known(teams, bot, "Grady Archie"), known(teams, bot, "Lidia Holloway")
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)  # a confirmed line
    seed_falling_pulse(bot, rep)
    query(bot, "UPDATE nudges SET due_at = :d WHERE kind = 'signal'",
          d=utc_text(datetime.now(timezone.utc) - timedelta(minutes=1)))
    told = last_in(teams, manager, where=lambda a: "A signal about" in shown(a))
    assert "Lidia Holloway: 4, 2, 1, 0 new opportunities in the four weeks of" in shown(told)
    card = card_of(told)
    buttons = {a["title"]: a for a in card.get("actions") or []}
    assert set(buttons) == {"Prepare a conversation with Lidia Holloway", "Dismiss", "Snooze a week"}

    press(teams, bot, rep, teams.activities_id(told), buttons["Snooze a week"]["data"])
    refused = bool(last_in(teams, rep, where=lambda a: "someone else" in shown(a))) and \
        query(bot, "SELECT status FROM signal_flags") == [("raised",)]
    attempted("a rep snoozing their manager's signal in Teams", refused)
    assert refused
    press(teams, bot, manager, teams.activities_id(told), buttons["Snooze a week"]["data"])
    assert "I'll tell you about Lidia Holloway again" in shown(last_in(teams, manager, where=lambda a: "Snoozed" in shown(a)))
    assert eventually(lambda: query(bot, "SELECT status FROM signal_flags") == [("snoozed",)])
