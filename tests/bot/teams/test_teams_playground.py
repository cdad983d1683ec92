"""Teams end to end: a real `coachbot serve` driven by the Microsoft 365 Agents Playground.

Every assertion is on what the Playground shows as the bot's messages (its own chat stream) or on
what the database then holds.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from tests.support import playground_client as pc
from tests.support.playground_client import Playground, action_data, card_of, shown_text, step_of
from tests.support.served import Served, eventually, query, scalar, utc_text, wait_status

_why = pc.problem()
if _why and pc.REQUIRED:
    raise RuntimeError(f"{_why} (COACHBOT_REQUIRE_PLAYGROUND=1, so this is a failure, not a skip)")
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

MEGAN, ADELE, ISAIAH = "user-id-1", "user-id-2", "user-id-3"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = Served(None, tmp_path_factory.mktemp("teams"), extra_env={"COACHBOT_TICK_SECONDS": "0.5"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pg(served, tmp_path_factory):
    p = Playground(served.url, tmp_path_factory.mktemp("playground"))
    # Like a user opening the app: a first word in the personal chat, so the bot can write there later.
    seen = p.seen()
    p.say("hi")
    p.wait_for_text("Here is what I can do", after=seen)
    yield p
    p.stop()


def start_talk_from_channel(pg: Playground, rep: str) -> dict:
    """@mention the bot and a rep in a channel; the guide arrives privately in the personal chat."""
    seen = pg.seen()
    bot_tag, bot_entity = pg.mention_bot()
    rep_tag, rep_entity = pg.mention(rep)
    pg.say(f"{bot_tag} talk {rep_tag}", conversation=pg.channel, mentions=[bot_entity, rep_entity])
    pg.wait_for_text("answered in our personal chat", after=seen, conversation=pg.channel)
    return pg.wait_for(lambda m: step_of(m) == "raised_before", after=seen)


def step_button(card_msg: dict) -> dict:
    """The data of a step card's main button (Save & continue, Next or Continue)."""
    return next(dict(a["data"]) for a in card_of(card_msg)["actions"] if a["data"].get("coachbot") == "step")


def press(pg: Playground, card_msg: dict, data: dict) -> dict:
    """Submit a card with this data; returns the same card as the bot updated it in place."""
    seen = pg.seen()
    pg.submit(card_msg, data)
    return pg.wait_for(lambda m: m["messageId"] == card_msg["messageId"]
                       and m["_event"]["action"] == "updateMessage", after=seen)


def answer(pg: Playground, card_msg: dict, value, *, expect_step: str | None) -> dict:
    """Fill in the card's input and press its main button; returns the card as updated in place."""
    data = step_button(card_msg)
    if value is not None:
        data["answer"] = value
    updated = press(pg, card_msg, data)
    assert step_of(updated) == expect_step, shown_text(updated)
    return updated


def accepts(pg: Playground, served: Served, rep: str) -> None:
    """The rep presses Accept on my invitation (the card's data, as Teams sends it back from the rep)."""
    invite = eventually(lambda: scalar(served, "SELECT n.id FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                               "WHERE p.platform_user_id = :r AND n.kind = 'line_invite' "
                                               "ORDER BY n.id DESC", r=rep))
    anchor = pg.wait_for(lambda m: m["_event"].get("actionConversationId", "").startswith(pg.channel), after=0)
    pg.submit(anchor, {"coachbot": "nudge", "action": "line_accept", "value": str(invite)},
              conversation=anchor["_event"]["actionConversationId"], as_user=rep)
    assert eventually(lambda: query(served, "SELECT m.platform_user_id FROM people r JOIN people m ON "
                                            "m.id = r.manager_id WHERE r.platform_user_id = :r", r=rep)
                      == [(pg.me["id"],)])


def lose_in_channel(pg: Playground, served: Served, rep: str, deal: str) -> dict:
    """Put the rep on my team (invited, accepted), then log their lost deal in the channel; returns the
    posted prompt card."""
    bot_tag, bot_entity = pg.mention_bot()
    rep_tag, rep_entity = pg.mention(rep)
    seen = pg.seen()
    pg.say(f"{bot_tag} team add {rep_tag}", conversation=pg.channel, mentions=[bot_entity, rep_entity])
    pg.wait_for_text("personal chat", after=seen, conversation=pg.channel)
    accepts(pg, served, rep)
    seen = pg.seen()
    pg.say(f"{bot_tag} lost {deal} {rep_tag}", conversation=pg.channel, mentions=[bot_entity, rep_entity])
    return pg.wait_for(lambda m: deal.rsplit(" ", 1)[0] in shown_text(m) and card_of(m) is not None, after=seen)


def walk_talk(pg: Playground, served: Served, rep: str) -> dict:
    card = start_talk_from_channel(pg, rep)
    accepts(pg, served, rep)  # invited by the talk; accepted before it ends, so the plan can be shared
    steps = [
        ("no", "observed"),
        ("In October you booked 2 demos; the target is 8.", "own_part"),
        ("I haven't joined one of your calls since September.", "listen"),
        (None, "rep_view"),
        ("My leads moved to the new team in September.", "options"),
        ("Prospecting campaign\nShadow discovery calls", "plan"),
        ("book 5 discovery calls by Friday\nme: join two calls in 2 weeks", "review"),
    ]
    for value, next_step in steps:
        card = answer(pg, card, value, expect_step=next_step)
    review = (dt.date.today() + dt.timedelta(weeks=10)).isoformat()  # within the 26-week limit
    card = press(pg, card, step_button(card) | {"answer": review})
    if step_of(card) == "review":  # a coaching hint about the date: keep it
        card = answer(pg, card, review, expect_step="share")
    assert step_of(card) == "share", shown_text(card)
    return answer(pg, card, "yes", expect_step=None)


def test_help_in_the_personal_chat_lists_every_command(pg):
    seen = pg.seen()
    pg.say("help")
    reply = pg.wait_for_text("Here is what I can do", after=seen)
    text = shown_text(reply)
    for command in ("talk @rep", "plans", "lost \\<deal\\>", "report", "checkin", "settings"):
        assert f"• {command}" in text  # markdown: the escaped \<deal\> shows as <deal>
    assert "/coach" not in text  # Teams users type the command itself


def test_an_unknown_command_gets_a_specific_answer_and_the_help(pg):
    seen = pg.seen()
    pg.say("dance please")
    reply = pg.wait_for_text("I don't know “dance”", after=seen)
    assert "Here is what I can do" in shown_text(reply)


def test_a_name_nobody_has_used_yet_is_explained_not_guessed(pg):
    seen = pg.seen()
    pg.say("talk Lynne")
    pg.wait_for_text("I don't know anyone called “Lynne” here yet", after=seen)


def test_a_whole_difficult_conversation_through_cards_ends_in_a_stored_plan(pg, served):
    done = walk_talk(pg, served, MEGAN)
    summary = shown_text(done)
    assert "summary" in summary and "book 5 discovery calls" in summary
    pg.wait_for_text("The plan with Megan Bowen is stored", after=0)
    rows = query(served, "SELECT c.status, r.name, m.name FROM conversations c JOIN people r ON r.id = c.rep_id "
                         "JOIN people m ON m.id = c.manager_id")
    assert ("open", "Megan Bowen", pg.me["name"]) in [tuple(r) for r in rows]
    assert scalar(served, "SELECT count(*) FROM action_items a JOIN people r ON r.id = a.owner_id "
                          "WHERE r.name IN ('Megan Bowen', :me)", me=pg.me["name"]) >= 2
    # Megan has never opened a chat with the bot, so the shared plan waits in the queue, not lost.
    assert eventually(lambda: scalar(served, "SELECT count(*) FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                             "WHERE p.name = 'Megan Bowen' AND n.kind = 'message'")) == 1


def test_errors_and_coaching_hints_show_on_the_card_itself(pg):
    card = start_talk_from_channel(pg, ADELE)
    card = answer(pg, card, "no", expect_step="observed")
    hinted = answer(pg, card, "Adele is lazy and never follows up.", expect_step="observed")
    text = shown_text(hinted)
    assert "💡" in text and "lazy" in text and "Continue" in text
    # The card is the same message, updated in place — not a new one per step.
    assert hinted["messageId"] == card["messageId"]
    # Discard from the card: the draft goes, and the card says so.
    seen = pg.seen()
    pg.submit(hinted, action_data(hinted, "Discard draft"))
    gone = pg.wait_for(lambda m: m["messageId"] == card["messageId"] and "Discarded" in shown_text(m), after=seen)
    assert step_of(gone) is None


def test_a_stale_card_press_is_refused_with_the_current_step(pg):
    card = start_talk_from_channel(pg, ISAIAH)
    old = json.loads(json.dumps(card))
    answer(pg, card, "no", expect_step="observed")
    seen = pg.seen()
    data = action_data(old, "Save & continue") | {"answer": "yes"}
    pg.submit(old, data)
    again = pg.wait_for(lambda m: m["messageId"] == card["messageId"] and m["_event"]["action"] == "updateMessage",
                        after=seen)
    assert "out of date" in shown_text(again) and step_of(again) == "observed", shown_text(again)
    seen = pg.seen()
    pg.say("cancel")
    pg.wait_for_text("nothing was stored", after=seen)


def test_a_loss_retrospective_starts_from_its_card(pg, served):
    seen = pg.seen()
    pg.say("lost Acme renewal 40k")
    prompt = pg.wait_for(lambda m: "Acme renewal" in shown_text(m) and card_of(m) is not None, after=seen)
    assert "was lost" in shown_text(prompt) and "40,000" in shown_text(prompt)
    seen = pg.seen()
    pg.submit(prompt, action_data(prompt, "Start retrospective"))
    first = pg.wait_for(lambda m: step_of(m) is not None, after=seen)
    assert "Loss retrospective" in shown_text(first) or "retrospective" in shown_text(first).lower()
    assert scalar(served, "SELECT count(*) FROM retrospectives WHERE deal_name = 'Acme renewal'") == 1


def test_the_scheduler_sends_a_nudge_the_user_can_answer_on_the_card(pg, served):
    if not query(served, "SELECT id FROM conversations WHERE status = 'open'"):
        walk_talk(pg, served, MEGAN)
    for setting in ("settings hours 00:00-23:59", "settings days mon,tue,wed,thu,fri,sat,sun"):
        seen = pg.seen()
        pg.say(setting)
        pg.wait_for_text("Saved", after=seen)
    me = scalar(served, "SELECT id FROM people WHERE platform_user_id = :u", u=pg.me["id"])
    nudge = scalar(served, "SELECT id FROM nudges WHERE recipient_id = :me AND kind = 'checkin_manager' "
                           "AND status = 'pending' ORDER BY due_at LIMIT 1", me=me)
    seen = pg.seen()
    # The plan's first casual check-in is days away; bring it forward instead of waiting for it.
    query(served, "UPDATE nudges SET due_at = :now WHERE id = :id",
          now=utc_text(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)), id=nudge)
    card = pg.wait_for(lambda m: any(a.get("title") == "I checked in" for a in (card_of(m) or {}).get("actions", [])),
                       after=seen, timeout=30)
    assert "Megan" in shown_text(card)
    assert wait_status(served, nudge, "sent")[3] == card["messageId"]
    seen = pg.seen()
    pg.submit(card, action_data(card, "I checked in"))
    pg.wait_for(lambda m: m["messageId"] == card["messageId"] and "Noted" in shown_text(m), after=seen)
    assert scalar(served, "SELECT count(*) FROM checkins WHERE kind = 'manager'") >= 1


def test_a_loss_logged_in_a_channel_is_posted_there_and_only_the_rep_or_manager_can_open_it(pg, served):
    prompt = lose_in_channel(pg, served, MEGAN, "Globex expansion 25k")
    assert prompt["_event"]["actionConversationId"].startswith(pg.channel)  # in the channel, for the team to see
    assert "Megan Bowen" in shown_text(prompt)
    where = eventually(lambda: query(served, "SELECT channel_id, message_ts FROM retrospectives "
                                             "WHERE deal_name = 'Globex expansion' AND channel_id IS NOT NULL"))
    assert where and where[0][0].startswith(pg.channel)
    # A colleague pressing the button gets told it isn't theirs; nothing opens for them.
    seen = pg.seen()
    thread = prompt["_event"]["actionConversationId"]
    pg.submit(prompt, action_data(prompt, "Start retrospective"), conversation=thread, as_user=ADELE)
    pg.wait_for_text("is for Megan Bowen", after=seen)
    assert scalar(served, "SELECT count(*) FROM flow_sessions f JOIN people p ON p.id = f.user_id "
                          "WHERE p.platform_user_id = :u AND f.flow = 'retro'", u=ADELE) == 0


RETRO = {"primary": "price", "secondary": "timing", "evidence": "our_read", "debrief": "yes", "meetings": "4",
         "correspondence": "mostly_us", "stage": "Proposal", "stage_moves": "Moved to proposal before we knew who signs",
         "support": "partly", "answered": "mostly", "lesson": "I will confirm the signer and budget before any proposal.",
         "at_risk": "Initech renewal — confirm the signer by Friday", "share": "channel"}


def test_a_manager_fills_in_a_channel_loss_and_the_summary_lands_in_its_thread(pg, served):
    prompt = lose_in_channel(pg, served, ISAIAH, "Umbrella deal 8k")
    thread = prompt["_event"]["actionConversationId"]
    seen = pg.seen()
    pg.submit(prompt, action_data(prompt, "Start retrospective"), conversation=thread)
    card = pg.wait_for(lambda m: step_of(m) == "primary", after=seen)
    assert not card["_event"]["actionConversationId"].startswith(pg.channel)  # filled in privately
    pressed: Counter[str] = Counter()
    seen = pg.seen()
    while step_of(card) is not None:
        step = step_of(card)
        pressed[step] += 1
        assert pressed[step] <= 2, f"stuck on {step}: {shown_text(card)}"  # a hint, then kept
        card = press(pg, card, step_button(card) | {"answer": RETRO[step]})
    assert "summary" in shown_text(card)
    summary = pg.wait_for(lambda m: m["_event"]["actionConversationId"] == thread and "Umbrella" in shown_text(m)
                          and card_of(m) is None, after=seen)
    assert "price" in shown_text(summary).lower()
    assert scalar(served, "SELECT status FROM retrospectives WHERE deal_name = 'Umbrella deal'") == "done"
