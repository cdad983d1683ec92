"""Loss retrospectives in Slack: the channel prompt, who may start it, the modal flow, thread and DMs."""
from __future__ import annotations

import time

import pytest

from storage.crypto import NotesCipher
from tests.support import slack_requests as sr
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import Served, flat, new_person as person, query as rows
from tests.support.lines import confirm_served

CHANNEL = "C0DEALS"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.join(CHANNEL)  # the deal channel coachbot was invited to
    yield f
    f.stop()
def lost_in_channel(served, fake, manager, rep, deal="Acme renewal 12k"):
    confirm_served(served, manager, rep)
    served.command(f"lost {deal} <@{rep}>", user=manager, channel=CHANNEL)
    post = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == CHANNEL
                         and rep in flat(c.body))[-1]
    return post


def walk_retro(served: Served, rep: str, view: dict, *, share: str = "manager", lesson: str | None = None):
    steps = [
        sr.radio_answer("price"),
        {"answer": {"value": {"type": "checkboxes", "selected_options": [{"value": "timing"}]}}},
        sr.radio_answer("our_read"),   # -> hint: price with no evidence
        None,                          # submit the same again to keep it
        sr.radio_answer("yes"),        # a debrief with the buyer
        sr.text_answer("4"),
        sr.radio_answer("mostly_us"),
        sr.text_answer("Proposal"),
        sr.text_answer("Moved to proposal before we knew who signs"),
        sr.radio_answer("partly"),
        sr.radio_answer("mostly"),
        sr.text_answer(lesson or "I will confirm the signer and budget before any proposal."),
        sr.text_answer("Globex renewal — confirm the signer by Friday"),
        sr.radio_answer(share),
    ]
    last_values = None
    reply = None
    for values in steps:
        values = last_values if values is None else values
        reply = served.submit(view, values, user=rep).json()
        assert reply.get("response_action") == "update", reply
        view = reply["view"]
        last_values = values
    return reply


def test_lost_deal_prompt_then_the_rep_fills_it_in_and_everyone_hears(served, fake):
    mgr, rep = person(fake, "Sam Rivera"), person(fake, "Alex Chen")
    post = lost_in_channel(served, fake, mgr, rep)
    assert "*Acme renewal* (12,000) was lost" in flat(post.body) and f"<@{rep}>" in flat(post.body)
    button = post.body["blocks"][1]["elements"][0]
    assert button["action_id"] == "retro_start"
    deadline = time.monotonic() + 10  # the app records the message ts once Slack has answered the post
    while not (prompt_ts := rows(served, "SELECT message_ts FROM retrospectives WHERE id = :i",
                                 i=int(button["value"]))[0][0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert prompt_ts  # the channel message is remembered, for the thread

    trig = fake.trigger()
    assert served.click("retro_start", button["value"], user=rep, channel=CHANNEL, message_ts=prompt_ts,
                        trigger_id=trig).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
    assert "What was the main reason Acme renewal was lost?" in flat(view)

    final = walk_retro(served, rep, view, share="channel")
    assert "Loss retrospective — summary" in flat(final["view"])
    thread = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("thread_ts") == prompt_ts)[-1]
    assert "lost mainly on price" in flat(thread.body) and "confirm the signer and budget" in flat(thread.body)
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == mgr
                       and "Acme renewal" in flat(c.body) and "retrospective" in flat(c.body).lower())[-1]
    assert "Moved to proposal before we knew who signs" in flat(dm.body)  # the manager gets the whole thing
    (status, primary, secondary, scope, answers), = rows(
        served, "SELECT status, primary_reason, secondary_reasons, share_scope, answers_encrypted FROM retrospectives "
                "WHERE id = :i", i=int(button["value"]))
    assert (status, primary, secondary, scope) == ("done", "price", "timing", "channel")
    assert "signer" not in answers and NotesCipher(served.key).decrypt(answers)["debrief"] is True
    followups = rows(served, "SELECT f.due_on FROM followups f JOIN people p ON p.id = f.person_id "
                             "WHERE p.platform_user_id = :u ORDER BY f.id", u=rep)
    assert len(followups) == 2  # the deal at the same risk, and the debrief to ask for


def test_price_without_evidence_gets_a_hint(served, fake):
    mgr, rep = person(fake, "Kim Park"), person(fake, "Jo Bloggs")
    post = lost_in_channel(served, fake, mgr, rep, deal="Initech")
    view = served.open_modal("retro", user=rep)
    view = served.submit(view, sr.radio_answer("price"), user=rep).json()["view"]
    view = served.submit(view, {"answer": {"value": {"type": "checkboxes", "selected_options": []}}},
                         user=rep).json()["view"]
    hinted = served.submit(view, sr.radio_answer("our_read"), user=rep).json()["view"]
    assert "nobody heard it from the buyer" in flat(hinted)
    assert post


def test_manager_only_sharing_keeps_the_details_out_of_the_channel(served, fake):
    mgr, rep = person(fake, "Lee Wong"), person(fake, "Priya Nair")
    lost_in_channel(served, fake, mgr, rep, deal="Globex 8k")
    view = served.open_modal("retro", user=rep)
    walk_retro(served, rep, view, share="manager", lesson="I will multi-thread earlier, secret detail here.")
    reply = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == CHANNEL
                          and "finished the retrospective on Globex" in flat(c.body))[-1]
    assert "secret detail" not in flat(reply.body) and reply.body.get("thread_ts")


def test_anyone_else_who_clicks_gets_a_polite_ephemeral_note(served, fake):
    mgr, rep, bystander = person(fake, "Ana Lopez"), person(fake, "Ben Ode"), person(fake, "Cy Young")
    post = lost_in_channel(served, fake, mgr, rep, deal="Umbrella")
    value = post.body["blocks"][1]["elements"][0]["value"]
    assert served.click("retro_start", value, user=bystander, channel=CHANNEL, message_ts="1.1").status == 200
    note = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == bystander)[-1]
    assert "Thanks for the help!" in flat(note.body) and note.body["channel"] == CHANNEL
    assert rows(served, "SELECT status FROM retrospectives WHERE id = :i", i=int(value)) == [("pending",)]


def test_the_same_deal_twice_opens_one_retrospective(served, fake):
    mgr, rep = person(fake, "Dee Ray"), person(fake, "Eve Li")
    lost_in_channel(served, fake, mgr, rep, deal="Hooli 5k")
    served.command(f"lost Hooli <@{rep}>", user=mgr, channel=CHANNEL)
    assert fake.wait_for_response(mgr, containing="already has a retrospective")
    assert rows(served, "SELECT count(*) FROM retrospectives r JOIN people p ON p.id = r.rep_id "
                        "WHERE p.platform_user_id = :u", u=rep) == [(1,)]


def test_only_the_rep_or_their_manager_can_log_the_loss(served, fake):
    mgr, rep, other = person(fake, "Fay Lin"), person(fake, "Gus Webb"), person(fake, "Hal Ng")
    confirm_served(served, mgr, rep)
    served.command(f"lost Vandelay <@{rep}>", user=other)
    assert fake.wait_for_response(other, containing="Only Gus Webb or their manager")


def test_without_access_to_the_channel_the_rep_gets_the_prompt_directly(served, fake):
    mgr, rep = person(fake, "Ida Moss"), person(fake, "Jay Kim")
    confirm_served(served, mgr, rep)
    fake.fail("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"},
              match=lambda body: body.get("channel") == CHANNEL)
    served.command(f"lost Stark <@{rep}>", user=mgr, channel=CHANNEL)
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == rep and "Stark" in flat(c.body))
    assert dm
    assert fake.wait_for_response(mgr, containing="I'm not in that channel")


def test_message_shortcut_prefills_and_posts_in_the_thread(served, fake):
    mgr, rep = person(fake, "Kai Sun"), person(fake, "Lou Bell")
    confirm_served(served, mgr, rep)
    crm_post = {"type": "message", "text": "Deal *Wayne Enterprises* moved to Closed Lost — $40,000",
                "bot_id": "BCRM", "ts": "1700000000.000100"}
    trig = fake.trigger()
    body, ctype = sr.interaction_body(sr.message_shortcut("start_loss_retro", crm_post, user=mgr, team=fake.team_id,
                                                          channel=CHANNEL, trigger_id=trig))
    assert served.post_signed(body, ctype).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trig)[-1])
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["deal"]["element"]["initial_value"] == "Wayne Enterprises"
    assert by_id["amount"]["element"]["initial_value"] == "$40,000"
    values = {"deal": {"value": {"type": "plain_text_input", "value": "Wayne Enterprises"}},
              "amount": {"value": {"type": "plain_text_input", "value": "12 apples"}},
              "rep": {"value": {"type": "users_select", "selected_user": rep}}}
    bad = served.submit(view, values, user=mgr).json()
    assert bad["response_action"] == "errors" and "isn't an amount" in bad["errors"]["amount"]
    values["amount"]["value"]["value"] = "$40,000"
    assert served.submit(view, values, user=mgr).status == 200
    post = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("thread_ts") == "1700000000.000100")[-1]
    assert "*Wayne Enterprises* (40,000) was lost" in flat(post.body)
    assert rows(served, "SELECT source, amount FROM retrospectives WHERE deal_name = 'Wayne Enterprises'") == \
        [("command", 40000.0)]


def test_report_for_the_manager_with_a_chart_in_their_dm(served, fake):
    mgr, rep = person(fake, "Mo Diaz"), person(fake, "Nia Diaz")
    lost_in_channel(served, fake, mgr, rep, deal="Massive Dynamic")
    view = served.open_modal("retro", user=rep)
    walk_retro(served, rep, view)
    served.command("report 30d", user=mgr)
    report = [r for r in fake.wait_for_response(mgr, containing="Loss reasons") if "Loss reasons" in flat(r)][-1]
    assert "Price" in flat(report) and "100%" in flat(report)
    complete = fake.wait_for("files.completeUploadExternal")[-1]
    file_id = complete.body["files"][0]["id"]
    assert b"\x89PNG" in fake.uploads[file_id]
    assert complete.body["channel_id"].startswith("D")  # the DM, never a channel


def test_an_install_without_files_write_is_told_which_permission_the_chart_needs(served, fake):
    from tests.support.fakes.slack_api import manifest_scopes

    mgr, rep = person(fake, "Ola Berg"), person(fake, "Pat Kim")
    lost_in_channel(served, fake, mgr, rep, deal="Soylent")
    walk_retro(served, rep, served.open_modal("retro", user=rep))
    fake.grant(fake.bot_token, manifest_scopes() - {"files:write"})  # installed before the chart existed
    try:
        served.command("report 30d", user=mgr)
        told = fake.wait_for_response(mgr, containing="files:write")[-1]
    finally:
        fake.scopes.pop(fake.bot_token)
    assert "missing the “files:write” permission, so the chart of /coach report doesn't work" in flat(told)
    assert "installing coachbot again" in flat(told)
    assert "Loss reasons" in flat(fake.wait_for_response(mgr, containing="Loss reasons"))  # the report itself came
    assert {r[1] for r in fake.take_refusals()} == {"missing_scope"}
    seen = fake.responses_for(mgr)
    served.command("report 30d", user=mgr)  # re-installed: the chart arrives and nobody is told again
    fake.wait_for("files.completeUploadExternal", where=lambda c: c.token == fake.bot_token, count=2)
    time.sleep(0.3)
    assert "files:write" not in flat(fake.wait_for_response(mgr, count=seen + 1)[seen:])
