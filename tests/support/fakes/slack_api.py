"""A strict double of the Slack Web API on 127.0.0.1: it answers like Slack does, refuses what Slack
refuses, and records every request body.

It runs its own event loop in a background thread, so both sync and async tests (and the bench
scripts) can use it while a real `coachbot serve` process talks to it over HTTP.

What it enforces, beside the Block Kit rules in `block_kit.py` (each with its source):
- Scopes: a method is refused with `missing_scope` (and Slack's `needed`/`provided` fields) unless the
  token's scopes include what the method needs (SCOPES below, from each method's page on
  docs.slack.dev/reference/methods). Tokens get the bot scopes of slack/manifest.json unless a test
  grants others (an install made before a scope was added).
- Triggers (docs.slack.dev/reference/methods/views.open, api.slack.com/docs/triggers): a trigger_id
  works once, for 3 seconds after Slack issued it (`trigger()`): `expired_trigger_id`,
  `exchanged_trigger_id`, `invalid_trigger_id`.
- Views (docs.slack.dev/reference/methods/views.update): views.update needs the id of a view Slack
  knows (`not_found`) and, when a hash is given, the current one (`hash_conflict`).
- Channels (docs.slack.dev/reference/methods/chat.postMessage): the bot posts only in DMs and in
  channels it is a member of (`join()`), else `not_in_channel`.
- Dead tokens (docs.slack.dev/reference/methods/auth.revoke, docs.slack.dev/reference/events/tokens_revoked,
  and the errors of docs.slack.dev/reference/methods/chat.postMessage): a token revoked by an uninstall
  or `auth.revoke` (`revoke()`) is refused by every method with `token_revoked`; one whose workspace or
  bot user was deactivated with `account_inactive`; one Slack does not know with `invalid_auth`
  (`revoke(token, error=...)`). A re-install issues a new token (`oauth.v2.access`); the old one
  keeps working until it is revoked, as Slack leaves it.
- Profiles (docs.slack.dev/reference/methods/team.profile.get, .../users.profile.get): the workspace's
  custom profile fields (`define_field()`) and each person's values (`set_field()`), both only with
  users.profile:read; users.profile.get of an id Slack doesn't know is refused with `user_not_found`.
- Rate limits (docs.slack.dev/apis/web-api/rate-limits): `rate_limit()` answers HTTP 429 with a
  Retry-After header; `slow()` delays a method's answers.
Every refusal is kept in `refusals` and every warning in `warnings`; the suite fails a test that
leaves any it did not expect (tests/conftest.py).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.support.fakes import block_kit
from tests.support.fakes.threaded import ThreadedApp

JSON_FIELDS = ("view", "blocks", "attachments", "metadata")
MANIFEST = Path(__file__).parents[3] / "slack" / "manifest.json"
TRIGGER_SECONDS = 3.0
RESPONSE_URL_USES = 5  # docs.slack.dev/interactivity/handling-user-interaction: up to 5 times in 30 minutes
CHANNEL_ID = re.compile(r"^[CGDUW][A-Z0-9]{2,}$")  # channel, group, DM, or a user id (posts to the DM)
# The scope a bot token needs for each method, from the method's page under
# docs.slack.dev/reference/methods/<method> ("Required scopes"). None: no scope needed. A method
# missing here is answered `unknown_method`, so a new call cannot slip past the scope check.
SCOPES: dict[str, str | tuple[str, ...] | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "views.open": None, "views.update": None, "views.push": None, "views.publish": None,
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "team.profile.get": "users.profile:read",
    "users.profile.get": "users.profile:read",
    "conversations.open": ("im:write", "mpim:write", "channels:manage", "groups:write"),  # any one
    "conversations.history": "history",  # channels:/groups:/im:/mpim:history by the channel's kind
    "conversations.replies": "history",  # the same four scopes, by the channel's kind
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "apps.connections.open": "connections:write",  # app-level token
    "oauth.v2.access": None,
}


def manifest_scopes() -> set[str]:
    """The bot scopes an admin grants by installing the app from slack/manifest.json."""
    return set(json.loads(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])


def history_scope(channel: str) -> str:
    """conversations.history's scope for a channel id: D = im, G = private, C = public (mpim ids start with G too)."""
    return {"D": "im:history", "G": "groups:history"}.get(channel[:1], "channels:history")


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    delivered: bool = True  # False when the fake answered it with an injected failure or a refusal
    answer: dict[str, Any] | None = None  # what Slack answered (None until it has)


@dataclass
class Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    match: Any = None  # only calls whose body satisfies this predicate fail


class FakeSlack:
    def __init__(self, *, team_id: str = "T0001", team_name: str = "Acme Sales", bot_token: str = "xoxb-test-token"):
        self.team_id = team_id
        self.team_name = team_name
        self.bot_token = bot_token
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_url
        self.users: dict[str, dict[str, Any]] = {}
        self.profile_fields: list[dict[str, Any]] = []  # team.profile.get's field definitions
        self.field_values: dict[str, dict[str, str]] = {}  # user -> field id -> value
        self.failures: dict[str, list[Failure]] = {}
        self.delay: dict[str, float] = {}
        self._ids = itertools.count(1)
        self.sockets: list[web.WebSocketResponse] = []
        self.uploads: dict[str, bytes] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # DM channel -> messages posted there, newest last  # file id -> the bytes uploaded to its upload URL
        self.socket_messages: list[dict[str, Any]] = []  # what the app sent back over Socket Mode
        self.scopes: dict[str, set[str]] = {}  # token -> granted scopes (default: the manifest's)
        self.install_scopes: set[str] | None = None  # what the next OAuth installs grant (default: the manifest's)
        self.triggers: dict[str, float] = {}  # trigger_id -> when Slack issued it (monotonic)
        self.used_triggers: set[str] = set()
        self.views: dict[str, dict[str, Any]] = {}  # view id -> {"hash", "view", "user"}
        self.channels: set[str] = set()  # channels (not DMs) the bot is a member of
        self.revoked: dict[str, str] = {}  # token Slack no longer accepts -> the error it answers
        self.installs: dict[str, int] = {}  # team -> how many times it installed the app
        self.last_request = 0.0  # monotonic time of the last request of any kind
        self.in_flight = 0  # requests not answered yet (a slow() method keeps them open)
        self.refusals: list[tuple[str, str, list[str]]] = []  # (method, error, details) Slack refused
        self.warnings: list[tuple[str, str]] = []  # (method, warning) Slack would have noted
        self._lock = threading.Lock()
        self._served = ThreadedApp()

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._served.port

    @property
    def _loop(self):
        return self._served.loop

    def start(self) -> "FakeSlack":
        self._served.start(self._app, "fake Slack API")
        return self

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk uses GET for some read methods
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        return app

    def settle(self, quiet: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until no request has arrived for `quiet` seconds (the app's background work is done)."""
        deadline = time.monotonic() + timeout
        while (self.in_flight or time.monotonic() - self.last_request < quiet) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop serving; refusals or warnings nobody took by then fail the module (see tests/conftest.py)."""
        if self._loop is None:
            return
        self.settle()
        left = self.take_refusals() + self.take_warnings()
        self._served.stop()
        assert not left, f"Slack refused or warned about calls after the last test looked: {left}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, rid: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{rid}"

    # ---- test controls -----------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, *, tz: str = "America/Los_Angeles", email: str | None = None,
                 team_id: str | None = None) -> None:
        self.users[user_id] = {
            "id": user_id, "team_id": team_id or self.team_id, "name": name.lower(), "real_name": name,
            "deleted": False, "is_bot": False, "tz": tz, "tz_label": tz, "tz_offset": 0,
            "profile": {"real_name": name, "display_name": name, "email": email or f"{name.lower()}@example.com"},
        }

    def define_field(self, field_id: str, label: str, kind: str = "user") -> None:
        """A custom profile field of the workspace (kind: date, link, long_text, options_list, text, user)."""
        self.profile_fields.append({"id": field_id, "ordering": len(self.profile_fields), "field_name": "",
                                    "label": label, "hint": "", "type": kind, "possible_values": None,
                                    "options": {"is_scim": False, "is_protected": False}, "is_hidden": False,
                                    "section_id": "S0000000001"})

    def set_field(self, user: str, field_id: str, value: str) -> None:
        """What a person's profile holds in a custom field (a user id, for a field of kind user)."""
        self.field_values.setdefault(user, {})[field_id] = value

    def trigger(self) -> str:
        """A new trigger_id, as Slack puts in a command, shortcut or button payload; valid for 3 s, once."""
        trigger = f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex[:12]}"
        with self._lock:
            self.triggers[trigger] = time.monotonic()
        return trigger

    def revoke(self, token: str, error: str = "token_revoked") -> None:
        """Stop accepting a token, as Slack does after an uninstall (every call answers `error`:
        token_revoked, account_inactive or invalid_auth)."""
        assert error in ("token_revoked", "account_inactive", "invalid_auth"), error
        self.revoked[token] = error

    def join(self, *channels: str) -> None:
        """Make the bot a member of these channels (it may post there)."""
        self.channels.update(channels)

    def grant(self, token: str, scopes: set[str] | list[str]) -> None:
        """Give a token these scopes instead of the manifest's (an old install, say)."""
        self.scopes[token] = set(scopes)

    def slow(self, method: str, seconds: float) -> None:
        """Answer every call of `method` after `seconds` (0 turns it off)."""
        self.delay[method] = seconds

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with HTTP 429 and Retry-After, as Slack throttles."""
        self.fail(method, 429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(retry_after)},
                  times=times)

    def take_refusals(self) -> list[tuple[str, str, list[str]]]:
        """The refusals so far, forgotten (for tests that break a rule on purpose)."""
        with self._lock:
            taken, self.refusals[:] = list(self.refusals), []
        return taken

    def take_warnings(self) -> list[tuple[str, str]]:
        with self._lock:
            taken, self.warnings[:] = list(self.warnings), []
        return taken

    def opened_view(self, call: Call) -> dict:
        """The view a views.open call opened, as Slack holds it (with its id and hash)."""
        deadline = time.monotonic() + 10
        while call.answer is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if not (call.answer or {}).get("ok"):
            raise AssertionError(f"Slack did not open the view of {call.method}: {call.answer}")
        view = call.answer["view"]
        return {k: v for k, v in view.items() if k not in ("state", "team_id")}

    def view_updated(self, view_id: str, view: dict) -> str:
        """Slack replaced a view after a `response_action: update` acknowledgement; returns its new hash."""
        new_hash = self._id("h.")
        with self._lock:
            known = self.views.get(view_id, {})
            self.views[view_id] = {**known, "hash": new_hash, "view": view}
        return new_hash

    def fail(self, method: str, status: int, body: dict | None = None, headers: dict | None = None,
             times: int = 1, match=None) -> None:
        """Make the next `times` calls of `method` (those whose body satisfies `match`) fail with this status."""
        self.failures.setdefault(method, []).extend(
            [Failure(status, body or {"ok": False, "error": "fatal_error"}, headers or {}, match)] * times)

    def push(self, envelope: dict) -> None:
        """Send a Socket Mode envelope to every connected app."""
        async def send():
            for ws in list(self.sockets):
                await ws.send_json(envelope)
        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)

    def wait_for_socket_message(self, envelope_id: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in list(self.socket_messages):
                if m.get("envelope_id") == envelope_id:
                    return m
            time.sleep(0.02)
        raise AssertionError(f"no Socket Mode ack for {envelope_id}")

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10, where=None) -> list[Call]:
        """Wait until at least `count` calls of `method` (matching `where`) have arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls_to(method) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = sorted({c.method for c in self.calls})
                raise AssertionError(f"expected {count} call(s) to {method}, got {len(found)}; methods seen: {seen}")
            time.sleep(0.02)

    def responses_for(self, user: str) -> int:
        """How many response_url posts commands by `user` have had so far."""
        with self._lock:
            return len([r for r in self.responses if r["_rid"].startswith(user + "-")])

    def wait_for_response(self, user: str, count: int = 1, timeout: float = 10, containing: str | None = None
                          ) -> list[dict]:
        """Bodies posted to response URLs of commands run by `user` (see Served.command); with `containing`,
        wait until one of them contains that text."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [r for r in self.responses if r["_rid"].startswith(user + "-")]
            text_ok = containing is None or any(containing in json.dumps(r, ensure_ascii=False) for r in found)
            if len(found) >= count and text_ok:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} response_url post(s) for {user}"
                                     + (f" containing {containing!r}" if containing else "") + f", got {found}")
            time.sleep(0.02)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self.failures.clear()
            self.refusals.clear()
            self.warnings.clear()

    # ---- handlers ----------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        if request.method == "GET":
            return dict(request.query)
        if request.content_type == "application/json":
            return {**request.query, **json.loads(raw or "{}")}
        # slack_sdk sends some methods' arguments in the query string even on POST
        body: dict[str, Any] = {**request.query, **dict(parse_qsl(raw, keep_blank_values=True))}
        for key in (*JSON_FIELDS, "files"):
            if isinstance(body.get(key), str):
                try:
                    body[key] = json.loads(body[key])
                except ValueError:
                    pass
        return body

    async def _response_url(self, request: web.Request) -> web.Response:
        self.last_request = time.monotonic()
        body = await self._body(request)
        rid = body["_rid"] = request.match_info["rid"]
        with self._lock:
            used = len([r for r in self.responses if r["_rid"] == rid])
        if used >= RESPONSE_URL_USES:
            self._note("response_url", [f"response_url {rid} already used {used} times"], [], "used_url")
            return web.Response(status=404, text="used_url")
        problems, warnings = block_kit.check_message(body)
        self._note("response_url", problems, warnings)
        if problems:
            # A response_url answers 400 with the reason in plain text when the message is refused.
            return web.Response(status=400, text="invalid_blocks" if problems != ["no_text"] else "no_text")
        with self._lock:
            self.responses.append(body)
        return web.json_response({"ok": True})

    def _note(self, method: str, problems: list[str], warnings: list[str], error: str = "invalid_blocks") -> None:
        with self._lock:
            if problems:
                self.refusals.append((method, error, problems))
            self.warnings.extend((method, w) for w in warnings)

    def refuse(self, method: str, error: str, details: list[str] | None = None, **extra) -> dict:
        """Slack's answer to a refused call, remembered in `refusals`."""
        self._note(method, details or [error], [], error)
        answer = {"ok": False, "error": error, **extra}
        if details:
            answer["response_metadata"] = {"messages": [f"[ERROR] {d}" for d in details]}
        return answer

    def _scope_problem(self, method: str, body: dict, token: str | None) -> dict | None:
        need = SCOPES[method]
        if need is None or (token or "").startswith("xapp-"):
            return None
        granted = self.scopes.get(token or "")
        if granted is None:
            granted = manifest_scopes()
        if need == "history":
            need = history_scope(str(body.get("channel", "")))
        options = need if isinstance(need, tuple) else (need,)
        if any(o in granted for o in options):
            return None
        return self.refuse(method, "missing_scope", needed=",".join(options), provided=",".join(sorted(granted)))

    async def _api(self, request: web.Request) -> web.Response:
        self.in_flight += 1  # only the fake's own event loop touches it
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1
            self.last_request = time.monotonic()

    async def _answer(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else body.get("token")
        received = self.last_request = time.monotonic()
        with self._lock:
            self.calls.append(Call(method, body, token))
            call = self.calls[-1]
            queued = self.failures.get(method) or []
            failure = next((f for f in queued if f.match is None or f.match(body)), None)
            if failure is not None:
                queued.remove(failure)
                call.delivered = False
        if self.delay.get(method):
            await asyncio.sleep(self.delay[method])
        if failure is not None:
            call.answer = failure.body
            return web.json_response(failure.body, status=failure.status, headers=failure.headers)
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None or method not in SCOPES:
            call.delivered = False
            return web.json_response(self.refuse(method, "unknown_method"))
        refused = self.refuse(method, self.revoked[token]) if token in self.revoked else \
            self._scope_problem(method, body, token)
        # views.open/push judge the trigger by when the request arrived, not when a slow() delay ended.
        answer = refused or (handler(body, token, received) if method in ("views.open", "views.push")
                             else handler(body, token))
        call.delivered = bool(answer.get("ok"))
        call.answer = answer
        return web.json_response(answer)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                            "connection_info": {"app_id": "A0001"}})
        try:
            async for msg in ws:
                if msg.type == 1:  # TEXT
                    self.socket_messages.append(json.loads(msg.data))
        finally:
            self.sockets.remove(ws)
        return ws

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()  # the raw body; a PNG sent as multipart still contains its signature
        self.uploads[request.match_info["file_id"]] = data
        return web.Response(text="OK - " + str(len(data)))

    def m_files_getUploadURLExternal(self, body, token):
        file_id = self._id("F")
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, body, token):
        channel = str(body.get("channel_id") or "")
        if channel[:1] in ("C", "G") and channel not in self.channels:
            return self.refuse("files.completeUploadExternal", "not_in_channel")
        files = body.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files or []]}

    def m_apps_connections_open(self, body, token):
        if not (token or "").startswith("xapp-"):
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def m_auth_test(self, body, token):
        if token and token.startswith("xoxb-revoked"):
            return {"ok": False, "error": "token_revoked"}
        team = token.split("-")[1] if token and token.count("-") >= 2 and token.endswith("-token") \
            and token != self.bot_token else self.team_id
        return {"ok": True, "url": "https://acme.slack.com/", "team": self.team_name, "user": "coachbot",
                "team_id": team, "user_id": "UBOT0001", "bot_id": "BBOT0001", "is_enterprise_install": False}

    def m_users_info(self, body, token):
        user = self.users.get(body.get("user", ""))
        if not user:
            return {"ok": False, "error": "user_not_found"}
        granted = self.scopes.get(token or "", manifest_scopes())
        if "users:read.email" not in granted:  # docs.slack.dev/reference/methods/users.info: email needs this scope
            user = {**user, "profile": {k: v for k, v in user["profile"].items() if k != "email"}}
        return {"ok": True, "user": user}

    def m_team_profile_get(self, body, token):
        # docs.slack.dev/reference/methods/team.profile.get: "a profile item ... the fields key ...
        # contains a list of field definitions for this team" (id, label, type, ordering, options...).
        with self._lock:
            fields = [dict(f) for f in self.profile_fields]
        visibility = body.get("visibility") or "all"
        if visibility != "all":
            fields = [f for f in fields if bool(f.get("is_hidden")) == (visibility == "hidden")]
        return {"ok": True, "profile": {"fields": fields, "sections": []}}

    def m_users_profile_get(self, body, token):
        # docs.slack.dev/reference/methods/users.profile.get: without `user`, the caller's own profile;
        # `user_not_found`: "Value passed for user was invalid". Custom fields sit in profile.fields,
        # keyed by field id, each {"value", "alt"}.
        uid = body.get("user") or "UBOT0001"
        user = self.users.get(uid) if uid != "UBOT0001" else {"real_name": "coachbot", "profile": {}}
        if user is None:
            return self.refuse("users.profile.get", "user_not_found", [f"no user {uid!r} in this workspace"])
        with self._lock:
            values = dict(self.field_values.get(uid, {}))
        profile = {**user["profile"], "real_name_normalized": user["real_name"],
                   "fields": {k: {"value": v, "alt": ""} for k, v in values.items()}}
        return {"ok": True, "profile": profile}

    def m_users_lookupByEmail(self, body, token):
        for user in self.users.values():
            if user["profile"]["email"] == body.get("email"):
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _trigger_problem(self, method: str, body: dict, received: float) -> dict | None:
        trigger = body.get("trigger_id") or ""
        with self._lock:
            issued = self.triggers.get(trigger)
            if issued is None:
                problem = "invalid_trigger_id"
            elif trigger in self.used_triggers:
                problem = "exchanged_trigger_id"
            elif received - issued > TRIGGER_SECONDS:
                problem = "expired_trigger_id"
            else:
                self.used_triggers.add(trigger)
                return None
        return self.refuse(method, problem, [f"{problem}: trigger {trigger!r} used "
                                             + (f"{received - issued:.2f} s after it was issued" if issued else "")])

    def _view(self, method: str, body: dict, view_id: str | None = None) -> dict:
        view = body.get("view") or {}
        if isinstance(view, str):
            view = json.loads(view)
        problems = block_kit.check_view(view)
        if view.get("type") == "home" and method != "views.publish":
            problems.append("home views can only be published [json-pointer:/view/type]")
        if problems:
            return self.refuse(method, "invalid_arguments", problems)
        view_id = view_id or self._id("V")
        new_hash = self._id("h.")
        with self._lock:
            self.views[view_id] = {"hash": new_hash, "view": view, "user": body.get("user_id")}
        return {"ok": True, "view": {**view, "id": view_id, "hash": new_hash, "team_id": self.team_id,
                                     "state": {"values": {}}}}

    def m_views_open(self, body, token, received):
        return self._trigger_problem("views.open", body, received) or self._view("views.open", body)

    def m_views_push(self, body, token, received):
        return self._trigger_problem("views.push", body, received) or self._view("views.push", body)

    def m_views_update(self, body, token):
        view_id = body.get("view_id")
        with self._lock:
            known = self.views.get(view_id or "")
        if known is None:
            return self.refuse("views.update", "not_found", [f"no view with id {view_id!r}"])
        if body.get("hash") and body["hash"] != known["hash"]:
            return self.refuse("views.update", "hash_conflict", [f"hash {body['hash']} is not {known['hash']}"])
        return self._view("views.update", body, view_id)

    def m_views_publish(self, body, token):
        if not body.get("user_id"):
            return self.refuse("views.publish", "invalid_arguments", ["user_id is required"])
        return self._view("views.publish", body, f"VHOME{body['user_id']}")

    def _message_problem(self, method: str, body: dict) -> dict | None:
        problems, warnings = block_kit.check_message(body)
        if problems == ["no_text"]:
            return self.refuse(method, "no_text")
        self._note(method, [], warnings)
        if problems:
            return {**self.refuse(method, "invalid_blocks", problems), "errors": problems}
        channel = str(body.get("channel", ""))
        if not CHANNEL_ID.match(channel):  # a name or a raw handle is not a conversation Slack knows
            return self.refuse(method, "channel_not_found", [f"no conversation {channel!r}"])
        if channel[:1] in ("C", "G") and channel not in self.channels:
            return self.refuse(method, "not_in_channel", [f"the bot is not a member of {channel}"])
        return None

    def m_chat_postMessage(self, body, token):
        refused = self._message_problem("chat.postMessage", body)
        if refused:
            return refused
        channel = body.get("channel", "")
        if channel.startswith(("U", "W")):
            channel = "D" + channel[1:]
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        with self._lock:
            # thread_ts marks a reply; conversations.history leaves replies out, conversations.replies holds them
            thread = body.get("thread_ts")
            self.history.setdefault(channel, []).append(
                {"type": "message", "ts": ts, "text": body.get("text", ""), "metadata": body.get("metadata"),
                 **({"thread_ts": thread} if thread else {})})
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {"type": "message", "text": body.get("text", ""), "ts": ts, "bot_id": "BBOT0001"}}

    def m_chat_postEphemeral(self, body, token):
        refused = self._message_problem("chat.postEphemeral", body)
        if refused:
            return refused
        if not body.get("user"):
            return self.refuse("chat.postEphemeral", "user_not_in_channel", ["user is required"])
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ids):06d}"}

    def m_conversations_history(self, body, token):
        # Parent messages only: "conversations.history method returns only parent messages"
        # (docs.slack.dev/reference/methods/conversations.replies).
        with self._lock:
            messages = [m for m in reversed(self.history.get(body.get("channel", ""), []))
                        if m.get("thread_ts", m["ts"]) == m["ts"]]
        limit = int(body.get("limit") or 100)
        include = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        out = [m if include else {k: v for k, v in m.items() if k != "metadata"} for m in messages[:limit]]
        return {"ok": True, "messages": out, "has_more": len(messages) > limit}

    def m_conversations_replies(self, body, token):
        """A thread: its parent then its replies, oldest first (docs.slack.dev/reference/methods/
        conversations.replies: channel and ts required; ts must be an existing message; errors
        channel_not_found, thread_not_found)."""
        channel, ts = str(body.get("channel", "")), str(body.get("ts", ""))
        if not channel or not ts:
            return self.refuse("conversations.replies", "invalid_arguments", ["channel and ts are required"])
        with self._lock:
            known = channel in self.history
            thread = [m for m in self.history.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not known:
            return self.refuse("conversations.replies", "channel_not_found", [f"no conversation {channel!r}"])
        if not any(m["ts"] == ts for m in thread):
            return self.refuse("conversations.replies", "thread_not_found", [f"no message {ts} in {channel}"])
        limit = int(body.get("limit") or 1000)
        include = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        out = [m if include else {k: v for k, v in m.items() if k != "metadata"} for m in thread[:limit]]
        return {"ok": True, "messages": out, "has_more": len(thread) > limit}

    @staticmethod
    def for_nudge(nudge_id: int):
        """A `match` predicate: the call delivers this nudge."""
        def match(body: dict) -> bool:
            meta = body.get("metadata")
            if isinstance(meta, str):
                meta = json.loads(meta)
            return bool(meta) and (meta.get("event_payload") or {}).get("nudge_id") == nudge_id
        return match

    def nudge_ids_sent(self) -> list[int]:
        """The nudge id in the metadata of every delivered chat.postMessage, in order (duplicates included).

        A call answered with an injected failure delivered nothing; a call answered late still did."""
        ids = []
        for call in self.calls_to("chat.postMessage"):
            if not call.delivered:
                continue
            meta = call.body.get("metadata")
            if isinstance(meta, str):
                meta = json.loads(meta)
            if meta and meta.get("event_type") == "coachbot_nudge":
                ids.append(meta["event_payload"]["nudge_id"])
        return ids

    def m_conversations_open(self, body, token):
        users = [u for u in str(body.get("users") or "").split(",") if u]
        if not users:
            return self.refuse("conversations.open", "users_list_not_supplied")
        if len(users) > 8:
            return self.refuse("conversations.open", "too_many_users")
        return {"ok": True, "channel": {"id": "D" + users[0][1:]}}

    def _granted_on_install(self, token: str) -> set[str]:
        granted = set(self.install_scopes) if self.install_scopes is not None else manifest_scopes()
        self.scopes[token] = granted
        return granted

    def m_oauth_v2_access(self, body, token):
        code = body.get("code", "")
        if not code.startswith("good-code-"):
            return {"ok": False, "error": "invalid_code"}
        team = code.removeprefix("good-code-")  # tests choose which workspace installs
        self.installs[team] = self.installs.get(team, 0) + 1
        # A workspace that installs again (after an uninstall) gets a new token.
        token = f"xoxb-{team}-token" if self.installs[team] == 1 else f"xoxb-{team}-{self.installs[team]}-token"
        return {
            "ok": True, "app_id": "A0001", "authed_user": {"id": "U0ADMIN", "scope": "", "token_type": "user"},
            "scope": ",".join(sorted(self._granted_on_install(token))), "token_type": "bot",
            "access_token": token,
            "bot_user_id": "UBOT0001", "team": {"id": team, "name": f"Team {team}"},
            "enterprise": None, "is_enterprise_install": False,
        }
