"""A strict double of the Teams service on 127.0.0.1: the Bot Connector a bot sends to, the identity
service that signs its tokens, and the sender of signed activities to the bot.

It answers as Teams does and records every call. What it enforces, each with its source:
- Bearer tokens (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-authentication):
  every connector call needs one this identity service issued to the bot (audience
  https://api.botframework.com, the bot's app id, not expired), else 401 with Teams' body
  {"message": "Authorization has been denied for this request."}.
- Cards (learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-reference):
  every Adaptive Card is parsed by the `adaptivecards` npm parser at the version it declares, with
  Teams' host config, and must declare at most 1.5 (`card_check.js`); a problem is 400 BadArgument.
- Size (learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages): Teams
  documents 100 KB per message counted as UTF-16 (older copies said 40 KB; the issue that asked
  for this double measured about 28 KB). The double refuses an activity whose serialised JSON is
  over SIZE_LIMIT = 28,000 UTF-8 bytes with 413 MessageSizeTooBig: the smallest figure anyone has
  met, so a message that passes here passes in Teams with a wide margin.
- Rosters and conversations (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/
  conversation-messages#status-codes-from-bot-conversational-apis): a personal chat exists only
  once the person installed the app (`install`); sending to a conversation the bot is not in is 403
  BotNotInConversationRoster, to one that does not exist 404 ConversationNotFound; updating an
  activity the bot did not send is 404 ActivityNotFoundInConversation.
- On demand (`fail`): 403 BotNotInConversationRoster, 404 ConversationNotFound, 429 Throttled with
  Retry-After, 5xx ServiceError, 412 PreconditionFailed, and a hang past the client's timeout.
- Rate (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit): per bot and conversation,
  at most 7 sends in 1 s and 8 in 2 s; past that 429 Throttled with Retry-After.
- Member look-ups (learn.microsoft.com/microsoftteams/platform/bots/how-to/get-teams-context):
  GET /v3/conversations/{id}/members/{user} answers id, name, objectId, email, userPrincipalName,
  tenantId, givenName, surname, userRole, or 404 MemberNotFoundInConversation.
Every refusal is kept in `refusals`; tests take the ones they cause on purpose.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.fakes.threaded import ThreadedApp

BOTFRAMEWORK_ISSUER = "https://api.botframework.com"  # what signs activities sent to a bot
CONNECTOR_AUDIENCE = "https://api.botframework.com"  # what a bot's token for the connector is for
TOKEN_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"  # botframework.com's tenant
SIZE_LIMIT = 28_000  # UTF-8 bytes of the serialised activity; see the module docstring
CARD = "application/vnd.microsoft.card.adaptive"
CHECKER = Path(__file__).with_name("card_check.js")
LARGEST = [0]  # the largest activity (bytes) a double accepted in this test run, printed at its end


@dataclass
class Call:
    method: str
    path: str
    body: Any
    at: float = field(default_factory=time.monotonic)
    answer: int = 0  # the HTTP status the double answered with
    activity_id: str = ""  # the id of the message a send created (or an update changed)


@dataclass
class Failure:
    status: int
    code: str
    times: int
    match: Any
    retry_after: int | None = None
    hang: float = 0.0


class CardChecker:
    """The Node.js card checker, one long-lived process (one line in, one line out)."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def problems(self, card: Any) -> list[str]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(["node", str(CHECKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              text=True)
            self._proc.stdin.write(json.dumps(card) + "\n")
            self._proc.stdin.flush()
            return json.loads(self._proc.stdout.readline())["problems"]

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()


class FakeTeams:
    """The Teams service for one bot (app id and secret) and one tenant."""

    def __init__(self, *, app_id: str = "11111111-2222-3333-4444-555555555555", app_password: str = "test-secret",
                 tenant: str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"):
        self.app_id, self.app_password, self.tenant = app_id, app_password, tenant
        self.bot_id = f"28:{app_id}"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "coachbot-test-key"
        self.users: dict[str, dict[str, Any]] = {}  # Teams user id -> member
        self.conversations: dict[str, dict[str, Any]] = {}  # id -> {"members": set, "type", "bot_in": bool}
        self.activities: dict[str, dict[str, Any]] = {}  # activity id -> (conversation, activity) the bot sent
        self.calls: list[Call] = []
        self.refusals: list[tuple[str, int, str]] = []
        self.failures: list[Failure] = []
        self.sends: dict[str, list[float]] = {}  # conversation -> when the bot sent there (for the rate limit)
        self.checker = CardChecker()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._served = ThreadedApp()

    # ---- lifecycle -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._served.port

    def start(self) -> "FakeTeams":
        self._served.start(self._app, "the Teams double")
        return self

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_get("/identity/keys", self._keys)
        app.router.add_post("/identity/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self._member)
        return app

    def stop(self) -> None:
        if self._served.loop is None:
            return
        self._served.stop()
        self.checker.close()

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def identity_url(self) -> str:
        """Where the bot finds the signing keys and asks for tokens (TEAMS_TEST_IDENTITY_URL)."""
        return f"http://127.0.0.1:{self.port}/identity"

    def env(self) -> dict[str, str]:
        """What `coachbot serve` needs to talk to this double as its Teams."""
        return {"TEAMS_APP_ID": self.app_id, "TEAMS_APP_PASSWORD": self.app_password, "TEAMS_TENANT_ID": self.tenant,
                "TEAMS_TEST_IDENTITY_URL": self.identity_url, "COACHBOT_TEST_SUITE": "1"}

    # ---- people and chats ------------------------------------------------------------------------

    def add_user(self, name: str, *, email: str | None = None, tz: str = "Europe/Berlin") -> str:
        """A person of the tenant; returns their Teams user id (29:...)."""
        # As long as Teams' own (a "29:1" id runs to ~90 characters), so a column too short for them fails here.
        uid = f"29:1{(uuid.uuid4().hex * 3)[:86]}"
        given, _, surname = name.partition(" ")
        self.users[uid] = {"id": uid, "name": name, "objectId": str(uuid.uuid4()), "givenName": given,
                           "surname": surname, "email": email or f"{given.lower()}@contoso.example",
                           "userPrincipalName": email or f"{given.lower()}@contoso.example",
                           "tenantId": self.tenant, "userRole": "user", "tz": tz}
        return uid

    def install(self, uid: str) -> str:
        """The person adds the app (personal scope): their 1:1 chat with the bot exists from now on."""
        cid = self.personal_chat(uid)
        self.conversations[cid] = {"members": {uid, self.bot_id}, "type": "personal", "bot_in": True}
        return cid

    def uninstall(self, uid: str) -> None:
        """The person removes the app: the bot is no longer in their chat's roster."""
        self.conversations.setdefault(self.personal_chat(uid), {"members": {uid}, "type": "personal"})["bot_in"] = False

    @staticmethod
    def personal_chat(uid: str) -> str:
        return "a:" + uid.removeprefix("29:")[:24]

    def channel(self, name: str, members: list[str]) -> str:
        """A team channel the bot was added to, with these members."""
        cid = f"19:{uuid.uuid4().hex[:16]}@thread.tacv2"
        self.conversations[cid] = {"members": {*members, self.bot_id}, "type": "channel", "bot_in": True,
                                   "name": name}
        return cid

    # ---- tokens ----------------------------------------------------------------------------------

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def inbound_token(self, *, service_url: str | None = None, audience: str | None = None,
                      issuer: str = BOTFRAMEWORK_ISSUER, lifetime: int = 3600) -> str:
        """The JWT Teams puts on an activity it sends to the bot (its serviceurl claim names the connector;
        `service_url=""` leaves the claim out)."""
        now = int(time.time())
        claims = {"iss": issuer, "aud": audience or self.app_id, "nbf": now - 5, "iat": now, "exp": now + lifetime}
        if service_url != "":
            claims["serviceurl"] = service_url or self.service_url
        if issuer.startswith("https://sts.windows.net/"):
            claims["tid"] = issuer.split("/")[3]
        return self._sign(claims)

    def outbound_token(self, *, app_id: str | None = None, lifetime: int = 3600) -> str:
        """A token as the identity service issues the bot for connector calls."""
        now = int(time.time())
        return self._sign({"iss": TOKEN_ISSUER, "aud": CONNECTOR_AUDIENCE, "appid": app_id or self.app_id,
                           "nbf": now - 5, "iat": now, "exp": now + lifetime, "tid": TOKEN_ISSUER.split("/")[3]})

    async def _keys(self, request: web.Request) -> web.Response:
        numbers = self._key.public_key().public_numbers()

        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
        return web.json_response({"keys": [{"kty": "RSA", "use": "sig", "kid": self.kid, "alg": "RS256",
                                            "n": b64(numbers.n), "e": b64(numbers.e),
                                            "endorsements": ["msteams"]}]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.app_id \
                or form.get("client_secret") != self.app_password:
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("scope") != f"{CONNECTOR_AUDIENCE}/.default":
            return web.json_response({"error": "invalid_scope"}, status=400)
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600,
                                  "access_token": self.outbound_token()})

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        try:
            claims = jwt.decode(header.removeprefix("Bearer "), self._key.public_key(), algorithms=["RS256"],
                                audience=CONNECTOR_AUDIENCE, issuer=TOKEN_ISSUER)
        except jwt.PyJWTError:
            return False
        return claims.get("appid") == self.app_id

    # ---- the connector ---------------------------------------------------------------------------

    def fail(self, status: int, code: str, *, times: int = 1, match=None, retry_after: int | None = None,
             hang: float = 0.0) -> None:
        """Answer the next `times` sends (whose activity satisfies `match`) with this error, or hang first."""
        self.failures.append(Failure(status, code, times, match, retry_after, hang))

    def take_refusals(self) -> list[tuple[str, int, str]]:
        with self._lock:
            taken, self.refusals[:] = list(self.refusals), []
        return taken

    def sent(self, conversation: str | None = None) -> list[dict]:
        """Activities the double accepted (sends, replies and updates), optionally in one conversation; each
        carries the id of its message under "_id" (what a button press on it names as replyToId)."""
        return [{**c.body, "_id": c.activity_id} for c in self.calls
                if c.answer in (200, 201) and c.method in ("send", "update")
                and (conversation is None or c.path.split("/")[3].split(";")[0] == conversation)]

    @staticmethod
    def activities_id(activity: dict) -> str:
        return activity["_id"]

    def wait_sent(self, conversation: str, count: int = 1, timeout: float = 15, where=None) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [a for a in self.sent(conversation) if where is None or where(a)]
            if len(found) >= count or time.monotonic() > deadline:
                if len(found) < count:
                    raise AssertionError(f"expected {count} activities in {conversation}, got {found}; "
                                         f"refusals {self.refusals}")
                return found
            time.sleep(0.05)

    def _refuse(self, call: Call, status: int, code: str, message: str, headers: dict | None = None) -> web.Response:
        call.answer = status
        with self._lock:
            self.refusals.append((call.method, status, f"{code}: {message}"))
        if status == 401:
            return web.json_response({"message": "Authorization has been denied for this request."}, status=401)
        return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)

    async def _record(self, request: web.Request, method: str) -> tuple[Call, Any]:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        call = Call(method, request.path, body)
        with self._lock:
            self.calls.append(call)
        return call, raw

    async def _injected(self, call: Call) -> web.Response | None:
        with self._lock:
            failure = next((f for f in self.failures if f.times > 0 and (f.match is None or f.match(call.body))), None)
            if failure is not None:
                failure.times -= 1
        if failure is None:
            return None
        if failure.hang:
            await asyncio.sleep(failure.hang)
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else None
        return self._refuse(call, failure.status, failure.code, f"injected {failure.code}", headers)

    def _activity_problem(self, call: Call, raw: bytes) -> web.Response | None:
        activity = call.body
        if not isinstance(activity, dict) or not activity.get("type"):
            return self._refuse(call, 400, "BadArgument", "the body is not an activity")
        size = len(raw)  # the client serialised it as UTF-8 JSON
        if size > SIZE_LIMIT:
            return self._refuse(call, 413, "MessageSizeTooBig", f"Message size too large ({size:,} bytes)")
        if activity.get("from"):  # what a bot sent (the rule tests post bare activities)
            LARGEST[0] = max(LARGEST[0], size)
        for attachment in activity.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                problems = self.checker.problems(attachment.get("content"))
                if problems:
                    return self._refuse(call, 400, "BadArgument", "card: " + "; ".join(problems))
        return None

    def _rate_problem(self, call: Call, cid: str) -> web.Response | None:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self.sends.get(cid, []) if now - t < 2]
            self.sends[cid] = recent + [now]
        if len([t for t in recent if now - t < 1]) >= 7 or len(recent) >= 8:
            return self._refuse(call, 429, "Throttled", "Too many requests", {"Retry-After": "1"})
        return None

    def _conversation_problem(self, call: Call, cid: str) -> web.Response | None:
        conversation = self.conversations.get(cid.split(";")[0])
        if conversation is None:
            return self._refuse(call, 404, "ConversationNotFound", "Conversation not found.")
        if not conversation.get("bot_in"):
            return self._refuse(call, 403, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
        return None

    async def _send(self, request: web.Request) -> web.Response:
        call, raw = await self._record(request, "send")
        cid = request.match_info["cid"]
        refused = (None if self._authorized(request) else self._refuse(call, 401, "Unauthorized", "bad token")) \
            or await self._injected(call) or self._conversation_problem(call, cid) or self._activity_problem(call, raw) \
            or self._rate_problem(call, cid.split(";")[0])
        if refused is not None:
            return refused
        aid = f"1{next(self._ids):012d}"
        with self._lock:
            self.activities[aid] = {"conversation": cid.split(";")[0], "activity": call.body}
        call.activity_id = aid
        call.answer = 201
        return web.json_response({"id": aid}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        call, raw = await self._record(request, "update")
        cid, aid = request.match_info["cid"], request.match_info["aid"]
        refused = (None if self._authorized(request) else self._refuse(call, 401, "Unauthorized", "bad token")) \
            or await self._injected(call) or self._conversation_problem(call, cid) or self._activity_problem(call, raw)
        if refused is not None:
            return refused
        known = self.activities.get(aid)
        if known is None or known["conversation"] != cid.split(";")[0]:
            return self._refuse(call, 404, "ActivityNotFoundInConversation", "Message does not exist in the thread.")
        known["activity"] = call.body
        call.activity_id = aid
        call.answer = 200
        return web.json_response({"id": aid})

    async def _create(self, request: web.Request) -> web.Response:
        call, _ = await self._record(request, "create")
        if not self._authorized(request):
            return self._refuse(call, 401, "Unauthorized", "bad token")
        body = call.body if isinstance(call.body, dict) else {}
        tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id") or body.get("tenantId")
        if not tenant:
            return self._refuse(call, 400, "BadSyntax", "Could not parse tenant id")
        members = [m.get("id") for m in body.get("members") or [] if isinstance(m, dict)]
        if len(members) != 1 or members[0] not in self.users:
            return self._refuse(call, 400, "BadArgument", "Incorrect conversation creation parameters")
        cid = self.personal_chat(members[0])
        if not self.conversations.get(cid, {}).get("bot_in"):
            return self._refuse(call, 403, "ForbiddenOperationException", "the app is not installed for the user")
        call.answer = 201
        return web.json_response({"id": cid}, status=201)

    async def _member(self, request: web.Request) -> web.Response:
        call, _ = await self._record(request, "member")
        if not self._authorized(request):
            return self._refuse(call, 401, "Unauthorized", "bad token")
        cid, uid = request.match_info["cid"].split(";")[0], request.match_info["uid"]
        conversation = self.conversations.get(cid)
        if conversation is None:
            return self._refuse(call, 404, "ConversationNotFound", "Conversation not found.")
        user = self.users.get(uid)
        if user is None or uid not in conversation["members"]:
            return self._refuse(call, 404, "MemberNotFoundInConversation", "member not found")
        call.answer = 200
        return web.json_response({k: v for k, v in user.items() if k != "tz"})

    # ---- Teams sending to the bot ----------------------------------------------------------------

    def activity(self, uid: str, *, text: str | None = None, value: dict | None = None,
                 conversation: str | None = None, kind: str = "message", **extra) -> dict:
        """An activity from a person, as Teams posts it to the bot."""
        user = self.users[uid]
        cid = conversation or self.personal_chat(uid)
        ctype = self.conversations.get(cid, {}).get("type", "personal")
        activity = {"type": kind, "id": f"f{next(self._ids):08d}", "channelId": "msteams",
                    "serviceUrl": self.service_url, "timestamp": "2026-12-02T12:00:00.000Z",
                    "localTimezone": user["tz"], "from": {"id": uid, "name": user["name"], "aadObjectId": user["objectId"]},
                    "recipient": {"id": self.bot_id, "name": "coachbot"},
                    "conversation": {"id": cid, "conversationType": ctype, "tenantId": self.tenant,
                                     **({"isGroup": True} if ctype != "personal" else {})},
                    "channelData": {"tenant": {"id": self.tenant}}, **extra}
        if text is not None:
            activity["text"] = text
        if value is not None:
            activity["value"] = value
        return activity

    def installed(self, uid: str) -> dict:
        """The installationUpdate Teams sends when a person adds the app (no name, no time zone on it)."""
        self.install(uid)
        activity = self.activity(uid, kind="installationUpdate", action="add")
        activity["from"] = {"id": uid, "aadObjectId": self.users[uid]["objectId"]}
        activity.pop("localTimezone")
        return activity

    def removed(self, uid: str) -> dict:
        """The installationUpdate Teams sends when a person removes the app."""
        activity = self.installed(uid) | {"action": "remove"}
        self.uninstall(uid)
        return activity

    def post(self, served, activity: dict, *, token: str | None = None, headers: dict | None = None):
        """Send an activity to the bot as Teams does: a signed token naming this connector."""
        token = self.inbound_token(service_url=activity.get("serviceUrl")) if token is None else token
        all_headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
                       **(headers or {})}
        return served.request("POST", "/api/messages", json.dumps(activity), all_headers)
