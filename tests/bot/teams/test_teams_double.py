"""The strict Teams double refuses what Teams refuses: one request per rule, each breaking it on purpose."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.support.fakes.teams_connector import SIZE_LIMIT, FakeTeams


def call(teams: FakeTeams, method: str, path: str, body=None, *, token: str | None = "bot"):
    token = teams.outbound_token() if token == "bot" else token
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(teams.service_url + path.lstrip("/"), data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"{}"), dict(reply.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


def message(text: str = "hi", card: dict | None = None) -> dict:
    activity = {"type": "message", "text": text}
    if card is not None:
        activity["attachments"] = [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]
    return activity


def a_card(version: str | None = "1.2", body: list | None = None, actions: list | None = None) -> dict:
    card = {"type": "AdaptiveCard", "body": body or [{"type": "TextBlock", "text": "hi"}]}
    if version is not None:
        card["version"] = version
    if actions is not None:
        card["actions"] = actions
    return card


@pytest.fixture
def chat(teams):
    uid = teams.add_user("Rule Breaker")
    return uid, teams.install(uid)


def test_a_connector_call_needs_the_bots_token(teams, chat):
    _, cid = chat
    assert call(teams, "POST", f"v3/conversations/{cid}/activities", message(), token=None)[0] == 401
    other = teams.outbound_token(app_id="99999999-0000-0000-0000-000000000000")
    status, body, _ = call(teams, "POST", f"v3/conversations/{cid}/activities", message(), token=other)
    assert status == 401 and body == {"message": "Authorization has been denied for this request."}
    assert call(teams, "POST", f"v3/conversations/{cid}/activities", message())[0] == 201
    assert [r[1] for r in teams.take_refusals()] == [401, 401]


def test_the_token_service_knows_only_the_bot(teams):
    form = "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2Fapi.botframework.com%2F.default"
    for secret, status in (("wrong", 401), (teams.app_password, 200)):
        req = urllib.request.Request(f"{teams.identity_url}/{teams.tenant}/oauth2/v2.0/token", method="POST",
                                     data=form.format(teams.app_id, secret).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=10) as reply:
                got = reply.status
        except urllib.error.HTTPError as exc:
            got = exc.code
        assert got == status


@pytest.mark.parametrize("card,problem", [
    (a_card(version=None), "declares no version"),
    (a_card(version="1.6"), "newer than Teams renders"),
    (a_card(version="1.3", body=[{"type": "Table", "columns": []}]), "UnknownElementType"),
    (a_card(version="1.2", actions=[{"type": "Action.Submit", "title": "Go", "associatedInputs": "none"}]),
     "supported in version 1.3"),
    (a_card(version="1.2", actions=[{"type": "Action.Submit", "title": str(i)} for i in range(7)]), "TooManyActions"),
    ({"type": "Message"}, "not an AdaptiveCard"),
])
def test_a_card_teams_would_not_render_is_refused(teams, chat, card, problem):
    _, cid = chat
    status, body, _ = call(teams, "POST", f"v3/conversations/{cid}/activities", message(card=card))
    assert status == 400 and body["error"]["code"] == "BadArgument" and problem in body["error"]["message"], body
    assert call(teams, "POST", f"v3/conversations/{cid}/activities", message(card=a_card()))[0] == 201
    assert [r[1] for r in teams.take_refusals()] == [400]


def test_an_activity_over_the_size_limit_is_refused(teams, chat):
    _, cid = chat
    assert call(teams, "POST", f"v3/conversations/{cid}/activities", message("x" * (SIZE_LIMIT - 100)))[0] == 201
    status, body, _ = call(teams, "POST", f"v3/conversations/{cid}/activities", message("x" * SIZE_LIMIT))
    assert status == 413 and body["error"]["code"] == "MessageSizeTooBig"
    teams.take_refusals()


def test_conversations_the_bot_is_not_in_or_that_do_not_exist(teams, chat):
    uid, cid = chat
    assert call(teams, "POST", "v3/conversations/a:nope/activities", message())[1]["error"]["code"] == \
        "ConversationNotFound"
    teams.uninstall(uid)
    status, body, _ = call(teams, "POST", f"v3/conversations/{cid}/activities", message())
    assert status == 403 and body["error"]["code"] == "BotNotInConversationRoster"
    assert [r[1] for r in teams.take_refusals()] == [404, 403]


def test_a_channel_the_bot_was_removed_from_or_that_was_deleted(teams, chat):
    uid, _ = chat
    channel = teams.channel("Rules", [uid])
    thread = f"{channel};messageid=1000000000001"
    assert call(teams, "POST", f"v3/conversations/{thread}/activities", message())[0] == 201
    teams.conversations[channel]["bot_in"] = False
    status, body, _ = call(teams, "POST", f"v3/conversations/{thread}/activities", message())
    assert status == 403 and body["error"]["code"] == "BotNotInConversationRoster"
    del teams.conversations[channel]
    status, body, _ = call(teams, "POST", f"v3/conversations/{channel}/activities", message())
    assert status == 404 and body["error"]["code"] == "ConversationNotFound"
    assert [r[1] for r in teams.take_refusals()] == [403, 404]


def test_only_the_bots_own_messages_can_be_updated(teams, chat):
    _, cid = chat
    status, sent, _ = call(teams, "POST", f"v3/conversations/{cid}/activities", message())
    assert call(teams, "PUT", f"v3/conversations/{cid}/activities/{sent['id']}", message("edited"))[0] == 200
    status, body, _ = call(teams, "PUT", f"v3/conversations/{cid}/activities/1999", message("edited"))
    assert status == 404 and body["error"]["code"] == "ActivityNotFoundInConversation"
    teams.take_refusals()


@pytest.mark.parametrize("status,code,retry_after", [(429, "Throttled", 3), (503, "ServiceError", None),
                                                      (412, "PreconditionFailed", None)])
def test_failures_on_demand(teams, chat, status, code, retry_after):
    _, cid = chat
    teams.fail(status, code, retry_after=retry_after)
    got, body, headers = call(teams, "POST", f"v3/conversations/{cid}/activities", message())
    assert got == status and body["error"]["code"] == code
    assert headers.get("Retry-After") == (str(retry_after) if retry_after else None)
    assert call(teams, "POST", f"v3/conversations/{cid}/activities", message())[0] == 201
    teams.take_refusals()


def test_a_hang_on_demand(teams, chat):
    _, cid = chat
    teams.fail(503, "ServiceError", hang=1.5)
    started = time.monotonic()
    assert call(teams, "POST", f"v3/conversations/{cid}/activities", message())[0] == 503
    assert time.monotonic() - started >= 1.5
    teams.take_refusals()


def test_member_look_ups_and_creating_a_chat(teams, chat):
    uid, cid = chat
    status, member, _ = call(teams, "GET", f"v3/conversations/{cid}/members/{uid}")
    assert status == 200 and member["name"] == "Rule Breaker" and member["email"] and member["tenantId"] == teams.tenant
    assert call(teams, "GET", f"v3/conversations/{cid}/members/29:nobody")[1]["error"]["code"] == \
        "MemberNotFoundInConversation"
    created = call(teams, "POST", "v3/conversations", {"members": [{"id": uid}], "channelData": {"tenant": {"id": teams.tenant}}})
    assert created[0] == 201 and created[1]["id"] == cid
    assert call(teams, "POST", "v3/conversations", {"members": [{"id": uid}]})[1]["error"]["code"] == "BadSyntax"
    stranger = teams.add_user("Not Installed")
    assert call(teams, "POST", "v3/conversations", {"members": [{"id": stranger}], "tenantId": teams.tenant})[0] == 403
    assert [r[1] for r in teams.take_refusals()] == [404, 400, 403]
