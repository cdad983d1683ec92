"""Pure Teams renderers and parsers: Adaptive Cards for every input kind, escaping, mentions, submissions."""
from __future__ import annotations

import json
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from bot.core.identity import Actor
from bot.core.screen import screen_of
from bot.core.wording import Line
from bot.teams import cards
from bot.teams.delivery import BUTTON, STEP, Delivery
from bot.teams.markdown import markdown
from bot.teams.markdown import safe
from bot.teams.message_cards import done_cards, loss_prompt_card, notice_card, nudge_card, report_cards
from bot.teams.messages import message_text, teams_help
from bot.teams.inbound import name_words, parse_message, parse_submission
from bot.core.views import LossPrompt, NudgeMessage, Plans, ReportView, SettingsView, Team
from flows.outputs import Cancelled, Done, Feedback, InputKind, Notify, Refused, Say, Section
from flows.report import build, period
from tests.bot.slack.test_slack_blocks import _plan, prompt

BOT = "28:bot-app-id"


@pytest.mark.parametrize("kind,value,input_type,prefilled,submitted,expected", [
    (InputKind.SHORT_TEXT, "hi", "Input.Text", "hi", "hi there", "hi there"),
    (InputKind.LONG_TEXT, "line", "Input.Text", "line", "a\nb", "a\nb"),
    (InputKind.CHOICE, "b", "Input.ChoiceSet", "b", "c", "c"),
    (InputKind.MULTI_CHOICE, ["a", "c"], "Input.ChoiceSet", "a,c", "a,b", ["a", "b"]),
    (InputKind.DATE, "2026-12-07", "Input.Date", "2026-12-07", "2026-12-08", "2026-12-08"),
    (InputKind.PERSON, "Jo", "Input.Text", "Jo", "Alex", "Alex"),
    (InputKind.YES_NO, True, "Input.ChoiceSet", "yes", "no", "no"),
])
def test_each_input_kind_renders_and_reads_back(kind, value, input_type, prefilled, submitted, expected):
    card = cards.prompt_card(prompt(kind, value=value))
    inputs = [b for b in card["body"] if b["type"].startswith("Input.")]
    assert len(inputs) == 1 and inputs[0]["type"] == input_type and inputs[0]["id"] == cards.ANSWER
    assert inputs[0]["value"] == prefilled
    if kind == InputKind.LONG_TEXT:
        assert inputs[0]["isMultiline"] is True
    if kind == InputKind.MULTI_CHOICE:
        assert inputs[0]["isMultiSelect"] is True
    data = next(a["data"] for a in card["actions"] if a["data"]["coachbot"] == "step")
    assert cards.read_answer(data | {cards.ANSWER: submitted}, data["kind"]) == expected


def test_a_submit_carries_session_version_and_step_and_only_the_main_button_sends_inputs():
    card = cards.prompt_card(prompt(InputKind.SHORT_TEXT, can_go_back=True))
    by_title = {a["title"]: a for a in card["actions"]}
    assert by_title["Save & continue"]["data"] == {"coachbot": "step", "sid": "s-1", "step": "x", "v": 3,
                                                   "kind": "short_text"}
    assert by_title["Save & continue"]["associatedInputs"] == "auto"
    assert by_title["← Back"]["associatedInputs"] == "none" and by_title["← Back"]["data"]["coachbot"] == "back"
    assert by_title["Discard draft"]["data"]["coachbot"] == "discard"
    # the lowest version it needs: associatedInputs came in 1.3; a card with no buttons needs only 1.0
    assert card["version"] == "1.3" and card["type"] == "AdaptiveCard"
    assert notice_card("Discarded", "Gone.")["version"] == "1.0"


def test_an_info_step_has_no_input_and_says_next():
    card = cards.prompt_card(prompt(InputKind.INFO, text="Listen now."))
    assert not [b for b in card["body"] if b["type"].startswith("Input.")]
    assert card["actions"][0]["title"] == "Next"
    assert cards.read_answer({"coachbot": "step"}, "info") is None


def test_empty_answers_read_as_nothing_not_as_blank_text():
    assert cards.read_answer({cards.ANSWER: "   "}, "short_text") is None
    assert cards.read_answer({}, "multi_choice") == []


def test_errors_and_hints_are_on_the_card_and_the_button_becomes_continue():
    p = prompt(InputKind.LONG_TEXT, hints=(Feedback("hint", "label", "“lazy” is a label", "lazy"),),
               errors=(Feedback("error", "past", "That date is in the past."),))
    card = cards.prompt_card(p)
    texts = [b.get("text", "") for b in card["body"]]
    assert any("💡" in t and "lazy" in t for t in texts)
    assert any(t.startswith("⚠️ That date is in the past") for t in texts)
    assert card["actions"][0]["title"] == "Continue"


@pytest.mark.parametrize("evil", ["[click](https://evil.example)", "<at>Everyone</at>", "**bold** _it_",
                                  "<script>x</script>", "`code`"])
def test_user_text_cannot_become_a_link_a_mention_or_markup(evil):
    for output in (Say(evil), Refused(evil), Done("talk", "T", (Section("S", (evil,)),))):
        rendered = message_text(output)
        assert evil not in rendered and safe(evil) in rendered
    for char in "[]<>*_`":  # in a plain message, every markup character is escaped
        assert message_text(Say(evil)).count(char) == message_text(Say(evil)).count("\\" + char)
    card = cards.prompt_card(prompt(InputKind.SHORT_TEXT, guidance=evil, text=evil))
    assert evil not in json.dumps([b.get("text") for b in card["body"]], ensure_ascii=False)


def test_our_texts_name_commands_as_typed_in_teams():
    assert message_text(Say("Start one with /coach talk @name.")) == "Start one with talk @name."
    help_text = teams_help()
    assert "/coach" not in help_text and "• talk @rep" in help_text


def test_plans_loss_prompt_settings_and_nudge_render():
    plans = message_text(Plans(1, (_plan(),), date(2026, 11, 23)))
    assert "**Plan with Alex \\<x\\>** — review Mon 7 Dec 2026" in plans and "⚠️ **overdue**" in plans
    loss = loss_prompt_card(LossPrompt(12, "Acme [promo]", 40000.0, "Alex", "29:alex", None))
    assert loss["actions"][0]["data"] == {"coachbot": "retro_start", "retro": 12}
    assert "Acme \\[promo\\]" in loss["body"][0]["text"] and "40,000" in loss["body"][0]["text"]
    nudge = nudge_card(NudgeMessage(5, "checkin_manager", "Check in with Alex", (
        ("nudge_checked_in", "I checked in", "5"), ("nudge_snooze", "Tomorrow", "5:tomorrow"))))
    assert [a["data"] for a in nudge["actions"]] == [
        {"coachbot": "nudge", "action": "nudge_checked_in", "value": "5"},
        {"coachbot": "nudge", "action": "nudge_snooze", "value": "5:tomorrow"}]
    settings = message_text(SettingsView("Asia/Kolkata", "UTC", "Asia/Kolkata", "09:00", "17:30",
                                               ("sun", "mon"), None))
    assert "Asia/Kolkata (your choice)" in settings and "settings tz" in settings


def test_a_channel_message_drops_the_bot_mention_and_keeps_people():
    entities = [{"type": "mention", "mentioned": {"id": BOT, "name": "coachbot"}, "text": "<at>coachbot</at>"},
                {"type": "mention", "mentioned": {"id": "29:megan", "name": "Megan Bowen"},
                 "text": "<at>Megan Bowen</at>"},
                {"type": "clientInfo", "locale": "en-US"}]
    cmd = parse_message("<at>coachbot</at> lost Acme renewal 40k <at>Megan Bowen</at>", entities, BOT)
    assert cmd.name == "lost" and cmd.args == ("Acme", "renewal", "40k")
    assert [(p.external_id, p.name) for p in cmd.people] == [("29:megan", "Megan Bowen")]


def test_an_at_tag_without_its_entity_is_only_text():
    cmd = parse_message("talk <at>Megan</at>", [], BOT)
    assert cmd.people == () and cmd.args == ("Megan",)
    assert name_words(cmd) == "Megan"


def test_typed_names_are_names_to_look_up_never_ids():
    cmd = parse_message("talk @Megan", None, BOT)
    assert [(p.external_id, p.name) for p in cmd.people] == [("", "Megan")]
    assert name_words(parse_message("talk Megan Bowen", None, BOT)) == "Megan Bowen"
    assert name_words(parse_message("lost Acme", None, BOT)) is None


def test_html_from_the_teams_client_is_reduced_to_text():
    cmd = parse_message("<p>plans&nbsp;</p>", None, BOT)
    assert cmd.name == "plans"


@pytest.mark.parametrize("value,kind", [
    ({"coachbot": "step", "sid": "s", "v": 1}, "step"), ({"coachbot": "nudge", "action": "x"}, "nudge"),
    ({"coachbot": "retro_start", "retro": 3}, "retro_start"), ({"coachbot": "rm -rf"}, None), ({"foo": 1}, None),
    ("not a dict", None), (None, None), ([1, 2], None),
])
def test_card_submissions_are_recognised_only_when_they_are_ours(value, kind):
    found = parse_submission(value)
    assert (found.kind if found else None) == kind


def test_a_turn_intro_is_plain_text_and_a_stale_notice_is_a_warning():
    card = cards.prompt_card(prompt(InputKind.SHORT_TEXT), notice="That form is out of date.",
                             intro="Megan Bowen is now on your team.")
    blocks = {b.get("text"): b for b in card["body"] if b["type"] == "TextBlock"}
    assert "color" not in blocks["Megan Bowen is now on your team."]
    assert blocks["⚠️ That form is out of date."]["color"] == "Warning"


def _report() -> ReportView:
    p = period("30d", date(2026, 11, 23))
    return ReportView(build(p, [("price", 1, 3), ("timing", 2, 1)], [("price", 1, 1)], [], {1: "Alex", 2: "Jo"},
                            own_team=True))


def test_every_output_the_service_can_return_renders_in_teams():
    outputs = [Say("Saved.", tone="success"), Refused("Not yours."), Cancelled("talk", "Draft discarded."),
               Done("talk", "T", (Section("S", ("line",)),)), Plans(1, (_plan(),), date(2026, 11, 23)),
               Plans(1, (), date(2026, 11, 23)), SettingsView("UTC", "UTC", None, "09:00", "17:00", ("mon",), None),
               Team("Sam", ("Alex", "Jo")), Team("Sam", ()), _report()]
    for output in outputs:
        text = message_text(output)
        assert text.strip() and "object at 0x" not in text and type(output).__name__ + "(" not in text, output
    assert len(done_cards(outputs[3])) == 1 and len(report_cards(_report())) == 1
    assert cards.prompt_card(prompt(InputKind.SHORT_TEXT))["type"] == "AdaptiveCard"
    assert loss_prompt_card(LossPrompt(1, "Acme", None, "Alex", "29:alex", None))["type"] == "AdaptiveCard"
    with pytest.raises(TypeError):
        message_text(object())  # never its str(): an output Teams can't show is a bug to see


def test_texts_written_once_are_formatted_as_teams_markdown():
    assert markdown([Line("— review Mon 7 Dec 2026", label="Plan with <x>", kind="heading"),
                     Line("Alex: call *now*", kind="item", flag="overdue"),
                     Line("Europe/Berlin", label="Time zone", kind="field"),
                     Line("No open plans. Start one with", commands=("talk @name",)),
                     Line("Change them, e.g.", kind="hint", commands=("settings tz UTC", "settings days mon"))]) == (
        "**Plan with \\<x\\>** — review Mon 7 Dec 2026\n\n• Alex: call \\*now\\* ⚠️ **overdue**\n\n"
        "**Time zone** Europe/Berlin\n\nNo open plans. Start one with talk @name\n\n"
        "Change them, e.g. settings tz UTC · settings days mon")
    team = message_text(Team("Sam", ("Alex [x]",)))
    assert "**Your team (1):**" in team and "• Alex \\[x\\]" in team
    assert "team add @alex" in message_text(Team("Sam", ())) and "/coach" not in message_text(Team("Sam", ()))
    paused = SettingsView("UTC", "UTC", None, "09:00", "17:00", ("mon", "tue"), datetime(2026, 12, 1, 9, 0))
    settings = message_text(paused)
    assert "**Working days** Mon, Tue" in settings and "**Paused until** 2026-12-01 09:00 UTC" in settings


class _Ctx:
    """A turn context that records what the bot sent and updated (the card pressed is "card-1")."""

    def __init__(self):
        self.activity = SimpleNamespace(reply_to_id="card-1", conversation=SimpleNamespace(id="chat"))
        self.sent, self.updated = [], []

    async def send_activity(self, activity):
        self.sent.append(activity)
        return SimpleNamespace(id=f"m{len(self.sent)}")

    async def update_activity(self, activity):
        self.updated.append(activity)


class _Shown(Delivery):
    """The delivery mapping with channel posts and notifications recorded instead of sent."""

    def __init__(self):
        self.calls = []

    async def post_loss_prompt(self, ctx, actor, prompt):
        self.calls.append(("post", prompt))

    async def notify_all(self, ctx, actor, notes):
        self.calls += [("notify", n) for n in notes]


def _card(activity) -> dict:
    return activity.attachments[0].content


def _words(activity) -> str:
    return json.dumps(_card(activity), ensure_ascii=False) if activity.attachments else activity.text


ACTOR = Actor("teams", "t", "29:me")


async def test_a_step_press_shows_its_screen_in_place_of_the_card():
    bot, ctx = _Shown(), _Ctx()
    await bot.show(ctx, ACTOR, screen_of([Refused("That form is out of date."), prompt(InputKind.SHORT_TEXT)]),
                   pressed=STEP)
    (updated,) = ctx.updated
    assert updated.id == "card-1" and not ctx.sent
    assert any(b.get("color") == "Warning" and "out of date" in b["text"] for b in _card(updated)["body"])

    bot, ctx = _Shown(), _Ctx()
    long = Done("talk", "T", tuple(Section(f"S{i}", ("x" * 2000,)) for i in range(30)))
    note = Notify(2, "Alex", Say("done"), "29:alex")
    await bot.show(ctx, ACTOR, screen_of([long, note, Say("Thanks.")]), pressed=STEP)
    assert len(ctx.updated) == 1 and "summary" in _words(ctx.updated[0])
    assert len(ctx.sent) == len(done_cards(long)) and "Thanks." in _words(ctx.sent[-1])
    assert bot.calls == [("notify", note)]

    bot, ctx = _Shown(), _Ctx()
    await bot.show(ctx, ACTOR, screen_of([Cancelled("talk", "Draft gone.")]), pressed=STEP)
    assert "Discarded" in _words(ctx.updated[0]) and "Draft gone." in _words(ctx.updated[0]) and not ctx.sent

    bot, ctx = _Shown(), _Ctx()
    await bot.show(ctx, ACTOR, screen_of([]), pressed=STEP)
    assert "Nothing to do" in _words(ctx.updated[0]) and "Nothing changed." in _words(ctx.updated[0])


async def test_a_turn_without_a_press_is_sent_and_its_posts_and_notices_go_their_way():
    bot, ctx = _Shown(), _Ctx()
    await bot.show(ctx, ACTOR, screen_of([Say("Picking up your draft."), prompt(InputKind.SHORT_TEXT)]))
    (sent,) = ctx.sent
    assert not ctx.updated and any(b.get("text") == "Picking up your draft." and "color" not in b
                                   for b in _card(sent)["body"])

    bot, ctx = _Shown(), _Ctx()
    loss = LossPrompt(3, "Acme", None, "Alex", "29:alex", "chan")
    await bot.show(ctx, ACTOR, screen_of([loss, Say("Logged Acme as lost.", tone="success")]))
    assert bot.calls == [("post", loss)]
    assert [a.text for a in ctx.sent] == ["✅ Logged Acme as lost."]


async def test_a_nudge_button_press_replaces_its_card_with_what_it_said():
    bot, ctx = _Shown(), _Ctx()
    note = Notify(2, "Sam", Say("Alex checked in."), "29:sam")
    await bot.show(ctx, ACTOR, screen_of([Say("Thanks — noted.", tone="success"), note]), pressed=BUTTON)
    assert "✅ Thanks — noted." in _words(ctx.updated[0]) and not ctx.sent and bot.calls == [("notify", note)]
