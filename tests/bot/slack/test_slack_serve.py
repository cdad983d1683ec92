"""Slack end to end: signed requests to a real `coachbot serve`, a fake Web API recording what was sent."""
from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from flows.dates import format_day
from storage.crypto import NotesCipher
from tests.support import slack_requests as sr
from tests.support.fakes.slack_api import FakeSlack
from tests.support.lines import confirm_served
from tests.support.served import Served, flat, new_person as person, query as rows

MANAGER, REP, OTHER_MANAGER = "U0SAM", "U0ALEX", "U0KIM"
REVIEW = date.today() + timedelta(weeks=10)  # far enough for the "far off" hint, inside the 26-week limit


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    for uid, name, tz in [(MANAGER, "Sam Rivera", "Europe/London"), (REP, "Alex Chen", "America/Los_Angeles"),
                          (OTHER_MANAGER, "Kim Park", "Asia/Kolkata"), ("U0JO", "Jo Bloggs", "Australia/Sydney"),
                          ("U0PRIYA", "Priya Nair", "Asia/Kolkata"), ("U0LEE", "Lee Wong", "UTC")]:
        f.add_user(uid, name, tz=tz)
    yield f
    f.stop()


def walk_talk(served: Served, manager: str, rep: str, *, observed: str = "In October you booked 2 demos; the target is 8.",
              rep_view: str = "My leads moved to the new team in September.", share: str = "yes",
              plan: str = "book 5 discovery calls by Friday\nme: join two calls in 2 weeks"):
    """Confirm the reporting line (invited, accepted), open the talk modal and submit every step; returns
    the final ack body (the summary view)."""
    confirm_served(served, manager, rep)
    view = served.open_modal(f"talk <@{rep}>", user=manager)
    steps = [
        ("raised_before", sr.radio_answer("no")),
        ("observed", sr.text_answer(observed)),
        ("own_part", sr.text_answer("I haven't joined one of your calls since September.")),
        ("listen", {}),
        ("rep_view", sr.text_answer(rep_view)),
        ("options", sr.text_answer("Prospecting campaign\nShadow discovery calls")),
        ("plan", sr.text_answer(plan)),
        ("review", sr.date_answer(REVIEW.isoformat())),
        ("share", sr.radio_answer(share)),
    ]
    reply = None
    for step_id, values in steps:
        assert json.loads(view["private_metadata"])["step"] == step_id, view["private_metadata"]
        reply = served.submit(view, values, user=manager)
        assert reply.status == 200, reply
        body = reply.json()
        assert body["response_action"] == "update", body
        view = body["view"]
        if step_id == "review" and json.loads(view.get("private_metadata") or "{}").get("step") == "review":
            reply = served.submit(view, values, user=manager)  # keep the review date despite the hint
            view = reply.json()["view"]
    return reply.json()


def test_help_is_an_ephemeral_list_of_commands(served):
    reply = served.command("help", user=MANAGER)
    assert reply.status == 200
    body = reply.json()
    text = flat(body)
    for sub in ("talk @rep", "plans", "checkin", "settings", "pause", "resume"):
        assert f"/coach {sub}" in text
    assert body.get("response_type", "ephemeral") == "ephemeral"


@pytest.mark.parametrize("text,expected", [
    ("dance", "I don't know “dance”"),
    ("talk", "Name the rep you want to talk to. Usage: /coach talk @rep"),
    ("pause forever", "I couldn't read “forever” as a pause"),
])
def test_bad_commands_get_a_specific_ephemeral_message(served, fake, text, expected):
    user = f"U0BAD{abs(hash(text)) % 1000:03d}"
    fake.add_user(user, "Bad Input")
    reply = served.command(text, user=user)
    assert reply.status == 200
    messages = [flat(reply.text)] + ([flat(r) for r in fake.wait_for_response(user)] if not reply.text else [])
    assert any(expected in m for m in messages), messages


def test_a_whole_talk_through_modals_ends_in_a_stored_plan_and_dms(served, fake):
    final = walk_talk(served, MANAGER, REP)
    summary = flat(final["view"])
    assert "Difficult conversation — summary" in summary and "book 5 discovery calls by Friday" in summary
    dm_to_manager = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == MANAGER
                                  and "summary" in c.body.get("text", ""))[-1]
    assert "In October you booked 2 demos" in flat(dm_to_manager.body["blocks"])
    dm_to_rep = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == REP)[-1]
    rep_text = flat(dm_to_rep.body)
    assert "shared the plan" in rep_text and format_day(REVIEW) in rep_text
    assert "In October" not in rep_text  # the rep gets the plan, never the manager's notes
    talks = rows(served, "SELECT c.id, m.name, r.name, r.tz FROM conversations c JOIN people m ON m.id = c.manager_id "
                         "JOIN people r ON r.id = c.rep_id WHERE m.platform_user_id = :m", m=MANAGER)
    assert [(t[1], t[2], t[3]) for t in talks] == [("Sam Rivera", "Alex Chen", "America/Los_Angeles")]
    notes = rows(served, "SELECT notes_encrypted FROM conversations WHERE id = :i", i=talks[0][0])[0][0]
    assert "October" not in notes and NotesCipher(served.key).decrypt(notes)["share"] is True
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == MANAGER)


def test_users_info_gives_names_and_time_zones(served, fake):
    served.command("plans", user="U0JO")
    fake.wait_for_response("U0JO")
    person = rows(served, "SELECT name, tz FROM people WHERE platform_user_id = 'U0JO'")
    assert person == [("Jo Bloggs", "Australia/Sydney")]
    assert any(c.body.get("user") == "U0JO" for c in fake.calls_to("users.info"))


def test_blocking_error_goes_back_on_the_input_block(served, fake):
    mgr, rep = person(fake, "Lee Wong"), person(fake, "Priya Nair")
    view = served.open_modal(f"talk <@{rep}>", user=mgr)
    view = served.submit(view, sr.radio_answer("no"), user=mgr).json()["view"]
    reply = served.submit(view, sr.text_answer("   "), user=mgr).json()
    assert reply == {"response_action": "errors",
                     "errors": {"answer": "This step needs an answer before you can go on."}}


def test_coaching_hint_updates_the_view_and_the_same_answer_goes_on(served, fake):
    mgr, rep = person(fake, "Lee Wong"), person(fake, "Priya Nair")
    view = served.open_modal(f"talk <@{rep}>", user=mgr)
    view = served.submit(view, sr.radio_answer("no"), user=mgr).json()["view"]
    hinted = served.submit(view, sr.text_answer("Priya is lazy and never follows up."), user=mgr).json()["view"]
    text = flat(hinted)
    assert "“lazy” is a label" in text and "press *Continue* to keep it" in text
    assert json.loads(hinted["private_metadata"])["step"] == "observed"
    assert hinted["blocks"][-3]["element"]["initial_value"] == "Priya is lazy and never follows up."
    onward = served.submit(hinted, sr.text_answer("Priya is lazy and never follows up."), user=mgr).json()
    assert json.loads(onward["view"]["private_metadata"])["step"] == "own_part"


def test_a_stale_form_is_refused_and_shows_the_current_step(served, fake):
    mgr, rep = person(fake, "Priya Nair"), person(fake, "Jo Bloggs")
    view = served.open_modal(f"talk <@{rep}>", user=mgr)
    first = served.submit(view, sr.radio_answer("no"), user=mgr).json()
    again = served.submit(view, sr.radio_answer("yes"), user=mgr).json()  # the old form, twice
    assert again["response_action"] == "update"
    assert "out of date" in flat(again["view"])
    assert json.loads(again["view"]["private_metadata"])["step"] == json.loads(first["view"]["private_metadata"])["step"]


def test_closing_the_modal_keeps_the_draft_and_the_command_resumes_it(served, fake):
    mgr, rep = person(fake, "Sam Rivera"), person(fake, "Jo Bloggs")
    view = served.open_modal(f"talk <@{rep}>", user=mgr)
    view = served.submit(view, sr.radio_answer("no"), user=mgr).json()["view"]
    served.submit(view, sr.text_answer("On 2 Nov you missed the forecast call."), user=mgr)
    closed = {"type": "view_closed", "team": {"id": served.fake.team_id}, "user": {"id": mgr},
              "view": view, "is_cleared": False, "api_app_id": "A0001"}
    body, ctype = sr.interaction_body(closed)
    assert served.post_signed(body, ctype).status == 200
    resumed = served.open_modal(f"talk <@{rep}>", user=mgr)
    assert json.loads(resumed["private_metadata"])["step"] == "own_part"
    assert "Picking up your unfinished conversation with Jo Bloggs" in flat(resumed)


def test_back_button_updates_the_same_modal(served, fake):
    mgr, rep = person(fake, "Jo Bloggs"), person(fake, "Priya Nair")
    view = served.open_modal(f"talk <@{rep}>", user=mgr)
    view = served.submit(view, sr.radio_answer("no"), user=mgr).json()["view"]
    assert served.click("flow_back", view["private_metadata"], user=mgr, view=view).status == 200
    call = fake.wait_for("views.update", where=lambda c: c.body.get("view_id") == view["id"])[-1]
    assert call.body["hash"] == view["hash"] and fake.opened_view(call)  # Slack took the update
    assert json.loads(call.body["view"]["private_metadata"])["step"] == "raised_before"


def test_user_text_is_escaped_in_everything_sent(served, fake):
    nasty = "Ping <!channel> and <@U999> now, see <https://evil.example|click> &amp; more"
    mgr, rep = person(fake, "Kim Park"), person(fake, "Lee Wong")
    walk_talk(served, mgr, rep, rep_view=nasty)
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                       and "summary" in c.body.get("text", ""))[-1]
    sent = flat(dm.body)
    assert "&lt;!channel&gt;" in sent and "&lt;@U999&gt;" in sent
    assert "&lt;https://evil.example|click&gt;" in sent and "&amp;amp; more" in sent
    for raw in ("<!channel>", "<@U999>", "<https://evil"):
        assert raw not in sent


def test_a_manager_cannot_open_or_answer_another_managers_talk(served, fake):
    lee, sam, priya = person(fake, "Lee Wong"), person(fake, "Sam Rivera"), person(fake, "Priya Nair")
    confirm_served(served, lee, priya)  # Priya joins Lee's team
    lee_view = served.open_modal(f"talk <@{priya}>", user=lee)
    stolen = served.submit(lee_view, sr.radio_answer("no"), user=sam).json()
    assert "isn't yours" in flat(stolen)
    assert rows(served, "SELECT version FROM flow_sessions WHERE id = :i",
                i=json.loads(lee_view["private_metadata"])["sid"]) == [(1,)]
    refused = served.command(f"talk <@{priya}>", user=sam)
    assert refused.status == 200
    assert fake.wait_for_response(sam, containing="reports to Lee Wong")


def test_app_home_shows_plans_and_a_replayed_event_is_processed_once(served, fake):
    mgr, rep = person(fake, "Priya Nair"), person(fake, "Nia Diaz")
    walk_talk(served, mgr, rep)
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == mgr)  # refreshed after the talk
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == rep)
    mine = lambda c: c.body.get("user_id") == mgr  # noqa: E731
    before = len([c for c in fake.calls_to("views.publish") if mine(c)])
    event = {"type": "app_home_opened", "user": mgr, "channel": "D0PRIYA", "tab": "home",
             "event_ts": str(time.time())}
    first = served.event(event, event_id="EvHOME0001")
    again = served.event(event, event_id="EvHOME0001", extra={"X-Slack-Retry-Num": "1",
                                                               "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status == 200 and again.status == 200
    published = fake.wait_for("views.publish", count=before + 1, where=mine)[-1]
    time.sleep(0.5)
    assert len([c for c in fake.calls_to("views.publish") if mine(c)]) == before + 1
    home = flat(published.body["view"])
    assert "Plan with Nia Diaz" in home and "book 5 discovery calls by Friday" in home
    assert rows(served, "SELECT count(*) FROM slack_events_seen WHERE event_id = 'EvHOME0001'") == [(1,)]


@pytest.mark.parametrize("case", ["bad_signature", "old_timestamp", "missing_signature"])
def test_forged_and_stale_requests_are_rejected_and_nothing_is_stored(served, fake, case):
    user = f"U0FORGE{case[:3].upper()}"
    body, ctype = sr.command_body("talk <@U0ALEX>", user=user, team=fake.team_id, response_url=fake.response_url(),
                                  trigger_id=fake.trigger())
    calls_before = len(fake.calls)
    if case == "bad_signature":
        reply = served.post_signed(body, ctype, secret="not-the-secret")
    elif case == "old_timestamp":
        reply = served.post_signed(body, ctype, timestamp=int(time.time()) - 6 * 60)
    else:
        reply = served.request("POST", "/slack/events", body, {"Content-Type": ctype})
    assert reply.status == 401
    time.sleep(0.3)
    assert len(fake.calls) == calls_before
    assert rows(served, "SELECT count(*) FROM people WHERE platform_user_id = :u", u=user) == [(0,)]


def test_a_workspace_that_is_not_installed_is_told_so_and_nothing_is_stored(served, fake):
    reply = served.command("talk <@U0ALEX>", user="U0STRANGER", team="T0OTHER")
    assert reply.status == 200
    told = fake.wait_for_response("U0STRANGER")  # Bolt answers through the command's response_url
    assert "isn't installed in this workspace" in flat(told)
    assert rows(served, "SELECT count(*) FROM workspaces WHERE external_id = 'T0OTHER'") == [(0,)]
    assert rows(served, "SELECT count(*) FROM people WHERE platform_user_id = 'U0STRANGER'") == [(0,)]


def test_oversized_and_malformed_bodies_are_refused(served):
    huge = "text=" + "x" * (2 * 1024 * 1024)
    assert served.post_signed(huge, "application/x-www-form-urlencoded").status == 413
    broken = served.post_signed('{"type": "event_callback", "event": ', "application/json")
    assert broken.status == 400 and "malformed body" in broken.text


def test_health_reports_the_database(served):
    reply = served.get("/healthz")
    assert reply.status == 200 and reply.json() == {"ok": True, "database": "up"}


def test_settings_modal_validates_and_saves(served, fake):
    me = person(fake, "Sam Rivera", tz="Europe/London")
    view = served.open_modal("settings", user=me)
    assert view["callback_id"] == "settings"
    values = {
        "tz": {"value": {"type": "plain_text_input", "value": "Mars/Olympus"}},
        "work_start": {"value": {"type": "timepicker", "selected_time": "08:30"}},
        "work_end": {"value": {"type": "timepicker", "selected_time": "17:00"}},
        "work_days": {"value": {"type": "checkboxes", "selected_options": [{"value": d} for d in
                                                                           ("sun", "mon", "tue", "wed", "thu")]}},
    }
    bad = served.submit(view, values, user=me).json()
    assert bad["response_action"] == "errors" and "Mars/Olympus" in bad["errors"]["tz"]
    values["tz"]["value"]["value"] = "Asia/Dubai"
    assert served.submit(view, values, user=me).text == ""  # closes the modal
    saved = rows(served, "SELECT tz, tz_override, work_start, work_end, work_days FROM people "
                         "WHERE platform_user_id = :u", u=me)
    assert saved == [("Europe/London", "Asia/Dubai", "08:30", "17:00", "mon,tue,wed,thu,sun")]
    assert rows(served, "SELECT fewer_messages FROM people WHERE platform_user_id = :u", u=me) == [(False,)]
    # "fewer messages" ticked: one scheduled message a day, and the modal shows it ticked next time
    view = served.open_modal("settings", user=me)
    box = next(b for b in view["blocks"] if b.get("block_id") == "fewer")["element"]
    assert "initial_options" not in box
    values["fewer"] = {"value": {"type": "checkboxes", "selected_options": [{"value": "fewer"}]}}
    assert served.submit(view, values, user=me).text == ""
    assert rows(served, "SELECT fewer_messages FROM people WHERE platform_user_id = :u", u=me) == [(True,)]
    view = served.open_modal("settings", user=me)
    box = next(b for b in view["blocks"] if b.get("block_id") == "fewer")["element"]
    assert [o["value"] for o in box["initial_options"]] == ["fewer"]


def test_start_a_talk_from_app_home_by_picking_the_rep(served, fake):
    mgr, rep = person(fake, "Ana Lopez"), person(fake, "Ben Ode")
    served.click("home_start_talk", "", user=mgr, container="view", view={"id": "VHOME", "type": "home"})
    picker = fake.wait_for("views.open", where=lambda c: c.body["view"].get("callback_id") == "pick_rep")[-1]
    values = {"rep": {"value": {"type": "users_select", "selected_user": rep}}}
    first = served.submit(picker.body["view"], values, user=mgr).json()
    assert first["response_action"] == "update"
    assert json.loads(first["view"]["private_metadata"])["step"] == "raised_before"
    assert "Have you already talked to Ben Ode about this?" in flat(first["view"])
    myself = served.submit(picker.body["view"], {"rep": {"value": {"type": "users_select", "selected_user": mgr}}},
                           user=mgr).json()
    assert myself["response_action"] == "errors" and "That's you" in myself["errors"]["rep"]


def test_a_stuck_rep_checks_in_and_the_manager_hears_at_once(served, fake):
    mgr, rep = person(fake, "Cleo Hart"), person(fake, "Dev Rao")
    walk_talk(served, mgr, rep)
    view = served.open_modal("checkin", user=rep)
    assert "How is your plan with Cleo Hart going this week?" in flat(view)
    view = served.submit(view, sr.radio_answer("stuck"), user=rep).json()["view"]
    done = served.submit(view, sr.text_answer("The Acme contact left <!here>"), user=rep).json()
    assert "Check-in" in flat(done["view"])
    alert = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                          and "checked in: stuck" in c.body.get("text", ""))[-1]
    assert "&lt;!here&gt;" in flat(alert.body) and "<!here>" not in flat(alert.body)
    assert rows(served, "SELECT kind, status FROM checkins c JOIN people p ON p.id = c.rep_id "
                        "WHERE p.platform_user_id = :u", u=rep) == [("rep", "stuck")]
    served.command(f"checkin <@{rep}>", user=mgr)
    assert fake.wait_for_response(mgr, containing="Noted: you checked in with Dev Rao")


def test_pause_and_resume(served, fake):
    me = person(fake, "Eli Moss")
    served.command("pause 2w", user=me)
    assert fake.wait_for_response(me, containing="Paused until")
    paused = rows(served, "SELECT paused_until FROM people WHERE platform_user_id = :u", u=me)[0][0]
    assert paused is not None
    served.command("resume", user=me)
    assert fake.wait_for_response(me, containing="nudges are on again")
    assert rows(served, "SELECT paused_until FROM people WHERE platform_user_id = :u", u=me) == [(None,)]


def test_a_dm_to_the_bot_gets_the_help(served, fake):
    me = person(fake, "Fay Lin")
    reply = served.event({"type": "message", "channel": "D0FAY", "channel_type": "im", "user": me, "text": "hello?",
                          "ts": str(time.time())})
    assert reply.status == 200
    answer = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == "D0FAY")[-1]
    assert "/coach talk @rep" in flat(answer.body)


def test_socket_mode_receives_a_command_over_the_websocket(fake, tmp_path):
    s = Served(fake, tmp_path, extra_env={"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": ""})
    try:
        fake.wait_for("apps.connections.open")
        deadline = time.monotonic() + 10
        while not fake.sockets and time.monotonic() < deadline:
            time.sleep(0.05)
        me = person(fake, "Gus Webb")
        payload = dict(x.split("=", 1) for x in sr.command_body("plans", user=me, team=fake.team_id,
                                                                response_url=fake.response_url(f"{me}-1"),
                                                                trigger_id=fake.trigger())[0]
                       .split("&"))
        from urllib.parse import unquote_plus
        payload = {k: unquote_plus(v) for k, v in payload.items()}
        fake.push({"envelope_id": "env-1", "type": "slash_commands", "payload": payload,
                   "accepts_response_payload": True})
        assert fake.wait_for_socket_message("env-1")["envelope_id"] == "env-1"
        assert fake.wait_for_response(me, containing="No open plans")
        assert s.request("POST", "/slack/events", "x=1").status == 404  # no unverifiable HTTP endpoint
        assert "Socket Mode" in s.output()
    finally:
        s.stop()


def test_global_shortcut_opens_the_rep_picker(served, fake):
    me = person(fake, "Hal Ng")
    trig = fake.trigger()
    payload = {"type": "shortcut", "callback_id": "start_talk", "trigger_id": trig,
               "team": {"id": fake.team_id, "domain": "acme"}, "user": {"id": me, "username": "hal", "team_id": fake.team_id},
               "api_app_id": "A0001", "token": "deprecated", "action_ts": str(time.time()), "is_enterprise_install": False}
    body, ctype = sr.interaction_body(payload)
    assert served.post_signed(body, ctype).status == 200
    opened = fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1]
    assert opened.body["view"]["callback_id"] == "pick_rep"
