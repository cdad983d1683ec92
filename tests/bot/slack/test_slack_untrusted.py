"""Untrusted input over Slack's Socket Mode, which reaches Bolt without passing the HTTP body reader."""
from __future__ import annotations

import json
import time

import pytest

from tests.support.evidence import attempted
from tests.support.pgdb import fresh_pg_database
from tests.support.served import Served, flat, new_person


def test_nul_over_socket_mode_is_dropped_too(fake, pg_server, tmp_path):
    with fresh_pg_database(pg_server) as url:
        s = Served(fake, tmp_path, database_url=url, extra_env={"SLACK_APP_TOKEN": "xapp-1-test",
                                                                "SLACK_SIGNING_SECRET": ""})
        try:
            fake.wait_for("apps.connections.open")
            deadline = time.monotonic() + 10
            while not fake.sockets and time.monotonic() < deadline:
                time.sleep(0.05)
            me = new_person(fake, "Socket Typist")
            payload = {"team_id": fake.team_id, "user_id": me, "user_name": "socket", "command": "/coach",
                       "text": "settings tz Europe/Berlin\x00", "channel_id": "C0GENERAL",
                       "response_url": fake.response_url(f"{me}-1"), "trigger_id": fake.trigger()}
            fake.push({"envelope_id": "env-nul", "type": "slash_commands", "payload": payload,
                       "accepts_response_payload": True})
            fake.wait_for_socket_message("env-nul")
            said = flat(fake.wait_for_response(me))
            attempted("NUL character over Socket Mode", "Saved" in said)
            assert "Saved" in said, said
        finally:
            s.stop()


@pytest.mark.parametrize("value", ["9" * 30, "-5", "0"])
def test_a_retrospective_button_naming_an_impossible_id_is_told_it_does_not_exist(served, fake, value):
    me = new_person(fake, "Button Forger")
    fake.join("C0GENERAL")
    reply = served.click("retro_start", value, user=me, container="message", channel="C0GENERAL",
                         message_ts="1700000000.000200")
    told = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == me)[-1]
    refused = reply.status == 200 and "doesn't exist" in flat(told.body)
    attempted("impossible id in a button", refused)
    assert refused, flat(told.body)


# ---- forged modal submissions -------------------------------------------------------------------
# Only Slack sends view_submission payloads, but a signed request can carry anything: every form of
# ours must answer a missing field, a field of the wrong type or an unknown extra block with a clear
# acknowledgement (errors under the field, or a notice), never a 500.

WRONG_VALUES = {  # element type -> (its value key, a value of the wrong type or form)
    "plain_text_input": ("value", 42),
    "timepicker": ("selected_time", "25:99"),
    "datepicker": ("selected_date", ["2026-01-01"]),
    "users_select": ("selected_user", {"id": "U0X"}),
    "radio_buttons": ("selected_option", "yes"),
    "checkboxes": ("selected_options", "mon"),
    "number_input": ("value", 7),
}
EXTRA = {"zz_extra": {"value": {"type": "plain_text_input", "value": "not a field of ours"}}}
EXTRA_BLOCK = {"type": "input", "block_id": "zz_extra", "label": {"type": "plain_text", "text": "Extra"},
               "element": {"type": "plain_text_input", "action_id": "value"}}


def forms(served, fake) -> list[tuple[str, dict, dict, str]]:
    """Every form coachbot registers for view_submission: (callback_id, the view as opened, valid
    state values, who submits it)."""
    from bot.core.nudge_actions import AskCount
    from bot.slack import blocks, pulse
    from tests.support import slack_requests as sr
    from tests.support.lines import confirm_served

    me, rep = new_person(fake, "Form Forger"), new_person(fake, "Form Rep")
    fake.join("C0GENERAL")
    confirm_served(served, me, rep)
    step = served.open_modal(f"talk <@{rep}>", user=me)
    assert step["callback_id"] == blocks.FLOW_STEP
    days = [{"text": {"type": "plain_text", "text": "Monday"}, "value": "mon"}]
    return [
        (blocks.SETTINGS, served.open_modal("settings", user=me), {
            "tz": {"value": {"type": "plain_text_input", "value": None}},
            "work_start": {"value": {"type": "timepicker", "selected_time": "09:00"}},
            "work_end": {"value": {"type": "timepicker", "selected_time": "17:00"}},
            "work_days": {"value": {"type": "checkboxes", "selected_options": days}}}, me),
        (blocks.PICK_REP, blocks.pick_rep_view(), {"rep": {"value": {"type": "users_select", "selected_user": rep}}}, me),
        (blocks.LOST_DEAL, blocks.lost_deal_view("Forged deal", "12k", rep, "C0GENERAL", None), {
            "deal": {"value": {"type": "plain_text_input", "value": "Forged deal"}},
            "amount": {"value": {"type": "plain_text_input", "value": "12k"}},
            "rep": {"value": {"type": "users_select", "selected_user": rep}}}, me),
        (blocks.FLOW_STEP, step, sr.radio_answer("no"), me),  # the talk's first step; its answer advances it
        (pulse.PULSE_COUNT, pulse.count_view(AskCount(999_999, "How many new opportunities this week?")),
         {pulse.COUNT_BLOCK: {"value": {"type": "number_input", "value": "7"}}}, me),  # a pulse nobody owns
    ]


def test_every_form_we_register_is_in_the_forged_submission_table():
    """A form added later must be attacked too: the listeners' registrations name exactly these."""
    import re
    from pathlib import Path

    import bot.slack.listeners as listeners
    from bot.slack import blocks, pulse

    source = Path(listeners.__file__).read_text()
    modules = {"blocks": blocks, "pulse": pulse}
    registered = {getattr(modules[m], name) for m, name in re.findall(r"app\.view\((\w+)\.(\w+)\)", source)}
    assert registered == {blocks.SETTINGS, blocks.PICK_REP, blocks.LOST_DEAL, blocks.FLOW_STEP, pulse.PULSE_COUNT}


def _ack(reply) -> dict:
    return reply.json() if reply.text.startswith("{") else {}


def test_a_forged_submission_of_any_form_is_answered_clearly_never_with_a_500(served, fake):
    table = forms(served, fake)
    tried = 0

    def answered(kind: str, callback: str, reply, clear: bool) -> None:
        nonlocal tried
        tried += 1
        refused_by_double = [r for r in fake.take_refusals() if r[0] == "view_submission ack"]
        ok = reply.status == 200 and clear and not refused_by_double
        attempted(f"forged view_submission: {kind}", ok)
        assert ok, (callback, kind, reply.status, reply.text[:400], refused_by_double)

    for callback, view, valid, user in table:
        fields = set(valid)
        # Every field missing: errors under each of them.
        reply = served.submit(view, {}, user=user)
        ack = _ack(reply)
        answered("every field missing", callback, reply,
                 ack.get("response_action") == "errors" and set(ack["errors"]) == fields)
        # The values not even an object: the form is replaced by a notice saying nothing was saved.
        reply = served.submit(view, ["not", "an", "object"], user=user)
        ack = _ack(reply)
        answered("state values not an object", callback, reply,
                 ack.get("response_action") == "update" and "nothing was saved" in flat(ack["view"]))
        for field in sorted(fields):
            element = valid[field]["value"]
            key, wrong = WRONG_VALUES[element["type"]]
            for label, bad in (("a field of the wrong type", {**element, key: wrong}),
                               ("a field that is not an object", "just text")):
                reply = served.submit(view, {**valid, field: {"value": bad}}, user=user)
                ack = _ack(reply)
                answered(label, callback, reply, ack.get("response_action") == "errors" and set(ack["errors"]) == {field})
            # The block is gone from the form as well: nothing to put an error under, so a notice.
            without = {**view, "blocks": [b for b in view["blocks"] if b.get("block_id") != field]}
            reply = served.submit(without, {k: v for k, v in valid.items() if k != field}, user=user)
            ack = _ack(reply)
            answered("a field missing from the form itself", callback, reply,
                     ack.get("response_action") == "update" and "nothing was saved" in flat(ack["view"]))
        # An extra block nobody asked for is ignored: the form is read as it would be without it.
        reply = served.submit({**view, "blocks": view["blocks"] + [EXTRA_BLOCK]}, {**valid, **EXTRA}, user=user)
        ack = _ack(reply)
        answered("an extra unknown block", callback, reply, "zz_extra" not in json.dumps(ack.get("errors") or {}))
    assert tried >= 4 * 5


def test_a_forged_submission_of_a_modal_without_a_submit_button_is_closed_not_a_500(served, fake):
    """Notices, summaries and the *Show all* list have no submit button, so only a forged request
    submits them (or names a form we never had): the answer closes the modal and saves nothing."""
    from bot.slack import blocks

    me = new_person(fake, "Notice Forger")
    for callback in ("notice", "flow_done", "home_items", "no_such_form", ""):
        view = {**blocks.notice_view("Forged", "Nothing to submit here."), "callback_id": callback}
        reply = served.submit(view, {"answer": {"value": {"type": "plain_text_input", "value": "x"}}}, user=me)
        closed = reply.status == 200 and reply.text in ("", "{}")
        attempted("forged view_submission: a modal without a submit button", closed)
        assert closed, (callback, reply.status, reply.text[:200])


def test_a_forged_submission_whose_view_is_not_slacks_shape_is_answered_not_a_500(served, fake):
    """Bolt itself reads a submission's view.type and view.callback_id unchecked; a signed request
    without them (or with a view that is no object) must still get an answer."""
    from tests.support import slack_requests as sr

    me = new_person(fake, "Shape Forger")
    for kind in ("view_submission", "view_closed"):
        for view in ("settings", ["callback_id"], {"callback_id": 5, "type": "modal"}, {"callback_id": None},
                     {"callback_id": "settings"}, {"callback_id": "settings", "type": "modal", "state": None},
                     {"callback_id": "flow_step", "type": "modal", "private_metadata": "{\"sid\": [1]}"}):
            payload = {"type": kind, "team": {"id": fake.team_id}, "user": {"id": me, "team_id": fake.team_id},
                       "api_app_id": "A0001", "view": view}
            reply = served.post_signed(*sr.interaction_body(payload))
            # A submission is closed or shown a notice; a closing we have no listener for is Bolt's 404.
            answered = (reply.status == 200 and (reply.text in ("", "{}")
                                                 or json.loads(reply.text).get("response_action") == "update")) \
                or (kind == "view_closed" and reply.status == 404)
            attempted("forged view_submission: a view not in Slack's shape", answered)
            assert answered, (kind, view, reply.status, reply.text[:200])
