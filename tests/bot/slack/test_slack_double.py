"""The strict Slack double refuses what Slack refuses: one payload per rule, each breaking it on purpose.

If a rule here stopped being enforced, the rest of the suite could pass with payloads that a real
workspace turns down; so every rule in tests/fakes/block_kit.py and tests/fakes/slack_api.py has a
case that must be refused with Slack's error, beside a case just inside the limit that must pass.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.app import SCOPES as APP_SCOPES
from tests.support.fakes import block_kit
from tests.support.fakes.slack_api import SCOPES, FakeSlack, manifest_scopes
from tests.support.served import Served

TOKEN = "xoxb-test-token"


@pytest.fixture(scope="module")
def fake():
    f = FakeSlack().start()
    f.join("C0JOINED")
    yield f
    f.stop()


def call(fake: FakeSlack, method: str, token: str = TOKEN, **args) -> tuple[int, dict, dict]:
    """POST a Web API call as slack_sdk does (JSON body, bearer token): (status, body, headers)."""
    req = urllib.request.Request(fake.api_url + method, data=json.dumps(args).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


def section(text: str = "hi", **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str = "go", text: str = "Go", **extra) -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, **extra}


def modal(blocks: list, **extra) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Title"},
            "submit": {"type": "plain_text", "text": "Save"}, "blocks": blocks, **extra}


def text_input(block_id: str = "answer", **element) -> dict:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": "Answer"},
            "element": {"type": "plain_text_input", "action_id": "value", **element}}


def options(n: int, text: str = "x", value: str = "v") -> list[dict]:
    return [{"text": {"type": "plain_text", "text": f"{text}{i}"}, "value": f"{value}{i}"} for i in range(n)]


def post(fake: FakeSlack, blocks: list, text: str | None = "fallback", channel: str = "U0ANY") -> dict:
    args = {"channel": channel, "blocks": blocks}
    if text is not None:
        args["text"] = text
    return call(fake, "chat.postMessage", **args)[1]


def refused_with(answer: dict, error: str, detail: str) -> bool:
    messages = " ".join((answer.get("response_metadata") or {}).get("messages") or [])
    return answer.get("ok") is False and answer.get("error") == error and detail in messages


# ---- Block Kit in messages (chat.postMessage answers invalid_blocks) ------------------------------

MESSAGE_CASES = [
    # (rule, blocks just inside the limit, blocks breaking it, the detail Slack gives)
    ("50 blocks per message", [section()] * 50, [section()] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    ("block_id unique in a message", [section(block_id="a"), section(block_id="b")],
     [section(block_id="a"), section(block_id="a")], '`block_id` "a" already exists'),
    ("block_id at most 255", [section(block_id="b" * 255)], [section(block_id="b" * 256)],
     "must be less than 256 characters"),
    ("action_id unique within a block", [{"type": "actions", "elements": [button("a"), button("b")]}],
     [{"type": "actions", "elements": [button("a"), button("a")]}], '`action_id` "a" already exists'),
    ("25 elements per actions block", [{"type": "actions", "elements": [button(f"b{i}") for i in range(25)]}],
     [{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}], "no more than 25 items allowed"),
    ("10 elements per context block", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 10}],
     [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}], "no more than 10 items allowed"),
    ("section text at most 3000", [section("x" * 3000)], [section("x" * 3001)], "must be less than 3001 characters"),
    ("section text not empty", [section("x")], [section("")], "must be more than 0 characters"),
    ("section fields at most 10", [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 10}],
     [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "no more than 10 items allowed"),
    ("section field at most 2000", [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}]}],
     [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "must be less than 2001"),
    ("header plain_text at most 150", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}],
     [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "must be less than 151"),
    ("header is plain_text", [{"type": "header", "text": {"type": "plain_text", "text": "h"}}],
     [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "must be plain_text"),
    ("button text at most 75", [{"type": "actions", "elements": [button(text="b" * 75)]}],
     [{"type": "actions", "elements": [button(text="b" * 76)]}], "must be less than 76"),
    ("button value at most 2000", [{"type": "actions", "elements": [button(value="v" * 2000)]}],
     [{"type": "actions", "elements": [button(value="v" * 2001)]}], "must be less than 2001"),
    ("button url at most 3000", [{"type": "actions", "elements": [button(url="u" * 3000)]}],
     [{"type": "actions", "elements": [button(url="u" * 3001)]}], "must be less than 3001"),
    ("confirm title at most 100", [{"type": "actions", "elements": [button(confirm={
        "title": {"type": "plain_text", "text": "t" * 100}, "text": {"type": "plain_text", "text": "x"},
        "confirm": {"type": "plain_text", "text": "Yes"}, "deny": {"type": "plain_text", "text": "No"}})]}],
     [{"type": "actions", "elements": [button(confirm={
         "title": {"type": "plain_text", "text": "t" * 101}, "text": {"type": "plain_text", "text": "x"},
         "confirm": {"type": "plain_text", "text": "Yes"}, "deny": {"type": "plain_text", "text": "No"}})]}],
     "must be less than 101"),
    ("accessory action_id at most 255", [section(accessory=button("a" * 255))],
     [section(accessory=button("a" * 256))], "must be less than 256"),
    ("no input blocks in messages", [section()], [text_input()], "input blocks are not allowed in messages"),
    ("known block types only", [{"type": "divider"}], [{"type": "table"}], "failed to match all allowed schemas"),
    ("image alt_text at most 2000", [{"type": "image", "image_url": "https://x.example/a.png", "alt_text": "a" * 2000}],
     [{"type": "image", "image_url": "https://x.example/a.png", "alt_text": "a" * 2001}], "/alt_text]"),
    ("confirm style primary or danger", [{"type": "actions", "elements": [button(confirm={
        "title": {"type": "plain_text", "text": "t"}, "text": {"type": "plain_text", "text": "x"},
        "confirm": {"type": "plain_text", "text": "Yes"}, "deny": {"type": "plain_text", "text": "No"},
        "style": "danger"})]}],
     [{"type": "actions", "elements": [button(confirm={
         "title": {"type": "plain_text", "text": "t"}, "text": {"type": "plain_text", "text": "x"},
         "confirm": {"type": "plain_text", "text": "Yes"}, "deny": {"type": "plain_text", "text": "No"},
         "style": "loud"})]}], "/confirm/style]"),
]


@pytest.mark.parametrize("rule,inside,breaking,detail", MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES])
def test_a_message_breaking_a_block_kit_rule_is_refused(fake, rule, inside, breaking, detail):
    assert post(fake, inside)["ok"] is True, rule
    answer = post(fake, breaking)
    assert refused_with(answer, "invalid_blocks", detail), answer
    assert [r[1] for r in fake.take_refusals()] == ["invalid_blocks"]


def test_a_message_with_nothing_to_show_is_refused(fake):
    assert call(fake, "chat.postMessage", channel="U0ANY")[1]["error"] == "no_text"
    fake.take_refusals()


def test_blocks_without_a_text_fallback_are_only_a_warning(fake):
    assert post(fake, [section()], text=None)["ok"] is True
    assert [w[1].split(":")[0] for w in fake.take_warnings()] == ["missing_text_fallback"]
    assert post(fake, [section()], text="fallback")["ok"] is True
    assert fake.take_warnings() == []


def test_a_message_over_40000_characters_is_posted_with_a_warning(fake):
    assert call(fake, "chat.postMessage", channel="U0ANY", text="x" * 40_001)[1]["ok"] is True
    assert fake.take_warnings() == [("chat.postMessage", "message_truncated")]


def test_the_bot_posts_only_in_channels_it_was_invited_to(fake):
    assert post(fake, [section()], channel="C0JOINED")["ok"] is True
    assert post(fake, [section()], channel="U0SOMEONE")["ok"] is True  # a DM needs no invitation
    answer = post(fake, [section()], channel="C0ELSEWHERE")
    assert answer["error"] == "not_in_channel"
    assert post(fake, [section()], channel="alex")["error"] == "channel_not_found"
    assert [r[1] for r in fake.take_refusals()] == ["not_in_channel", "channel_not_found"]


def test_an_ephemeral_message_is_checked_like_any_other(fake):
    answer = call(fake, "chat.postEphemeral", channel="C0JOINED", user="U0ANY", text="x",
                  blocks=[section(block_id="a"), section(block_id="a")])[1]
    assert refused_with(answer, "invalid_blocks", "already exists")
    fake.take_refusals()


def test_a_response_url_takes_five_messages(fake):
    url = fake.response_url("U0ANY-five")
    for i in range(6):
        req = urllib.request.Request(url, method="POST", data=json.dumps({"text": f"part {i}"}).encode(),
                                     headers={"Content-Type": "application/json"})
        if i < 5:
            urllib.request.urlopen(req, timeout=10)
        else:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 404
    assert [r[1] for r in fake.take_refusals()] == ["used_url"]


def test_users_info_gives_an_email_only_with_users_read_email(fake):
    fake.add_user("U0MAIL", "Mae Ling", email="mae@example.com")
    assert call(fake, "users.info", user="U0MAIL")[1]["user"]["profile"]["email"] == "mae@example.com"
    fake.grant("xoxb-no-email", manifest_scopes() - {"users:read.email"})
    assert "email" not in call(fake, "users.info", token="xoxb-no-email", user="U0MAIL")[1]["user"]["profile"]


def test_a_response_url_refuses_invalid_blocks_with_400(fake):
    req = urllib.request.Request(fake.response_url("U0ANY-1"), method="POST",
                                 data=json.dumps({"text": "x", "blocks": [section("")]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 400
    assert [r[1] for r in fake.take_refusals()] == ["invalid_blocks"]


# ---- views (views.* answer invalid_arguments) ----------------------------------------------------

def number_input(**element):
    """An input block holding a number_input element with these fields."""
    return {**text_input(), "element": {"type": "number_input", "action_id": "n", **element}}


VIEW_CASES = [
    ("100 blocks per modal", modal([section()] * 100), modal([section()] * 101),
     "no more than 100 items allowed [json-pointer:/view/blocks]"),
    ("modal title at most 24", modal([section()], title={"type": "plain_text", "text": "t" * 24}),
     modal([section()], title={"type": "plain_text", "text": "t" * 25}), "must be less than 25 characters"),
    ("modal submit at most 24", modal([section()], submit={"type": "plain_text", "text": "s" * 24}),
     modal([section()], submit={"type": "plain_text", "text": "s" * 25}), "[json-pointer:/view/submit/text]"),
    ("modal close at most 24", modal([section()], close={"type": "plain_text", "text": "c" * 24}),
     modal([section()], close={"type": "plain_text", "text": "c" * 25}), "[json-pointer:/view/close/text]"),
    ("private_metadata at most 3000", modal([section()], private_metadata="m" * 3000),
     modal([section()], private_metadata="m" * 3001), "must be less than 3001 characters"),
    ("callback_id at most 255", modal([section()], callback_id="c" * 255), modal([section()], callback_id="c" * 256),
     "[json-pointer:/view/callback_id]"),
    ("block_id unique in a view", modal([section(block_id="a"), text_input("b")]),
     modal([section(block_id="a"), text_input("a")]), '`block_id` "a" already exists'),
    ("submit needed with an input block", modal([text_input()]),
     {k: v for k, v in modal([text_input()]).items() if k != "submit"}, "must define `submit`"),
    ("input label at most 2000", modal([{**text_input(), "label": {"type": "plain_text", "text": "l" * 2000}}]),
     modal([{**text_input(), "label": {"type": "plain_text", "text": "l" * 2001}}]), "must be less than 2001"),
    ("input hint at most 2000", modal([{**text_input(), "hint": {"type": "plain_text", "text": "h" * 2000}}]),
     modal([{**text_input(), "hint": {"type": "plain_text", "text": "h" * 2001}}]), "/hint/text]"),
    ("placeholder at most 150", modal([text_input(placeholder={"type": "plain_text", "text": "p" * 150})]),
     modal([text_input(placeholder={"type": "plain_text", "text": "p" * 151})]), "/placeholder/text]"),
    ("max_length at most 3000", modal([text_input(max_length=3000)]), modal([text_input(max_length=3001)]),
     "must be between 1 and 3000"),
    ("initial_value within max_length", modal([text_input(max_length=5, initial_value="12345")]),
     modal([text_input(max_length=5, initial_value="123456")]), "/element/initial_value]"),
    ("10 radio buttons", modal([{**text_input(), "element": {"type": "radio_buttons", "action_id": "v",
                                                             "options": options(10)}}]),
     modal([{**text_input(), "element": {"type": "radio_buttons", "action_id": "v", "options": options(11)}}]),
     "no more than 10 items allowed"),
    ("10 checkboxes", modal([{**text_input(), "element": {"type": "checkboxes", "action_id": "v",
                                                          "options": options(10)}}]),
     modal([{**text_input(), "element": {"type": "checkboxes", "action_id": "v", "options": options(11)}}]),
     "no more than 10 items allowed"),
    ("100 select options", modal([{**text_input(), "element": {"type": "static_select", "action_id": "v",
                                                               "options": options(100)}}]),
     modal([{**text_input(), "element": {"type": "static_select", "action_id": "v", "options": options(101)}}]),
     "no more than 100 items allowed"),
    ("option text at most 75", modal([{**text_input(), "element": {"type": "static_select", "action_id": "v",
                                                                   "options": options(1, text="o" * 74)}}]),
     modal([{**text_input(), "element": {"type": "static_select", "action_id": "v",
                                         "options": options(1, text="o" * 75)}}]), "must be less than 76"),
    ("option value at most 150", modal([{**text_input(), "element": {"type": "static_select", "action_id": "v",
                                                                     "options": options(1, value="v" * 149)}}]),
     modal([{**text_input(), "element": {"type": "static_select", "action_id": "v",
                                         "options": options(1, value="v" * 150)}}]), "must be less than 151"),
    ("select options are plain_text", modal([{**text_input(), "element": {"type": "static_select", "action_id": "v",
                                                                            "options": options(2)}}]),
     modal([{**text_input(), "element": {"type": "static_select", "action_id": "v", "options": [
         {"text": {"type": "mrkdwn", "text": "*x*"}, "value": "x"}]}}]), "must be plain_text"),
    ("initial option is one of the options",
     modal([{**text_input(), "element": {"type": "radio_buttons", "action_id": "v", "options": options(2),
                                         "initial_option": options(2)[1]}}]),
     modal([{**text_input(), "element": {"type": "radio_buttons", "action_id": "v", "options": options(2),
                                         "initial_option": options(3)[2]}}]), "must match one of the options"),
    ("date picker takes YYYY-MM-DD", modal([{**text_input(), "element": {"type": "datepicker", "action_id": "v",
                                                                         "initial_date": "2026-12-04"}}]),
     modal([{**text_input(), "element": {"type": "datepicker", "action_id": "v", "initial_date": "4/12/2026"}}]),
     "must be a date in YYYY-MM-DD form"),
    ("number input says whether decimals are allowed", modal([number_input(is_decimal_allowed=False)]),
     modal([number_input()]), "is required [json-pointer:/view/blocks/0/element/is_decimal_allowed]"),
    ("number input's flag is a boolean", modal([number_input(is_decimal_allowed=False)]),
     modal([number_input(is_decimal_allowed="false")]), "must be a boolean"),
    ("number input's bounds are strings", modal([number_input(is_decimal_allowed=False, max_value="500")]),
     modal([number_input(is_decimal_allowed=False, max_value=500)]), "/element/max_value]"),
    ("number input's min not above its max",
     modal([number_input(is_decimal_allowed=False, min_value="0", max_value="0")]),
     modal([number_input(is_decimal_allowed=False, min_value="5", max_value="1")]), "cannot be greater than max_value"),
    ("number input's decimals only when allowed",
     modal([number_input(is_decimal_allowed=True, initial_value="2.5")]),
     modal([number_input(is_decimal_allowed=False, initial_value="2.5")]), "must be a number without decimals"),
]



@pytest.mark.parametrize("rule,inside,breaking,detail", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_a_view_breaking_a_rule_is_refused(fake, rule, inside, breaking, detail):
    assert call(fake, "views.open", trigger_id=fake.trigger(), view=inside)[1]["ok"] is True, rule
    answer = call(fake, "views.open", trigger_id=fake.trigger(), view=breaking)[1]
    assert refused_with(answer, "invalid_arguments", detail), answer
    assert [r[1] for r in fake.take_refusals()] == ["invalid_arguments"]


def test_a_home_tab_holds_100_blocks_and_only_home_views_are_published(fake):
    home = {"type": "home", "blocks": [section()] * 100}
    assert call(fake, "views.publish", user_id="U0ANY", view=home)[1]["ok"] is True
    answer = call(fake, "views.publish", user_id="U0ANY", view={**home, "blocks": [section()] * 101})[1]
    assert refused_with(answer, "invalid_arguments", "no more than 100 items allowed")
    answer = call(fake, "views.open", trigger_id=fake.trigger(), view=home)[1]
    assert refused_with(answer, "invalid_arguments", "home views can only be published")
    assert len(fake.take_refusals()) == 2


# ---- triggers, view ids and hashes ---------------------------------------------------------------

def test_a_trigger_works_once_within_three_seconds(fake):
    trigger = fake.trigger()
    assert call(fake, "views.open", trigger_id=trigger, view=modal([section()]))[1]["ok"] is True
    assert call(fake, "views.open", trigger_id=trigger, view=modal([section()]))[1]["error"] == "exchanged_trigger_id"
    old = fake.trigger()
    fake.triggers[old] -= 3.2  # issued 3.2 s ago
    assert call(fake, "views.open", trigger_id=old, view=modal([section()]))[1]["error"] == "expired_trigger_id"
    assert call(fake, "views.open", trigger_id="12345.98765.abcd", view=modal([section()]))[1]["error"] == \
        "invalid_trigger_id"
    assert [r[1] for r in fake.take_refusals()] == ["exchanged_trigger_id", "expired_trigger_id", "invalid_trigger_id"]


def test_a_slow_views_open_is_judged_by_when_it_arrived(fake):
    fake.slow("views.open", 0.5)
    try:
        trigger = fake.trigger()
        fake.triggers[trigger] -= 2.8  # arrives at 2.8 s, answered at 3.3 s: still in time
        assert call(fake, "views.open", trigger_id=trigger, view=modal([section()]))[1]["ok"] is True
    finally:
        fake.slow("views.open", 0)


def test_views_update_needs_a_known_view_and_its_current_hash(fake):
    opened = call(fake, "views.open", trigger_id=fake.trigger(), view=modal([section()]))[1]["view"]
    assert call(fake, "views.update", view_id="V0NOPE", view=modal([section()]))[1]["error"] == "not_found"
    updated = call(fake, "views.update", view_id=opened["id"], hash=opened["hash"], view=modal([section("2")]))[1]
    assert updated["ok"] is True and updated["view"]["hash"] != opened["hash"]
    stale = call(fake, "views.update", view_id=opened["id"], hash=opened["hash"], view=modal([section("3")]))[1]
    assert stale["error"] == "hash_conflict"
    assert [r[1] for r in fake.take_refusals()] == ["not_found", "hash_conflict"]


# ---- scopes --------------------------------------------------------------------------------------

def test_a_method_needs_its_scope(fake):
    fake.add_user("U0SCOPE", "Scope Person")
    fake.grant("xoxb-old-install", {"commands", "chat:write"})
    status, answer, _ = call(fake, "users.info", token="xoxb-old-install", user="U0SCOPE")
    assert status == 200 and answer["error"] == "missing_scope" and answer["needed"] == "users:read"
    assert "chat:write" in answer["provided"]
    assert call(fake, "users.info", user="U0SCOPE")[1]["ok"] is True  # the manifest grants users:read
    assert call(fake, "files.getUploadURLExternal", token="xoxb-old-install", filename="a.png",
                length=3)[1]["needed"] == "files:write"
    assert call(fake, "conversations.history", token="xoxb-old-install", channel="D0X")[1]["needed"] == "im:history"
    assert call(fake, "conversations.history", token="xoxb-old-install",
                channel="C0JOINED")[1]["needed"] == "channels:history"
    assert len(fake.take_refusals()) == 4


@pytest.mark.parametrize("error", ["token_revoked", "account_inactive", "invalid_auth"])
def test_a_dead_token_is_refused_by_every_method_and_a_new_one_is_not(fake, error):
    fake.add_user("U0DEAD", "Dee Ad")
    dead, fresh = f"xoxb-dead-{error}-token", f"xoxb-fresh-{error}-token"
    assert call(fake, "chat.postMessage", token=dead, channel="U0DEAD", text="before")[1]["ok"] is True
    fake.revoke(dead, error)
    for method, args in (("chat.postMessage", {"channel": "U0DEAD", "text": "after"}),
                         ("conversations.open", {"users": "U0DEAD"}), ("users.info", {"user": "U0DEAD"})):
        assert call(fake, method, token=dead, **args)[1] == {"ok": False, "error": error}, method
    assert call(fake, "chat.postMessage", token=fresh, channel="U0DEAD", text="re-installed")[1]["ok"] is True
    assert [r[1] for r in fake.take_refusals()] == [error] * 3


def test_an_unknown_method_is_refused(fake):
    assert call(fake, "chat.postMessageTypo", channel="U0ANY", text="x")[1]["error"] == "unknown_method"
    fake.take_refusals()


def test_every_method_the_app_calls_is_granted_by_the_manifest():
    """The scopes kept in step: what bot/ calls (statically), what the manifest and OAuth ask for."""
    source = "\n".join(p.read_text() for p in Path("bot").rglob("*.py"))
    families = "|".join(sorted({m.split(".")[0] for m in SCOPES}))
    called = {name for name in re.findall(rf"\.((?:{families})_[A-Za-z_0-9]+)\(", source)
              if hasattr(AsyncWebClient, name)}  # Web API methods, whatever the client object is called
    methods = set()
    for name in called:
        if name == "files_upload_v2":  # slack_sdk's helper: get an upload URL, upload, complete
            methods |= {"files.getUploadURLExternal", "files.completeUploadExternal"}
        else:
            head, _, tail = name.partition("_")
            methods.add(f"{head}.{tail.replace('_', '.')}")
    assert {"chat.postMessage", "views.open", "users.info", "files.getUploadURLExternal"} <= methods
    granted = manifest_scopes()
    assert set(APP_SCOPES) == granted
    for method in methods:
        assert method in SCOPES, f"the double does not know {method}; add its scope from docs.slack.dev"
        need = SCOPES[method]
        need = "im:history" if need == "history" else need  # the app reads DM history only
        options = need if isinstance(need, tuple) else (need,)
        assert need is None or any(o in granted for o in options), f"{method} needs {need}, not in the manifest"
    from bot.slack.scopes import WHAT_NEEDS
    assert set(APP_SCOPES) <= set(WHAT_NEEDS), "say what each scope is for, for the missing-scope message"


# ---- rate limits and slowness --------------------------------------------------------------------

@pytest.mark.parametrize("method,args", [("users.info", {"user": "U0SCOPE"}),
                                         ("conversations.open", {"users": "U0SCOPE"}),
                                         ("chat.postMessage", {"channel": "U0SCOPE", "text": "hi"})])
def test_rate_limited_and_slow_modes(fake, method, args):
    fake.add_user("U0SCOPE", "Scope Person")
    fake.rate_limit(method, retry_after=7, times=1)
    status, answer, headers = call(fake, method, **args)
    assert status == 429 and answer["error"] == "ratelimited" and headers["Retry-After"] == "7"
    assert call(fake, method, **args)[1]["ok"] is True
    fake.slow(method, 0.4)
    try:
        started = time.monotonic()
        assert call(fake, method, **args)[1]["ok"] is True
        assert time.monotonic() - started >= 0.4
    finally:
        fake.slow(method, 0)


# ---- what the app answers to Slack (checked by the test harness, as Slack checks it) -------------

SUBMITTED = modal([section(block_id="intro"), text_input("answer")])


@pytest.mark.parametrize("ack,problem", [
    ({"response_action": "errors", "errors": {"answer": "Say more."}}, None),
    ({"response_action": "errors", "errors": {"intro": "Say more."}}, 'block "intro", which is not an input block'),
    ({"response_action": "errors", "errors": {"nowhere": "Say more."}}, 'block "nowhere"'),
    ({"response_action": "update", "view": modal([section()])}, None),
    ({"response_action": "update", "view": modal([section()] * 101)}, "no more than 100 items allowed"),
    ({"response_action": "push", "view": modal([section()])}, None),
    ({"response_action": "clear"}, None),
    ({"response_action": "replace"}, "unknown response_action"),
])
def test_a_submission_acknowledgement_is_checked_like_slack_does(ack, problem):
    problems = block_kit.check_submission_ack(ack, SUBMITTED)
    assert (problem is None and problems == []) or (problem is not None and any(problem in p for p in problems))
    assert block_kit.check_submission_ack({"response_action": "push", "view": modal([section()])}, SUBMITTED,
                                          stack_depth=3) == ["push_limit_reached"]


def test_an_acknowledgement_after_three_seconds_is_a_timeout(fake):
    """Slack stops waiting after 3 s; the harness records operation_timeout for a slow answer."""
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(3.2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        harness = object.__new__(Served)  # only its HTTP side: no coachbot process
        harness.fake, harness.url = fake, f"http://127.0.0.1:{server.server_address[1]}"
        assert harness.post_signed("text=help", "application/x-www-form-urlencoded").status == 200
    finally:
        server.shutdown()
    assert [r[1] for r in fake.take_refusals()] == ["operation_timeout"]


def test_a_thread_reply_is_in_conversations_replies_not_in_history(fake):
    fake.channels.add("C0DEALS")
    fake.grant("xoxb-reader", {"chat:write", "channels:history"})
    parent = call(fake, "chat.postMessage", channel="C0DEALS", text="Lost: Acme")[1]["ts"]
    call(fake, "chat.postMessage", channel="C0DEALS", text="retro done", thread_ts=parent)
    history = call(fake, "conversations.history", token="xoxb-reader", channel="C0DEALS")[1]["messages"]
    thread = call(fake, "conversations.replies", token="xoxb-reader", channel="C0DEALS", ts=parent)[1]["messages"]
    assert [m["text"] for m in history] == ["Lost: Acme"]
    assert [m["text"] for m in thread] == ["Lost: Acme", "retro done"]
    assert call(fake, "conversations.replies", token="xoxb-reader", channel="C0DEALS",
                ts="1.000001")[1]["error"] == "thread_not_found"
    assert call(fake, "conversations.replies", token="xoxb-reader", channel="C0NOPE",
                ts=parent)[1]["error"] == "channel_not_found"
    assert call(fake, "conversations.replies", token="xoxb-reader", channel="G0PRIV",
                ts=parent)[1]["needed"] == "groups:history"
    assert [r[1] for r in fake.take_refusals()] == ["thread_not_found", "channel_not_found", "missing_scope"]
