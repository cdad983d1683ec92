"""Pure Teams renderers and parsers: Adaptive Cards for every input kind, escaping, mentions, submissions."""
from __future__ import annotations

import json
from datetime import date

import pytest

from bot.teams import cards
from bot.teams.inbound import name_words, parse_message, parse_submission
from bot.core.views import LossPrompt, NudgeMessage, Plans, SettingsView
from flows.outputs import Done, Feedback, InputKind, Refused, Say, Section
from tests.test_slack_blocks import _plan, prompt

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
    assert cards.notice_card("Discarded", "Gone.")["version"] == "1.0"


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
        rendered = cards.message_text(output)
        assert evil not in rendered and cards.safe(evil) in rendered
    for char in "[]<>*_`":  # in a plain message, every markup character is escaped
        assert cards.message_text(Say(evil)).count(char) == cards.message_text(Say(evil)).count("\\" + char)
    card = cards.prompt_card(prompt(InputKind.SHORT_TEXT, guidance=evil, text=evil))
    assert evil not in json.dumps([b.get("text") for b in card["body"]], ensure_ascii=False)


def test_our_texts_name_commands_as_typed_in_teams():
    assert cards.message_text(Say("Start one with /coach talk @name.")) == "Start one with talk @name."
    help_text = cards.teams_help()
    assert "/coach" not in help_text and "• talk @rep" in help_text


def test_plans_loss_prompt_settings_and_nudge_render():
    plans = cards.message_text(Plans(1, (_plan(),), date(2026, 11, 23)))
    assert "**Plan with Alex \\<x\\>** — review Mon 7 Dec 2026" in plans and "⚠️ **overdue**" in plans
    loss = cards.loss_prompt_card(LossPrompt(12, "Acme [promo]", 40000.0, "Alex", "29:alex", None))
    assert loss["actions"][0]["data"] == {"coachbot": "retro_start", "retro": 12}
    assert "Acme \\[promo\\]" in loss["body"][0]["text"] and "40,000" in loss["body"][0]["text"]
    nudge = cards.nudge_card(NudgeMessage(5, "checkin_manager", "Check in with Alex", (
        ("nudge_checked_in", "I checked in", "5"), ("nudge_snooze", "Tomorrow", "5:tomorrow"))))
    assert [a["data"] for a in nudge["actions"]] == [
        {"coachbot": "nudge", "action": "nudge_checked_in", "value": "5"},
        {"coachbot": "nudge", "action": "nudge_snooze", "value": "5:tomorrow"}]
    settings = cards.message_text(SettingsView("Asia/Kolkata", "UTC", "Asia/Kolkata", "09:00", "17:30",
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
