"""A form Slack won't open (its trigger expired after 3 s) is said, not silent: after a /coach command
privately, after a home-tab press (no response_url there) in a DM; the second try opens it."""
from __future__ import annotations

import json

import pytest

from bot.slack.listeners.nudges import NOT_OPENED, NOT_OPENED_COMMAND
from tests.support.lines import confirm_served
from tests.support.served import Served, flat, new_person, query

HOME = {"id": "VHOME", "type": "home"}


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("refused"))
    yield s
    s.stop()


def expired(fake) -> str:
    """A trigger Slack issued 3.2 s ago: views.open answers expired_trigger_id."""
    trigger = fake.trigger()
    fake.triggers[trigger] -= 3.2
    return trigger


def opened(fake, trigger: str) -> dict:
    return fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1])


def test_bare_settings_whose_form_slack_refuses_says_so_privately(served, fake):
    me = new_person(fake, "Ines Moreau")
    assert served.command("settings", user=me, trigger_id=expired(fake)).status == 200
    told = fake.wait_for_response(me, containing="didn't let me open the form in time")[-1]
    assert told["response_type"] == "ephemeral" and "run the same /coach command again" in flat(told)
    assert NOT_OPENED_COMMAND.split(":")[0] in flat(told)
    assert [r[1] for r in fake.take_refusals()] == ["expired_trigger_id"]
    assert served.open_modal("settings", user=me)["callback_id"] != "notice"  # the second try opens it


def test_a_talk_whose_form_slack_refuses_is_said_and_picked_up_by_the_next_command(served, fake):
    mgr, rep = new_person(fake, "Jules Ortega"), new_person(fake, "Kai Brandt")
    confirm_served(served, mgr, rep)
    assert served.command(f"talk <@{rep}>", user=mgr, trigger_id=expired(fake)).status == 200
    told = fake.wait_for_response(mgr, containing="didn't let me open the form in time")[-1]
    assert told["response_type"] == "ephemeral" and "Nothing was lost" in flat(told)
    assert [r[1] for r in fake.take_refusals()] == ["expired_trigger_id"]
    view = served.open_modal(f"talk <@{rep}>", user=mgr)
    assert json.loads(view["private_metadata"])["step"] == "raised_before"
    assert query(served, "SELECT count(*) FROM flow_sessions s JOIN people p ON p.id = s.user_id "
                         "WHERE p.platform_user_id = :u", u=mgr) == [(1,)]  # the one saved talk, not a second


@pytest.mark.parametrize("button", ["home_settings", "home_start_talk"])
def test_a_home_tab_button_whose_form_slack_refuses_is_said_in_a_dm(served, fake, button):
    me = new_person(fake, "Lou Ferrand")
    assert served.click(button, "", user=me, container="view", view=HOME, trigger_id=expired(fake)).status == 200
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == me
                       and "didn't let me open the form in time" in flat(c.body))[-1]
    assert NOT_OPENED.split(": ")[1] in flat(dm.body)  # "press the button again to open it."
    assert [r[1] for r in fake.take_refusals()] == ["expired_trigger_id"]
    trigger = fake.trigger()
    served.click(button, "", user=me, container="view", view=HOME, trigger_id=trigger)
    assert opened(fake, trigger)["type"] == "modal"


def test_a_home_tab_button_whose_form_slack_never_answers_is_said_in_a_dm(served, fake):
    """views.open lost to the network (longer than the client's 10 s timeout) is said like a refusal."""
    me = new_person(fake, "Noor Haddad")
    fake.slow("views.open", 11)
    try:
        assert served.click("home_settings", "", user=me, container="view", view=HOME,
                            trigger_id=fake.trigger()).status == 200
        dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == me
                           and "didn't let me open the form in time" in flat(c.body), timeout=20)[-1]
    finally:
        fake.slow("views.open", 0)
    assert NOT_OPENED.split(": ")[1] in flat(dm.body)
    fake.take_refusals()  # the late views.open found its trigger expired
    trigger = fake.trigger()
    served.click("home_settings", "", user=me, container="view", view=HOME, trigger_id=trigger)
    assert opened(fake, trigger)["type"] == "modal"
