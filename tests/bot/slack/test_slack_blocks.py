"""Pure Block Kit renderers: every input kind, Slack's limits, and escaping of user text."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from bot.slack import blocks
from bot.slack.mrkdwn import clip, escape, long_text_sections
from bot.core.views import Home, Plans, RepStatus, SettingsView, Unfinished
from flows.outputs import Done, Feedback, InputKind, Option, Prompt, Refused, Say, Section
from storage.talks import Plan, PlanItem

OPTIONS = (Option("a", "Apples"), Option("b", "Bananas"), Option("c", "Cherries"))


def prompt(kind: InputKind, **kw) -> Prompt:
    base = dict(flow="toy", flow_title="Difficult conversation", session_id="s-1", version=3, step_id="x", kind=kind,
                title="Title", text="Question?", options=OPTIONS if kind in (InputKind.CHOICE,
                                                                             InputKind.MULTI_CHOICE) else ())
    return Prompt(**{**base, **kw})


@pytest.mark.parametrize("kind,value,element_type,answer_state,expected", [
    (InputKind.SHORT_TEXT, "hi", "plain_text_input", {"value": "hi there"}, "hi there"),
    (InputKind.LONG_TEXT, "line", "plain_text_input", {"value": "a\nb"}, "a\nb"),
    (InputKind.CHOICE, "b", "radio_buttons", {"selected_option": {"value": "c"}}, "c"),
    (InputKind.MULTI_CHOICE, ["a"], "checkboxes", {"selected_options": [{"value": "a"}, {"value": "c"}]}, ["a", "c"]),
    (InputKind.DATE, "2026-12-07", "datepicker", {"selected_date": "2026-12-08"}, "2026-12-08"),
    (InputKind.PERSON, "<@U0ALEX>", "users_select", {"selected_user": "U0JO"}, "<@U0JO>"),
    (InputKind.YES_NO, True, "radio_buttons", {"selected_option": {"value": "no"}}, "no"),
])
def test_each_input_kind_renders_and_reads_back(kind, value, element_type, answer_state, expected):
    view = blocks.prompt_view(prompt(kind, value=value))
    block = next(b for b in view["blocks"] if b["type"] == "input")
    el = block["element"]
    assert block["block_id"] == "answer" and el["action_id"] == "value" and el["type"] == element_type
    initial = el.get("initial_value") or el.get("initial_option", {}).get("value") or el.get("initial_date") \
        or el.get("initial_user") or [o["value"] for o in el.get("initial_options", [])]
    assert initial in (value, "yes", "U0ALEX", ["a"])
    state = {"answer": {"value": {"type": element_type, **answer_state}}}
    assert blocks.read_answer(state, str(kind)) == expected


def test_info_step_has_no_input_and_an_empty_answer():
    view = blocks.prompt_view(prompt(InputKind.INFO, text="Listen now."))
    assert not [b for b in view["blocks"] if b["type"] == "input"]
    assert view["submit"]["text"] == "Next"
    assert blocks.read_answer({}, "info") is None


def test_metadata_carries_session_version_and_step():
    meta = json.loads(blocks.prompt_view(prompt(InputKind.SHORT_TEXT))["private_metadata"])
    assert meta == {"sid": "s-1", "v": 3, "step": "x", "kind": "short_text"}


def test_hints_errors_and_back_button():
    p = prompt(InputKind.LONG_TEXT, hints=(Feedback("hint", "label", "“lazy” is a <label>", "lazy"),), can_go_back=True)
    view = blocks.prompt_view(p)
    text = json.dumps(view, ensure_ascii=False)
    assert "“lazy” is a &lt;label&gt;" in text and view["submit"]["text"] == "Continue"
    actions = next(b for b in view["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == ["flow_back", "flow_discard"]
    assert actions["elements"][1]["confirm"]["confirm"]["text"] == "Discard"


def test_slack_limits_are_respected_without_losing_text():
    long_title = "A title far longer than twenty-four characters"
    p = prompt(InputKind.SHORT_TEXT, flow_title=long_title, text="Q" * 2500, placeholder="p" * 400,
               max_length=9000)
    view = blocks.prompt_view(p)
    assert len(view["title"]["text"]) == 24 and view["title"]["text"].endswith("…")
    block = next(b for b in view["blocks"] if b["type"] == "input")
    assert len(block["label"]["text"]) <= 2000 and len(block["element"]["placeholder"]["text"]) <= 150
    assert block["element"]["max_length"] == 3000
    choices = prompt(InputKind.CHOICE, options=tuple(Option(str(i), "x" * 100) for i in range(12)))
    el = next(b for b in blocks.prompt_view(choices)["blocks"] if b["type"] == "input")["element"]
    assert el["type"] == "static_select" and all(len(o["text"]["text"]) <= 75 for o in el["options"])


def test_long_user_text_is_split_not_cut_and_entities_stay_whole():
    text = ("&<>" * 900) + "end"
    sections = long_text_sections(text, prefix="*Heading*\n")
    joined = "".join(s["text"]["text"] for s in sections)
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert joined == "*Heading*\n" + escape(text)
    for s in sections:
        assert not s["text"]["text"].endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt"))


def test_escape_and_clip():
    assert escape("<!channel> & <@U1|x> <https://e.vil|click>") == \
        "&lt;!channel&gt; &amp; &lt;@U1|x&gt; &lt;https://e.vil|click&gt;"
    assert escape("&amp;") == "&amp;amp;"
    assert clip("abcdef", 4) == "abc…" and clip("abc", 4) == "abc"


def test_messages_escape_every_kind_of_output():
    for output in (Say("hi <!here>"), Refused("no <!here>"),
                   Done("talk", "Difficult conversation", (Section("1. <b>", ("<!everyone>",)),))):
        msg = blocks.message(output)
        assert "<!" not in json.dumps(msg) and "&lt;!" in json.dumps(msg)
        assert len(msg["blocks"]) <= 50


def _plan(viewer_is_manager=True):
    items = (PlanItem(1, "rep", "Alex <x>", "call <!channel>", date(2026, 11, 20), "open"),
             PlanItem(2, "manager", "Sam", "join calls", None, "open"))
    return Plan(7, 1, "Sam", 2, "Alex <x>", date(2026, 12, 7), datetime(2026, 11, 1, tzinfo=timezone.utc), items)


def test_plans_message_marks_overdue_and_escapes():
    msg = blocks.plans_message(Plans(1, (_plan(),), date(2026, 11, 23)))
    text = msg["blocks"][0]["text"]["text"]
    assert "*Plan with Alex &lt;x&gt;* — review Mon 7 Dec 2026" in text
    assert "call &lt;!channel&gt; (due Fri 20 Nov 2026) :warning: *overdue*" in text
    assert "join calls (no date)" in text
    assert "No open plans" in json.dumps(blocks.plans_message(Plans(1, (), date(2026, 11, 23))))


def test_home_for_a_manager_and_a_rep():
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    reps = (RepStatus(2, "U0ALEX", "Alex", None, True),
            RepStatus(3, "U0JO", "Jo", datetime(2026, 11, 20, tzinfo=timezone.utc), False))
    home = Home(1, "Sam", date(2026, 11, 23), (_plan(),), (), reps,
                (Unfinished("s-9", "talk", "Priya", "plan", now),))
    view = blocks.home_view(home, now)
    text = json.dumps(view)
    assert view["type"] == "home"
    assert "Conversation with Priya" in text and '"value": "s-9"' in text
    assert "no check-in or conversation yet" in text and '"value": "U0ALEX"' in text
    assert "U0JO" not in text  # checked in 3 days ago: not listed as needing time
    rep_home = blocks.home_view(Home(2, "Alex", date(2026, 11, 23), (), (_plan(),), (), (),
                                     next_checkin=datetime(2026, 11, 24, 9, 40, tzinfo=timezone.utc)), now)
    assert "home_checkin" in json.dumps(rep_home) and "Your plan" in json.dumps(rep_home)
    assert "Next check-in: Tue 24 Nov 2026 around 09:40" in json.dumps(rep_home)


def test_settings_view_prefills_current_values():
    v = SettingsView("Asia/Kolkata", "America/Los_Angeles", "Asia/Kolkata", "08:30", "17:00",
                     ("sun", "mon", "tue", "wed", "thu"), None)
    view = blocks.settings_view(v)
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["tz"]["element"]["initial_value"] == "Asia/Kolkata"
    assert "America/Los_Angeles" in by_id["tz"]["element"]["placeholder"]["text"]
    assert by_id["work_start"]["element"]["initial_time"] == "08:30"
    assert [o["value"] for o in by_id["work_days"]["element"]["initial_options"]] == ["mon", "tue", "wed", "thu", "sun"]


def test_home_shows_waiting_retrospectives_and_follow_ups():
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    home = Home(2, "Alex", date(2026, 11, 23), (), (), (), (), waiting_retros=((41, "Acme <renewal>"),),
                followups=(("Globex — confirm the signer", date(2026, 11, 27)),))
    text = json.dumps(blocks.home_view(home, now), ensure_ascii=False)
    assert "*Acme &lt;renewal&gt;* was lost" in text and '"action_id": "retro_start"' in text and '"value": "41"' in text
    assert "Globex — confirm the signer (by Fri 27 Nov 2026)" in text


# ---- nothing cut silently: every part within Slack's limits (the strict double's rules) -------------

def _many_plans(n: int, items: int = 3, text: str = "call the buyer") -> tuple[Plan, ...]:
    return tuple(Plan(100 + p, 1, "Sam", 200 + p, f"Rep {p}", date(2026, 12, 7),
                      datetime(2026, 11, 1, tzinfo=timezone.utc),
                      tuple(PlanItem(1000 * p + i, "rep", f"Rep {p}", f"{text} #{p}.{i}", None, "open")
                            for i in range(items)))
                 for p in range(n))


def _shown(parts) -> str:
    from tests.support.fakes.slack_render import seen_in
    return seen_in(parts).all


def test_plans_longer_than_a_message_go_out_as_several_that_say_so():
    from tests.support.fakes.block_kit import check_message
    parts = blocks.messages(Plans(1, _many_plans(130), date(2026, 11, 23)))
    assert len(parts) == 3
    for part in parts:
        assert check_message(part) == ([], [])
    shown = _shown(parts)
    assert all(f"call the buyer #{p}.{i}" in shown for p in range(130) for i in range(3))
    assert "Part 1 of 3, continued in the next message." in shown and "Part 3 of 3." in shown
    with pytest.raises(ValueError):
        blocks.message(Plans(1, _many_plans(130), date(2026, 11, 23)))


def test_a_plan_longer_than_a_section_keeps_every_item():
    from tests.support.fakes.block_kit import check_message
    (plan,) = _many_plans(1, items=60, text="x" * 90)
    parts = blocks.messages(Plans(1, (plan,), date(2026, 11, 23)))
    assert all(check_message(p) == ([], []) for p in parts)
    assert all(f"#0.{i}" in _shown(parts) for i in range(60))


def test_home_keeps_its_main_buttons_and_offers_the_rest():
    from tests.support.fakes.block_kit import check_view
    now = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
    reps = tuple(RepStatus(500 + i, f"U0REP{i:03d}", f"Rep {i}", None, False) for i in range(70))
    home = Home(1, "Sam", date(2026, 11, 23), _many_plans(60), _many_plans(1), reps,
                tuple(Unfinished(f"s-{i}", "talk", f"Rep {i}", "plan", now) for i in range(5)))
    view = blocks.home_view(home, now)
    assert check_view(view) == []
    main = view["blocks"][-2]
    assert [e["action_id"] for e in main["elements"]] == ["home_checkin", "home_start_talk", "home_settings"]
    more = next(b for b in view["blocks"] if (b.get("accessory") or {}).get("action_id") == blocks.SHOW_ALL)
    items = len(blocks.home_items(home, now, buttons=True))
    shown_items = items - int(more["text"]["text"].split()[0])
    assert 0 < shown_items < items
    # Show all: the pages together hold every plan item and every rep, each page a valid modal.
    pages, page, seen = [], 1, ""
    while True:
        modal = blocks.home_items_view(home, now, page)
        assert check_view(modal) == []
        pages.append(modal)
        seen += _shown(modal)
        nav = [b for b in modal["blocks"] if b.get("block_id") == "pages"]
        nxt = [e for e in (nav[0]["elements"] if nav else []) if e["action_id"].endswith(".next")]
        if not nxt:
            break
        page = int(nxt[0]["value"])
    assert len(pages) > 1 and f"Page 1 of {len(pages)}" in _shown(pages[0])
    assert all(f"call the buyer #{p}.{i}" in seen for p in range(60) for i in range(3))
    assert all(f"*Rep {i}* — no check-in" in seen for i in range(70))


def test_a_summary_longer_than_a_modal_points_to_the_whole_copy():
    from tests.support.fakes.block_kit import check_message, check_view
    done = Done("talk", "Difficult conversation",
                tuple(Section(f"Step {i}", ("y" * 2900,)) for i in range(120)))
    view = blocks.done_view(done)
    assert check_view(view) == []
    assert "more parts of this summary didn't fit here: the copy in your DMs has all of it" in _shown(view)
    parts = blocks.messages(done)
    assert all(check_message(p) == ([], []) for p in parts)
    assert all(f"Step {i}" in _shown(parts) for i in range(120))


def test_a_nudge_too_long_for_one_message_counts_what_it_leaves_out():
    from tests.support.fakes.block_kit import check_message
    from bot.core.views import NudgeMessage
    m = NudgeMessage(9, "review_pack", "Review day", (("plan_close", "Close the plan", "3"),),
                     tuple("z" * 2900 for _ in range(60)))
    msg = blocks.nudge_message(m)
    assert check_message(msg) == ([], [])
    assert "more lines didn't fit in this message" in _shown(msg)
    assert msg["blocks"][-1]["elements"][0]["action_id"] == "plan_close"


def test_an_error_for_a_step_without_an_input_is_shown_in_the_view():
    from bot.slack.acks import errors_ack
    from tests.support.fakes.block_kit import check_submission_ack
    info = blocks.prompt_view(prompt(InputKind.INFO, text="Listen now."))
    ack = json.loads(errors_ack(info, {blocks.ANSWER_BLOCK: "The database is down <right now>."}))
    assert ack["response_action"] == "update" and check_submission_ack(ack, info) == []
    assert "The database is down <right now>." in _shown(ack["view"])
    assert ack["view"]["private_metadata"] == info["private_metadata"]
    text = blocks.prompt_view(prompt(InputKind.SHORT_TEXT))
    ack = json.loads(errors_ack(text, {blocks.ANSWER_BLOCK: "Say more."}))
    assert ack == {"response_action": "errors", "errors": {"answer": "Say more."}}


async def test_a_reply_longer_than_a_response_url_takes_continues_in_the_dms():
    from bot.core.identity import Actor
    from bot.slack.listeners import SlackListeners
    from bot.slack.listeners.show import RESPONSES_PER_URL
    from tests.support.fakes.block_kit import check_message
    responded, dms = [], []

    async def respond(**message):
        responded.append(message)

    class Client:
        async def chat_postMessage(self, **message):
            dms.append(message)

    listeners = object.__new__(SlackListeners)  # reply() needs nothing of the listeners' state
    plans = Plans(1, _many_plans(300), date(2026, 11, 23))
    await listeners.reply(respond, plans, client=Client(), actor=Actor("slack", "T1", "U0ME"))
    assert len(responded) <= RESPONSES_PER_URL - 1 and dms and all(m["channel"] == "U0ME" for m in dms)
    assert all(check_message({k: v for k, v in m.items() if k in ("text", "blocks")}) == ([], [])
               for m in responded + dms)
    shown = _shown(responded + dms)
    assert "more parts are in your DMs with coachbot" in shown
    assert all(f"call the buyer #{p}.{i}" in shown for p in range(300) for i in range(3))
