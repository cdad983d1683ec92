"""A retrospective's form Slack won't open (its trigger expired after 3 s) is said, not silent: privately in
the channel the button or shortcut was pressed in, else in a DM; pressing again opens it."""
from __future__ import annotations

from bot.slack.listeners.nudges import NOT_OPENED
from bot.slack.listeners.retros import NOT_OPENED_LOSS_SHORTCUT
from tests.bot.slack.test_slack_form_refused import expired, opened
from tests.bot.slack.test_slack_retro import CHANNEL, fake, lost_in_channel  # noqa: F401
from tests.support import slack_requests as sr
from tests.support.lines import confirm_served
from tests.support.served import flat, new_person as person, query as rows

NOT_SHOWN = "didn't let me open the form in time"


def test_a_retrospective_whose_form_slack_refuses_is_said_in_the_channel_and_opens_on_the_next_press(served, fake):
    mgr, rep = person(fake, "Noor Haddad"), person(fake, "Oren Pike")
    value = lost_in_channel(served, fake, mgr, rep, deal="Massive Dynamic").body["blocks"][1]["elements"][0]["value"]
    assert served.click("retro_start", value, user=rep, channel=CHANNEL, message_ts="1.1",
                        trigger_id=expired(fake)).status == 200
    note = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == rep
                         and NOT_SHOWN in flat(c.body))[-1]
    assert note.body["channel"] == CHANNEL and NOT_OPENED.split(": ")[1] in flat(note.body)
    assert [r[1] for r in fake.take_refusals()] == ["expired_trigger_id"]
    assert rows(served, "SELECT status FROM retrospectives WHERE id = :i", i=int(value)) == [("in_progress",)]
    trigger = fake.trigger()
    served.click("retro_start", value, user=rep, channel=CHANNEL, message_ts="1.1", trigger_id=trigger)
    assert "What was the main reason Massive Dynamic was lost?" in flat(opened(fake, trigger))


def test_a_press_with_no_channel_hears_of_the_refused_form_in_a_dm(served, fake):
    mgr, rep = person(fake, "Pia Lund"), person(fake, "Quin Abara")
    value = lost_in_channel(served, fake, mgr, rep, deal="Stark Industries").body["blocks"][1]["elements"][0]["value"]
    assert served.click("retro_start", value, user=rep, trigger_id=expired(fake)).status == 200
    dm = fake.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == rep
                       and NOT_SHOWN in flat(c.body))[-1]
    assert NOT_OPENED.split(": ")[1] in flat(dm.body)
    assert [r[1] for r in fake.take_refusals()] == ["expired_trigger_id"]


def test_a_loss_shortcut_whose_form_slack_refuses_is_said_in_the_channel(served, fake):
    mgr, rep = person(fake, "Rae Olsen"), person(fake, "Sol Baptiste")
    confirm_served(served, mgr, rep)
    crm_post = {"type": "message", "text": "Deal *Oscorp* moved to Closed Lost — $9,000", "bot_id": "BCRM",
                "ts": "1700000000.000200"}

    def shortcut(trigger: str):
        body, ctype = sr.interaction_body(sr.message_shortcut("start_loss_retro", crm_post, user=mgr,
                                                              team=fake.team_id, channel=CHANNEL, trigger_id=trigger))
        assert served.post_signed(body, ctype).status == 200

    shortcut(expired(fake))
    note = fake.wait_for("chat.postEphemeral", where=lambda c: c.body.get("user") == mgr
                         and NOT_SHOWN in flat(c.body))[-1]
    assert note.body["channel"] == CHANNEL and NOT_OPENED_LOSS_SHORTCUT.split(": ")[1] in flat(note.body)
    assert [r[1] for r in fake.take_refusals()] == ["expired_trigger_id"]
    trigger = fake.trigger()
    shortcut(trigger)
    by_id = {b.get("block_id"): b for b in opened(fake, trigger)["blocks"]}
    assert by_id["deal"]["element"]["initial_value"] == "Oscorp"
