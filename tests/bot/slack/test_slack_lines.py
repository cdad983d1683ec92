"""Reporting lines through signed Slack requests to a served app: the invitation arrives as a DM with
buttons only the rep can press, a rep can't claim his boss, and a Slack admin (from users.info) sets lines."""
from __future__ import annotations

import pytest

from tests.support.evidence import attempted
from tests.support.lines import confirm_served
from tests.support.served import Served, eventually, flat, new_person as person, query as rows

CHANNEL = "C0DEALS"


@pytest.fixture(scope="module")
def fake():
    from tests.support.fakes.slack_api import FakeSlack

    f = FakeSlack().start()
    f.join(CHANNEL)  # the deal channel coachbot was invited to
    yield f
    f.stop()


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    s = Served(fake, tmp_path_factory.mktemp("lines"), extra_env={"COACHBOT_TICK_SECONDS": "0.3"})
    yield s
    s.stop()


def manager_of(served: Served, user: str) -> str | None:
    found = rows(served, "SELECT m.platform_user_id FROM people r LEFT JOIN people m ON m.id = r.manager_id "
                         "WHERE r.platform_user_id = :u", u=user)
    return found[0][0] if found else None


def at_work_around_the_clock(served: Served, fake, user: str) -> None:
    served.command("team", user=user)  # met first, then always at work, so a due message goes at once
    fake.wait_for_response(user)
    rows(served, "UPDATE people SET work_start = '00:00', work_end = '23:59', work_days = 'mon,tue,wed,thu,fri,sat,sun' "
                 "WHERE platform_user_id = :u", u=user)


def test_the_invitation_is_a_dm_whose_buttons_only_the_rep_can_press(served, fake):
    mgr, rep = person(fake, "Mia Hart"), person(fake, "Noah Park")
    at_work_around_the_clock(served, fake, rep)
    served.command(f"team add <@{rep}>", user=mgr)
    assert fake.wait_for_response(mgr, containing="Invited")
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == rep
                       and "says you report to them" in flat(c.body))[-1]
    buttons = {b["text"]["text"]: b for b in dm.body["blocks"][-1]["elements"]}
    assert set(buttons) == {"Accept", "Decline"} and manager_of(served, rep) is None
    accept = buttons["Accept"]
    served.click(accept["action_id"], accept["value"], user=mgr, channel="D" + mgr[1:], message_ts="1.1",
                 container="message", response_url=fake.response_url(f"{mgr}-nudge"))  # the manager, himself
    refused = fake.wait_for_response(mgr, containing="belongs to someone else") and manager_of(served, rep) is None
    attempted("claiming someone as your rep without their acceptance", bool(refused))
    assert refused and manager_of(served, rep) is None
    served.click(accept["action_id"], accept["value"], user=rep, channel="D" + rep[1:], message_ts="1.1",
                 container="message", response_url=fake.response_url(f"{rep}-nudge"))
    assert eventually(lambda: manager_of(served, rep) == mgr, timeout=10)
    assert fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                         and "now reports to you" in flat(c.body))


def test_a_rep_cannot_claim_his_boss_nor_open_her_retrospective(served, fake):
    boss, rep = person(fake, "Olga Ruiz"), person(fake, "Pete Moss")
    confirm_served(served, boss, rep)
    served.command("lost Soylent 30k", user=boss, channel=CHANNEL)  # the boss's own lost deal
    prompt = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == CHANNEL
                           and "Soylent" in flat(c.body))[-1]
    for attack in (f"team add <@{boss}>", f"talk <@{boss}>"):
        served.command(attack, user=rep)
        told = fake.wait_for_response(rep, containing="can't report to")
        attempted("claiming your own manager as your rep", bool(told) and manager_of(served, boss) is None)
        assert manager_of(served, boss) is None
    value = prompt.body["blocks"][1]["elements"][0]["value"]
    served.click("retro_start", value, user=rep, channel=CHANNEL, message_ts="1.1")
    note = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == rep)[-1]
    attempted("opening your manager's retrospective", "Soylent" not in flat(note.body))
    assert rows(served, "SELECT status FROM retrospectives WHERE id = :i", i=int(value)) == [("pending",)]


def test_a_slack_admin_sets_a_line_and_a_member_cannot(served, fake):
    admin, member, mgr, rep = (person(fake, n) for n in ("Quin Admin", "Rita Member", "Sol Lead", "Tess Seller"))
    fake.users[admin]["is_admin"] = True
    for who in (admin, member):
        served.command("team", user=who)
        fake.wait_for_response(who)
    assert eventually(lambda: rows(served, "SELECT is_admin FROM people WHERE platform_user_id = :u", u=admin)
                      in ([(1,)], [(True,)]), timeout=10)
    served.command(f"team set <@{member}> <@{rep}>", user=member)
    refused = fake.wait_for_response(member, containing="Only a workspace admin")
    attempted("setting a reporting line without being an admin", bool(refused) and manager_of(served, rep) is None)
    assert manager_of(served, rep) is None
    served.command(f"team set <@{mgr}> <@{rep}>", user=admin)
    assert fake.wait_for_response(admin, containing="reports to")
    assert manager_of(served, rep) == mgr
    assert fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == rep
                         and "workspace admin" in flat(c.body))


def test_add_and_remove_loops_reach_the_rep_three_times_a_day_at_most(served, fake):
    mgr, rep = person(fake, "Uma Loop"), person(fake, "Vic Target")
    at_work_around_the_clock(served, fake, rep)
    for _ in range(3):
        served.command(f"team add <@{rep}>", user=mgr)
        assert fake.wait_for_response(mgr, containing="Invited")
        served.command(f"team remove <@{rep}>", user=mgr)
        assert fake.wait_for_response(mgr, containing="Withdrew")
    served.command(f"team add <@{rep}>", user=mgr)
    held = fake.wait_for_response(mgr, containing="times in the last 24 hours")
    asked = rows(served, "SELECT count(*) FROM reporting_invites i JOIN people r ON r.id = i.rep_id "
                         "WHERE r.platform_user_id = :u", u=rep)[0][0]
    attempted("flooding a rep with invitations by adding and removing them", bool(held) and asked == 3)
    assert asked == 3 and any("you can invite them again from" in flat(b) for b in held)


def test_accepting_into_a_cycle_is_refused_and_the_invitation_stays(served, fake):
    boss, lead = person(fake, "Wen Chief"), person(fake, "Xia Lead")
    at_work_around_the_clock(served, fake, boss)
    served.command(f"team add <@{boss}>", user=lead)  # the lead asks their boss to report to them
    assert fake.wait_for_response(lead, containing="Invited")
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == boss
                       and "says you report to them" in flat(c.body))[-1]
    confirm_served(served, boss, lead)  # then the lead accepts the boss as their own manager
    accept = next(b for b in dm.body["blocks"][-1]["elements"] if b["text"]["text"] == "Accept")
    served.click(accept["action_id"], accept["value"], user=boss, channel="D" + boss[1:], message_ts="1.1",
                 container="message", response_url=fake.response_url(f"{boss}-nudge"))
    refused = fake.wait_for_response(boss, containing="can't report to")
    attempted("accepting an invitation that closes a reporting cycle", bool(refused) and manager_of(served, boss) is None)
    assert any("stays open" in flat(b) for b in refused) and manager_of(served, boss) is None
    assert rows(served, "SELECT i.status FROM reporting_invites i JOIN people r ON r.id = i.rep_id "
                        "WHERE r.platform_user_id = :u", u=boss) == [("pending",)]
