"""A manager logs a rep's lost deal in their personal chat with coachbot: the prompt card, with its
Start-retrospective button, goes to the rep's own chat through the outbox and the strict Teams double —
tried again when Teams fails (at least once: Teams keeps no history to check), never dropped."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.bot.teams import test_teams_strict as strict
from tests.bot.teams.test_teams_strict import card_of, due_message, known, last_in, press, retry_now, say, shown
from tests.support.evidence import attempted
from tests.support.served import eventually, query, scalar, utc_text, wait_status

bot = strict.bot  # the strict module's served app and its check that the double refused nothing unexpected
teams_accepted_everything = strict.teams_accepted_everything


def manager_and_rep(teams, bot, suffix: str) -> tuple[str, str]:
    manager, rep = known(teams, bot, f"Loss Manager {suffix}"), known(teams, bot, f"Loss Rep {suffix}")
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)  # a confirmed line
    return manager, rep


def log_lost(teams, bot, manager: str, rep: str, deal: str) -> int:
    """`lost <deal> @rep` in the manager's personal chat; the prompt's row in the outbox."""
    name = teams.users[rep]["name"]
    mention = [{"type": "mention", "mentioned": {"id": rep, "name": name}, "text": f"<at>{name}</at>"}]
    assert say(teams, bot, manager, f"lost {deal} <at>{name}</at>", entities=mention) in (200, 202)
    told = last_in(teams, manager, where=lambda a: "I'm asking" in shown(a))
    assert name in shown(told)
    return eventually(lambda: scalar(bot, "SELECT n.id FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                          "WHERE p.platform_user_id = :r AND n.dedupe_key LIKE 'loss:%'", r=rep))


def prompt_cards(teams, rep: str, deal: str) -> list[dict]:
    return [a for a in teams.sent(teams.personal_chat(rep)) if card_of(a) and f"{deal}**" in shown(a)]


def test_the_prompt_card_reaches_the_reps_chat_and_its_button_opens_the_retrospective(teams, bot):
    manager, rep = manager_and_rep(teams, bot, "A")
    nudge = log_lost(teams, bot, manager, rep, "Contoso 40k")
    _, attempts, _, ref = wait_status(bot, nudge, "sent", timeout=30)
    (activity,) = prompt_cards(teams, rep, "Contoso")
    card = card_of(activity)
    assert attempts == 1 and ref and "(40,000) was lost" in shown(activity)
    (button,) = card["actions"]
    retro = scalar(bot, "SELECT id FROM retrospectives WHERE deal_name = 'Contoso'")
    assert button["title"] == "Start retrospective" and button["data"] == {"coachbot": "retro_start", "retro": retro}
    before = len(teams.sent(teams.personal_chat(rep)))
    press(teams, bot, rep, teams.activities_id(activity), button["data"])
    step = teams.wait_sent(teams.personal_chat(rep), count=before + 1)[-1]
    assert "What was the main reason Contoso was lost?" in shown(step)


def test_a_send_teams_fails_is_tried_again_and_the_card_arrives(teams, bot):
    manager, rep = manager_and_rep(teams, bot, "B")
    teams.fail(503, "", match=lambda body: "Globex" in json.dumps(body) and "retro_start" in json.dumps(body))
    nudge = log_lost(teams, bot, manager, rep, "Globex")
    retry_now(bot, nudge)
    _, attempts, _, _ = wait_status(bot, nudge, "sent", timeout=30)
    assert attempts == 2 and len(prompt_cards(teams, rep, "Globex")) == 1
    assert [r[1] for r in teams.take_refusals()] == [503]


def test_a_channel_post_teams_fails_is_queued_and_posted_there_by_the_dispatcher(teams, bot):
    manager, rep = manager_and_rep(teams, bot, "C")
    channel = teams.channel("Lost deals", [manager, rep])
    name = teams.users[rep]["name"]
    mention = [{"type": "mention", "mentioned": {"id": teams.bot_id, "name": "coachbot"}, "text": "<at>coachbot</at>"},
               {"type": "mention", "mentioned": {"id": rep, "name": name}, "text": f"<at>{name}</at>"}]
    teams.fail(503, "", match=lambda body: "Initech" in json.dumps(body) and "retro_start" in json.dumps(body))
    assert say(teams, bot, manager, f"<at>coachbot</at> lost Initech <at>{name}</at>", conversation=channel,
               entities=mention) in (200, 202)
    assert teams.wait_sent(channel, where=lambda a: "I'll keep trying" in shown(a))
    posted = teams.wait_sent(channel, where=lambda a: card_of(a) and "Initech**" in shown(a), timeout=30)
    assert len(posted) == 1 and [r[1] for r in teams.take_refusals()] == [503]
    retro = scalar(bot, "SELECT id FROM retrospectives WHERE deal_name = 'Initech'")
    nudge = scalar(bot, "SELECT id FROM nudges WHERE dedupe_key = :k", k=f"loss:{retro}")
    _, attempts, _, ref = wait_status(bot, nudge, "sent")
    assert attempts == 1 and ref == teams.activities_id(posted[0])
    # where it went, for the thread the summary is posted in
    assert eventually(lambda: query(bot, "SELECT channel_id, message_ts FROM retrospectives WHERE id = :i", i=retro)
                      == [(channel, ref)])


# ---- a channel's queued prompt: reached through the channel itself, or the rep's chat when it is closed ----

def lost_in_channel(teams, bot, manager: str, rep: str, deal: str, channel: str, *, failures: int = 1) -> int:
    """`@coachbot lost <deal> @rep` in a channel whose first `failures` posts of the prompt Teams answers 503;
    the prompt's row in the outbox once the channel was told it is saved."""
    name = teams.users[rep]["name"]
    mention = [{"type": "mention", "mentioned": {"id": teams.bot_id, "name": "coachbot"}, "text": "<at>coachbot</at>"},
               {"type": "mention", "mentioned": {"id": rep, "name": name}, "text": f"<at>{name}</at>"}]
    teams.fail(503, "", times=failures, match=lambda body: deal in json.dumps(body) and "retro_start" in json.dumps(body))
    assert say(teams, bot, manager, f"<at>coachbot</at> lost {deal} <at>{name}</at>", conversation=channel,
               entities=mention) in (200, 202)
    assert teams.wait_sent(channel, where=lambda a: "I'll keep trying" in shown(a))
    retro = eventually(lambda: scalar(bot, "SELECT id FROM retrospectives WHERE deal_name = :d", d=deal))
    return eventually(lambda: scalar(bot, "SELECT id FROM nudges WHERE dedupe_key = :k", k=f"loss:{retro}"))


def rep_without_chat(teams, bot, manager: str, name: str, channel: str) -> str:
    """A rep who never opened a chat with coachbot, met through a mention in the channel, on `manager`'s line."""
    rep = teams.add_user(name)
    teams.conversations[channel]["members"].add(rep)
    mention = [{"type": "mention", "mentioned": {"id": teams.bot_id, "name": "coachbot"}, "text": "<at>coachbot</at>"},
               {"type": "mention", "mentioned": {"id": rep, "name": name}, "text": f"<at>{name}</at>"}]
    say(teams, bot, manager, f"<at>coachbot</at> lost Warm-up <at>{name}</at>", conversation=channel, entities=mention)
    assert eventually(lambda: scalar(bot, "SELECT count(*) FROM people WHERE platform_user_id = :r", r=rep) == 1)
    query(bot, "UPDATE people SET manager_id = (SELECT id FROM people WHERE platform_user_id = :m) "
               "WHERE platform_user_id = :r", m=manager, r=rep)
    return rep


def channel_cards(teams, channel: str, deal: str) -> list[dict]:
    return [a for a in teams.sent(channel) if card_of(a) and f"{deal}**" in shown(a)]


def test_a_channel_prompt_queued_for_a_rep_who_never_opened_a_chat_is_posted_in_the_channel(teams, bot):
    manager = known(teams, bot, "Loss Manager D")
    channel = teams.channel("Lost deals D", [manager])
    rep = rep_without_chat(teams, bot, manager, "Chatless Rep D", channel)
    nudge = lost_in_channel(teams, bot, manager, rep, "Umbrella", channel)
    posted = teams.wait_sent(channel, where=lambda a: card_of(a) and "Umbrella**" in shown(a), timeout=30)
    _, attempts, _, ref = wait_status(bot, nudge, "sent", timeout=30)
    assert len(posted) == 1 and attempts == 1 and ref == teams.activities_id(posted[0])
    assert [r[1] for r in teams.take_refusals()] == [503]
    # The row keeps how to reach the channel, from the activity Teams signed: its service URL, conversation,
    # bot and tenant, and nothing about the manager who wrote it.
    payload = json.loads(scalar(bot, "SELECT payload FROM nudges WHERE id = :i", i=nudge))
    reach = payload["target"]["reach"]
    assert reach["serviceUrl"] == teams.service_url and reach["conversation"]["id"] == channel
    assert reach["conversation"]["tenantId"] == teams.tenant and reach["bot"]["id"] == teams.bot_id
    assert manager not in json.dumps(payload) and teams.users[manager]["name"] not in json.dumps(payload)


def test_a_tampered_channel_reference_never_gets_the_bots_token(teams, bot):
    manager, rep = manager_and_rep(teams, bot, "E")
    channel = teams.channel("Lost deals E", [manager, rep])
    nudge = lost_in_channel(teams, bot, manager, rep, "Hooli", channel, failures=2)
    payload = json.loads(scalar(bot, "SELECT payload FROM nudges WHERE id = :i", i=nudge))
    payload["target"]["reach"]["serviceUrl"] = "https://attacker.example/"
    query(bot, "UPDATE nudges SET payload = :p WHERE id = :i", p=json.dumps(payload), i=nudge)
    retry_now(bot, nudge)
    _, attempts, error, _ = wait_status(bot, nudge, "failed", timeout=30)
    assert attempts == 2 and "can't be used" in error and "attacker.example" in error
    assert not channel_cards(teams, channel, "Hooli") and not prompt_cards(teams, rep, "Hooli")
    assert [r[1] for r in teams.take_refusals()] == [503, 503]
    attempted("a stored Teams reference pointing the bot's token elsewhere", "attacker.example" in error)


@pytest.mark.parametrize("gone,status", [("removed", 403), ("deleted", 404)])
def test_a_queued_channel_prompt_the_bot_can_no_longer_post_goes_to_the_reps_chat(teams, bot, gone, status):
    manager, rep = manager_and_rep(teams, bot, f"F {gone}")
    channel = teams.channel(f"Lost deals F {gone}", [manager, rep])
    nudge = lost_in_channel(teams, bot, manager, rep, f"Soylent {gone}", channel, failures=2)
    if gone == "removed":  # the bot was taken out of the team
        teams.conversations[channel]["bot_in"] = False
    else:  # the channel was deleted
        del teams.conversations[channel]
    retry_now(bot, nudge)
    _, attempts, _, ref = wait_status(bot, nudge, "sent", timeout=30)
    (card,) = prompt_cards(teams, rep, f"Soylent {gone}")
    assert attempts == 2 and ref == teams.activities_id(card)
    assert [r[1] for r in teams.take_refusals()] == [503, 503, status]
    # it went to the chat, so no message in the channel is remembered as the summary's thread
    assert query(bot, "SELECT message_ts FROM retrospectives WHERE deal_name = :d", d=f"Soylent {gone}") == [(None,)]


def test_a_closed_channels_prompt_waits_for_a_rep_without_a_chat_and_arrives_when_they_open_one(teams, bot):
    manager = known(teams, bot, "Loss Manager G")
    channel = teams.channel("Lost deals G", [manager])
    rep = rep_without_chat(teams, bot, manager, "Chatless Rep G", channel)
    nudge = lost_in_channel(teams, bot, manager, rep, "Vandelay", channel, failures=2)
    teams.conversations[channel]["bot_in"] = False
    retry_now(bot, nudge)
    _, _, error, _ = wait_status(bot, nudge, "waiting", timeout=30)
    assert "Chatless Rep G" in error and "open a chat" in error
    assert teams.post(bot, teams.installed(rep)).status in (200, 202)
    # with whatever else waited for them, the prompt and its button
    (card,) = teams.wait_sent(teams.personal_chat(rep), timeout=30, where=lambda a: card_of(a) and
                              "Vandelay was lost" in shown(a) and "retro_start" in shown(a))
    assert wait_status(bot, nudge, "sent", timeout=30)[3] == teams.activities_id(card)
    assert [r[1] for r in teams.take_refusals()] == [503, 503, 403]


def test_a_thread_reply_in_a_channel_the_bot_left_fails_with_a_reason_about_the_channel(teams, bot):
    uid = known(teams, bot, "Thread Reader H")
    channel = teams.channel("Deals H", [uid])
    nudge = due_message(bot, uid, "the summary", due_in=timedelta(hours=1))
    payload = json.loads(scalar(bot, "SELECT payload FROM nudges WHERE id = :i", i=nudge))
    query(bot, "UPDATE nudges SET payload = :p, due_at = :d WHERE id = :i", i=nudge,
          p=json.dumps({**payload, "target": {"channel": channel, "thread": "1000000000001"}}),
          d=utc_text(datetime.now(timezone.utc) - timedelta(seconds=1)))
    teams.conversations[channel]["bot_in"] = False
    _, attempts, error, _ = wait_status(bot, nudge, "failed", timeout=30)
    assert attempts == 1 and "BotNotInConversationRoster" in error and "no longer in this channel" in error
    assert "the summary" not in json.dumps(teams.sent(teams.personal_chat(uid)))
    assert [r[1] for r in teams.take_refusals()] == [403]
