"""A manager logs a rep's lost deal in their personal chat with coachbot: the prompt card, with its
Start-retrospective button, goes to the rep's own chat through the outbox and the strict Teams double —
tried again when Teams fails (at least once: Teams keeps no history to check), never dropped."""
from __future__ import annotations

import json

from tests.bot.teams import test_teams_strict as strict
from tests.bot.teams.test_teams_strict import card_of, known, last_in, press, retry_now, say, shown
from tests.support.served import eventually, query, scalar, wait_status

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
