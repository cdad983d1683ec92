"""A loss prompt Slack doesn't answer for (a network failure after the client's retries) is said plainly,
with what is true then: the retrospective is saved, and its rep starts it with /coach retro."""
from __future__ import annotations

from tests.bot.slack.test_slack_retro import CHANNEL, fake  # noqa: F401
from tests.support import slack_requests as sr
from tests.support.lines import confirm_served
from tests.support.served import flat, new_person as person, query as rows


def test_a_lost_command_whose_prompt_slack_never_answers_says_the_retrospective_is_saved(served, fake):
    mgr, rep = person(fake, "Tess Wirth"), person(fake, "Uri Dahan")
    confirm_served(served, mgr, rep)
    fake.slow("chat.postMessage", 11)  # longer than the app's 10 s timeout, which no retry follows
    try:
        served.command(f"lost Cyberdyne 7k <@{rep}>", user=mgr, channel=CHANNEL)
        fake.wait_for("chat.postMessage", where=lambda c: "Cyberdyne" in flat(c.body))
    finally:
        fake.slow("chat.postMessage", 0)
    said = flat(fake.wait_for_response(mgr, containing="Slack didn't answer", timeout=25)[-1])
    assert "retrospective prompt for Cyberdyne" in said and "may not be showing" in said
    assert "The retrospective is saved: Uri Dahan can start it with /coach retro." in said
    assert "went wrong" not in flat(fake.wait_for_response(mgr))  # not the catch-all apology
    assert rows(served, "SELECT status FROM retrospectives WHERE deal_name = 'Cyberdyne'") == [("pending",)]
    served.command("retro", user=rep)  # and it does start that way
    assert "What was the main reason Cyberdyne was lost?" in flat(fake.wait_for("views.open")[-1].body)


def test_a_shortcut_loss_whose_prompt_slack_refuses_is_said_in_the_channel(served, fake):
    """The lost-deal form is closed by the time the prompt is posted: what kept it from the channel is said
    to the person privately there (it was dropped before)."""
    mgr, rep = person(fake, "Vic Amari"), person(fake, "Wen Zhou")
    confirm_served(served, mgr, rep)
    post = {"type": "message", "text": "Deal *Tyrell* moved to Closed Lost — $8,000", "bot_id": "BCRM",
            "ts": "1700000000.000300"}
    trigger = fake.trigger()
    body, ctype = sr.interaction_body(sr.message_shortcut("start_loss_retro", post, user=mgr, team=fake.team_id,
                                                          channel=CHANNEL, trigger_id=trigger))
    assert served.post_signed(body, ctype).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1])
    values = {"deal": {"value": {"type": "plain_text_input", "value": "Tyrell"}},
              "amount": {"value": {"type": "plain_text_input", "value": "$8,000"}},
              "rep": {"value": {"type": "users_select", "selected_user": rep}}}
    fake.fail("chat.postMessage", 500, times=3, match=lambda b: b.get("channel") == CHANNEL)  # 5xx, retried twice
    assert served.submit(view, values, user=mgr).status == 200
    note = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == mgr
                         and "couldn't post the retrospective prompt" in flat(c.body))[-1]
    assert note.body["channel"] == CHANNEL and "/coach retro" in flat(note.body)
    assert rows(served, "SELECT count(*) FROM retrospectives WHERE deal_name = 'Tyrell'") == [(1,)]
