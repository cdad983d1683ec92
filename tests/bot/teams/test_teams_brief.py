"""The talk's brief in Teams, against the strict Teams double (every card checked by the Adaptive Cards
parser): the brief on the first card, the step-1 input holding the draft, step 2 naming the manager's late
commitment, typed text escaped as Teams markdown."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from storage.crypto import NotesCipher
from storage.db import Database
from tests.bot.teams.test_teams_strict import card_of, known, last_in, press, say, shown
from tests.support.brief_seed import seed_record
from tests.support.fakes.teams_connector import FakeTeams
from tests.support.served import Served, query


@pytest.fixture(scope="module")
def bot(teams, tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams-brief"), extra_env=teams.env())
    yield s
    s.stop()


def seed(bot: Served, manager: tuple[str, str], rep: tuple[str, str], **kw) -> dict:
    team = query(bot, "SELECT w.external_id FROM workspaces w JOIN people p ON p.workspace_id = w.id "
                      "WHERE p.platform_user_id = :u", u=manager[0])[0][0]

    async def run() -> dict:
        db = Database(bot.database_url)
        try:
            return await seed_record(db, NotesCipher(bot.key), platform="teams", team=team, manager=manager, rep=rep,
                                     today=datetime.now(timezone.utc).date(), **kw)
        finally:
            await db.close()
    return asyncio.run(run())


def input_of(card: dict) -> dict:
    return next(b for b in card["body"] if b["type"] == "Input.Text")


def step_button(card: dict) -> dict:
    return next(a["data"] for a in card["actions"] if a["data"].get("coachbot") == "step")


def test_the_brief_the_draft_and_the_late_commitment_on_teams_cards(teams: FakeTeams, bot: Served):
    manager, rep = known(teams, bot, "Adele Vance"), known(teams, bot, "Diego Siciliani")
    seeded = seed(bot, (manager, "Adele Vance"), (rep, "Diego Siciliani"))
    say(teams, bot, manager, "talk Diego Siciliani")
    first = last_in(teams, manager, where=lambda a: card_of(a) and "Have you already talked to" in shown(a))
    text = shown(first)
    assert "**New opportunities**" in text and ": 4, 2, 1, 0 (from the rep" in text
    assert "Acme \\\\<Corp\\\\> & \\\\*Co\\\\*" in text  # typed markup shows literally
    assert "Globex" in text and "Last plan with Diego Siciliani" in text

    before = len(teams.sent(teams.personal_chat(manager)))
    press(teams, bot, manager, teams.activities_id(first), step_button(card_of(first)), answer="no")
    step1 = next(a for a in reversed(teams.wait_sent(teams.personal_chat(manager), count=before + 1)) if card_of(a))
    draft = input_of(card_of(step1))["value"]
    assert "your new opportunities were 4, 2, 1 and 0" in draft and "Acme <Corp> & *Co*" in draft

    before = len(teams.sent(teams.personal_chat(manager)))
    press(teams, bot, manager, teams.activities_id(step1), step_button(card_of(step1)), answer=draft)
    own = next(a for a in reversed(teams.wait_sent(teams.personal_chat(manager), count=before + 1)) if card_of(a))
    assert step_button(card_of(own))["step"] == "own_part"  # the draft drew no hint
    due, done = seeded["manager_due"], seeded["manager_done"]
    assert f"weekly pipeline review” due {due.day} {due:%b %Y}, done {done.day} {done:%b %Y}" in shown(own)


def test_a_long_brief_stays_one_card_and_says_how_much_it_leaves_out(teams: FakeTeams, bot: Served):
    manager, rep = known(teams, bot, "Megan Bowen"), known(teams, bot, "Lee Gu")
    seed(bot, (manager, "Megan Bowen"), (rep, "Lee Gu"), more_losses=40)
    say(teams, bot, manager, "talk Lee Gu")
    first = last_in(teams, manager, where=lambda a: card_of(a) and "Have you already talked to" in shown(a))
    assert "more not shown." in shown(first) and "Long deal name" in shown(first)
    before = len(teams.sent(teams.personal_chat(manager)))
    press(teams, bot, manager, teams.activities_id(first), step_button(card_of(first)), answer="no")
    step1 = next(a for a in reversed(teams.wait_sent(teams.personal_chat(manager), count=before + 1)) if card_of(a))
    draft = input_of(card_of(step1))["value"]
    assert len(draft) <= 3000 and "more deals were lost between" in draft
