"""Slack as a real workspace meets coachbot: typed text that survives every round trip, modals that open
in time when Slack is slow, forms whose longest answers are kept, and an app that is uninstalled."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.support import slack_requests as sr
from tests.support.fakes.slack_api import FakeSlack
from tests.support.fakes.slack_render import seen_in
from tests.support.served import COACHBOT, Served, eventually, flat, new_person as person, query as rows
from tests.bot.slack.test_slack_retro import walk_retro
from tests.bot.slack.test_slack_serve import walk_talk
from tests.support.lines import confirm_served

DEALS = "C0DEALS"
# What people type: Slack's three control characters, a fake channel ping, a fake mention, a fake
# link, and an entity typed literally. Each must come back exactly as typed and notify nobody.
TYPED = "R&D <Labs> <!channel> <@U0EVIL> <https://evil.example|docs> 5>3 &amp;"
ITEM = TYPED.removesuffix(" &amp;")  # a plan line: ";" separates plan items, so "&amp;" would make two


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.join(DEALS)
    yield f
    f.stop()


def since(fake: FakeSlack, start: int, method: str, where=lambda c: True) -> list:
    return [c for c in fake.calls[start:] if c.method == method and where(c)]


def test_typed_text_comes_back_as_typed_on_every_surface_and_pings_nobody(served, fake):
    mgr, rep = person(fake, "Sam Rivera"), person(fake, "Alex Chen")
    start = len(fake.calls)

    # 1. A slash command: Slack sends what was typed escaped (&amp; &lt; &gt;), the picked rep as a mention.
    confirm_served(served, mgr, rep)
    served.command(f"lost {sr.typed(TYPED)} 12k <@{rep}|alex>", user=mgr, channel=DEALS)
    prompt = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == DEALS)[-1]
    seen = seen_in(prompt.body)
    assert seen.shows(f"*{TYPED}* (12,000) was lost") and seen.mentions == [rep] and not seen.broadcasts
    logged = seen_in(fake.wait_for_response(mgr, containing="as lost")[-1])
    assert logged.shows(f"Logged {TYPED} as lost") and not (logged.mentions or logged.broadcasts or logged.links)
    assert rows(served, "SELECT deal_name FROM retrospectives WHERE deal_name LIKE 'R&D%'") == [(TYPED,)]

    # 2. The rep's retrospective modal, the summary, the manager's DM and the channel thread.
    button = prompt.body["blocks"][1]["elements"][0]
    trig = fake.trigger()
    served.click("retro_start", button["value"], user=rep, channel=DEALS, message_ts="1.1", trigger_id=trig)
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
    assert seen_in(view).shows(TYPED)
    final = walk_retro(served, rep, view, share="channel", lesson=TYPED)
    assert seen_in(final["view"]).shows(TYPED)
    to_mgr = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                           and "Loss retrospective" in c.body.get("text", ""))[-1]
    assert seen_in(to_mgr.body).shows(f"Loss retrospective: {TYPED} — summary")
    thread = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == DEALS
                           and c.body.get("thread_ts"))[-1]
    assert seen_in(thread.body).shows(f"Retrospective on {TYPED}") and seen_in(thread.body).shows(f"Lesson: {TYPED}")

    # 3. A talk typed into modals (plain text inputs arrive as typed): summary, DMs, plans, App Home.
    walk_talk(served, mgr, rep, observed=TYPED, plan=f"{ITEM} by Friday\nme: join two calls in 2 weeks")
    summary = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                            and "Difficult conversation" in c.body.get("text", ""))[-1]
    assert seen_in(summary.body).shows(TYPED)
    shared = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == rep
                           and "shared the plan" in flat(c.body))[-1]
    assert seen_in(shared.body).shows(ITEM)
    served.command("plans", user=mgr)
    plans = fake.wait_for_response(mgr, containing="open plan")[-1]
    assert seen_in(plans).shows(ITEM)
    home = fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == rep
                         and "Your plan" in flat(c.body))[-1]
    assert seen_in(home.body["view"]).shows(ITEM)

    # Nothing the app sent in all of this notified anyone but the rep on the loss prompt.
    everything = seen_in([c.body for c in fake.calls[start:] if c.method.startswith(("chat.", "views."))]
                         + [r for r in fake.responses if r["_rid"].startswith((mgr, rep))])
    assert not everything.broadcasts and set(everything.mentions) <= {rep}
    assert "R&amp;D" not in everything.all and "&lt;Labs" not in everything.all  # nothing escaped twice


def test_a_message_shortcut_prefills_the_deal_as_it_was_written(served, fake):
    mgr = person(fake, "Kai Sun")
    deal = "R&D <Labs> 5>3"
    crm_post = {"type": "message", "text": f"Deal *{sr.typed(deal)}* moved to Closed Lost — $40,000 "
                                           "<https://crm.example/d/9|open in CRM>", "bot_id": "BCRM", "ts": "17.1"}
    trig = fake.trigger()
    body, ctype = sr.interaction_body(sr.message_shortcut("start_loss_retro", crm_post, user=mgr, team=fake.team_id,
                                                          channel=DEALS, trigger_id=trig))
    assert served.post_signed(body, ctype).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["deal"]["element"]["initial_value"] == deal  # a plain text input shows its value as is


def test_a_name_typed_without_picking_the_person_is_explained(served, fake):
    me = person(fake, "Lee Wong")
    reply = served.command("talk @alex", user=me)
    assert reply.status == 200
    assert "I can't tell who “@alex” is" in flat(reply.json())
    assert rows(served, "SELECT count(*) FROM people WHERE platform_user_id = 'alex'") == [(0,)]


# ---- Slack being slow: no network call stands between a trigger and its views.open -----------------

@pytest.mark.parametrize("trouble", ["slow", "rate_limited"])
def test_the_talk_modal_opens_in_time_when_users_info_is_slow_or_throttled(served, fake, trouble):
    mgr, rep = person(fake, "Nia Diaz"), person(fake, "Omar Haddad")
    if trouble == "slow":
        fake.slow("users.info", 3.5)  # longer than a trigger lives, even for look-ups side by side
    else:
        fake.rate_limit("users.info", retry_after=2, times=4)  # slack_sdk waits Retry-After and tries again
    try:
        view = served.open_modal(f"talk <@{rep}|omar>", user=mgr)  # fails if Slack refused the trigger
    finally:
        fake.slow("users.info", 0)
    assert json.loads(view["private_metadata"])["step"] == "raised_before"
    assert "omar" in flat(view).lower()  # the name Slack sent with the mention, until users.info answers
    named = eventually(lambda: rows(served, "SELECT name, tz FROM people WHERE platform_user_id = :u", u=rep)
                       == [("Omar Haddad", "UTC")], timeout=20)
    assert named, "the profile arrived after the modal and was stored"


def test_forms_are_acknowledged_within_three_seconds_when_users_info_is_slow(served, fake):
    mgr, rep, other = person(fake, "Pia Lund"), person(fake, "Quinn Ray"), person(fake, "Rui Sol")
    trig = fake.trigger()
    payload = {"type": "shortcut", "callback_id": "start_talk", "trigger_id": trig,
               "team": {"id": fake.team_id, "domain": "acme"}, "user": {"id": mgr, "username": "pia", "team_id": fake.team_id},
               "api_app_id": "A0001", "token": "deprecated", "action_ts": str(time.time()), "is_enterprise_install": False}
    assert served.post_signed(*sr.interaction_body(payload)).status == 200
    picker = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
    fake.slow("users.info", 3.5)
    try:
        first = served.submit(picker, {"rep": {"value": {"type": "users_select", "selected_user": rep}}}, user=mgr)
        crm_post = {"type": "message", "text": "Deal *Initech* moved to Closed Lost", "bot_id": "BCRM", "ts": "18.1"}
        trig = fake.trigger()
        served.post_signed(*sr.interaction_body(sr.message_shortcut(
            "start_loss_retro", crm_post, user=mgr, team=fake.team_id, channel=DEALS, trigger_id=trig)))
        form = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
        confirm_served(served, mgr, other)
        posted = served.submit(form, {"deal": {"value": {"type": "plain_text_input", "value": "Initech"}},
                                      "amount": {"value": {"type": "plain_text_input", "value": ""}},
                                      "rep": {"value": {"type": "users_select", "selected_user": other}}}, user=mgr)
    finally:
        fake.slow("users.info", 0)
    # Within 3 s, or the harness would have recorded Slack's operation_timeout (and the test failed).
    step = first.json()
    assert step["response_action"] == "update" and rep not in flat(step["view"])  # no raw user id shown
    assert posted.status == 200 and posted.text == ""
    fake.wait_for("chat.postMessage", where=lambda c: "Initech" in flat(c.body))
    # The name arrived after the first step: from the next step on, the talk uses it.
    assert eventually(lambda: rows(served, "SELECT name FROM people WHERE platform_user_id = :u", u=rep)
                      == [("Quinn Ray",)], timeout=20)
    later = served.submit(step["view"], sr.radio_answer("no"), user=mgr).json()["view"]
    assert "Quinn" in flat(later) and "a colleague" not in flat(later)


# ---- forms: what they allow, the database keeps, on SQLite and PostgreSQL alike --------------------

def test_the_longest_deal_name_the_forms_allow_is_kept(db_url, fake, tmp_path):
    s = Served(fake, tmp_path, database_url=db_url)
    try:
        mgr, rep = person(fake, "Sol Berg"), person(fake, "Tam Vo")
        confirm_served(s, mgr, rep)
        longest = "Q" * 198 + "&<"  # the lost-deal form's max_length, with characters Slack escapes
        trig = fake.trigger()
        crm_post = {"type": "message", "text": "Closed Lost", "bot_id": "BCRM", "ts": "19.1"}
        s.post_signed(*sr.interaction_body(sr.message_shortcut("start_loss_retro", crm_post, user=mgr,
                                                               team=fake.team_id, channel=DEALS, trigger_id=trig)))
        form = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
        assert {b.get("block_id"): b for b in form["blocks"]}["deal"]["element"]["max_length"] == len(longest)
        posted = s.submit(form, {"deal": {"value": {"type": "plain_text_input", "value": longest}},
                                 "amount": {"value": {"type": "plain_text_input", "value": "9k"}},
                                 "rep": {"value": {"type": "users_select", "selected_user": rep}}}, user=mgr)
        assert posted.status == 200 and posted.text == "", posted
        assert eventually(lambda: rows(s, "SELECT deal_name FROM retrospectives") == [(longest,)])
        # The same deal typed as a command is the same retrospective, not a second one.
        s.command(f"lost {sr.typed(longest)} <@{rep}>", user=mgr, channel=DEALS)
        assert fake.wait_for_response(mgr, containing="already has a retrospective")
        too_long = longest + "!"
        s.command(f"lost {sr.typed(too_long)} <@{rep}>", user=mgr, channel=DEALS)
        assert fake.wait_for_response(mgr, containing="That deal name is 201 characters long; 200 is the most")
        assert rows(s, "SELECT count(*) FROM retrospectives") == [(1,)]
    finally:
        s.stop()


# ---- the app is removed from a workspace -----------------------------------------------------------

def test_uninstalling_answers_slack_and_stops_the_workspaces_nudges(fake, tmp_path):
    s = Served(fake, tmp_path)
    try:
        mgr, rep = person(fake, "Uma Wu"), person(fake, "Vic Yu")
        walk_talk(s, mgr, rep)
        fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == mgr)
        pending = rows(s, "SELECT count(*) FROM nudges WHERE status = 'pending'")[0][0]
        assert pending > 0
        reply = s.event({"type": "app_uninstalled"})
        assert reply.status == 200  # answered, so Slack does not retry it
        assert rows(s, "SELECT count(*) FROM nudges WHERE status = 'pending'") == [(0,)]
        reasons = rows(s, "SELECT DISTINCT last_error FROM nudges WHERE status = 'failed'")
        assert len(reasons) == 1 and "coachbot was uninstalled from this Slack workspace" in reasons[0][0]
        listed = subprocess.run([str(COACHBOT), "nudges", "--failed", "--db", s.database_url], capture_output=True,
                                text=True, timeout=60)
        assert "uninstalled from this Slack workspace" in listed.stdout and "re-install" in listed.stdout
        revoked = s.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT0001"]}})
        assert revoked.status == 200
    finally:
        s.stop()
