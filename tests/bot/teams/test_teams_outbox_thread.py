"""A retrospective's reply queued for its deal channel's thread reaches that thread in Teams, once, through
the strict Teams double: the scheduler sends it there (at least once; Teams keeps no history to check)."""
from __future__ import annotations

import json

from storage.crypto import NotesCipher
from tests.bot.teams import test_teams_strict as strict
from tests.bot.teams.test_teams_strict import due_message, known, shown
from tests.support.served import query, wait_status

bot = strict.bot  # the strict module's served app and its check that the double refused nothing unexpected
teams_accepted_everything = strict.teams_accepted_everything

THREAD = "1700000000123"  # the id of the prompt's message in the channel, as stored on the retrospective


def test_a_queued_thread_reply_is_posted_in_the_channel_thread_not_the_persons_chat(teams, bot):
    rep = known(teams, bot, "Thread Rep")
    deals = teams.channel("Deals", [rep])
    nudge = due_message(bot, rep, "Thread Rep finished the retrospective on Contoso ✅")
    payload = json.loads(query(bot, "SELECT payload FROM nudges WHERE id = :i", i=nudge)[0][0])
    query(bot, "UPDATE nudges SET payload = :p WHERE id = :i", i=nudge,
          p=json.dumps({**payload, "target": {"channel": deals, "thread": THREAD}}))
    _, attempts, _, ref = wait_status(bot, nudge, "sent", timeout=30)
    assert attempts == 1 and ref
    posted = [c for c in teams.calls if c.method == "send" and c.answer in (200, 201)
              and "finished the retrospective on Contoso" in shown(c.body)]
    assert len(posted) == 1
    assert posted[0].path.split("/")[3] == f"{deals};messageid={THREAD}"  # a reply in the prompt's thread
    assert posted[0].body.get("text") and not posted[0].body.get("attachments")  # plain words, as a reply
    assert not [a for a in teams.sent(teams.personal_chat(rep)) if "Contoso" in shown(a)]
    assert NotesCipher(bot.key).decrypt(payload["enc"]).startswith("Thread Rep")


async def test_the_thread_reference_keeps_the_stored_chats_service_and_bot_and_names_the_thread():
    """Without the double (no Node.js): the reference the sender builds, and what it sends through it."""
    from microsoft_agents.activity import ConversationReference

    from bot.core.views import NudgeMessage
    from bot.scheduler.dispatch import Target
    from bot.teams.sender import TeamsSender, in_channel
    from storage.models import Person

    chat = json.dumps({"channelId": "msteams", "serviceUrl": "https://smba.trafficmanager.net/emea/",
                       "bot": {"id": "28:bot", "name": "coachbot"}, "user": {"id": "29:rep"},
                       "conversation": {"id": "a:personal", "conversationType": "personal", "tenantId": "t1"}})
    ref = ConversationReference.model_validate_json(in_channel(chat, Target("19:deals@thread.tacv2", THREAD)))
    assert ref.conversation.id == f"19:deals@thread.tacv2;messageid={THREAD}"
    assert (ref.service_url, ref.channel_id, ref.agent.id, ref.user) == \
        ("https://smba.trafficmanager.net/emea/", "msteams", "28:bot", None)  # nothing of the person's chat
    already = Target(f"19:deals@thread.tacv2;messageid={THREAD}", THREAD)  # a thread id kept whole
    assert ConversationReference.model_validate_json(in_channel(chat, already)).conversation.id == already.channel

    class Bot:
        def __init__(self):
            self.sent = []

        async def send_to(self, ref_json, activity):
            self.sent.append((json.loads(ref_json)["conversation"]["id"], activity))

    sender = TeamsSender(Bot())
    rep = Person(workspace_id=1, platform_user_id="29:rep", name="Rep", chat_ref=chat)
    await sender.send(None, rep, NudgeMessage(7, "message", "Rep finished the retrospective on <Contoso>"),
                      target=Target("19:deals@thread.tacv2", THREAD))
    ((where, activity),) = sender.bot.sent
    assert where == f"19:deals@thread.tacv2;messageid={THREAD}" and "Contoso" in activity.text
    assert not activity.attachments
