"""Run a real `coachbot serve` process against the fake Slack API, and talk to it over HTTP."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from storage.crypto import NotesCipher
from storage.db import sync_url
from tests.support import slack_requests as sr
from tests.support.fakes import block_kit
from tests.support.fakes.slack_api import FakeSlack

TEST_KEY = NotesCipher.generate_key()

COACHBOT = Path(sys.executable).with_name("coachbot")
ACK_SECONDS = 3.0


def stop_process(proc: subprocess.Popen, log) -> None:
    """Stop a child process (SIGTERM, then SIGKILL after 10 s) and close its log."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def sanitized_env() -> dict[str, str]:
    """This process's environment without any coachbot, Slack or Teams setting (a test sets its own)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "COACHBOT_", "DATABASE_URL", "TEAMS_"))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    text: str
    headers: dict

    def json(self):
        return json.loads(self.text)


class Served:
    """A `coachbot serve` subprocess; the helpers sign and post requests the way Slack does."""

    def __init__(self, fake: FakeSlack | None, workdir: Path, *, database_url: str | None = None, oauth: bool = False,
                 extra_env: dict | None = None):
        self.fake = fake
        self.port = free_port()
        # One key for every server of a test run unless a test sets its own: replicas of one deployment
        # share their key, and rows seeded beside them (tests/support/nudge_seed.py) are sealed with it.
        self.key = (extra_env or {}).get("COACHBOT_ENCRYPTION_KEY") or TEST_KEY
        self.database_url = database_url or f"sqlite:///{workdir / 'serve.db'}"
        env = sanitized_env()
        env.update({"DATABASE_URL": self.database_url, "COACHBOT_ENCRYPTION_KEY": self.key})
        if fake is not None:  # without a fake Slack API the server runs with Slack off (Teams-only tests)
            env.update({"SLACK_SIGNING_SECRET": sr.SIGNING_SECRET, "SLACK_API_URL": fake.api_url})
            if oauth:
                env.update({"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "oauth-secret"})
            else:
                env["SLACK_BOT_TOKEN"] = fake.bot_token
        env.update(extra_env or {})
        cmd = [str(COACHBOT)] if COACHBOT.exists() else [sys.executable, "-m", "bot"]
        self.log = open(workdir / f"serve-{self.port}.log", "w+")
        self.proc = subprocess.Popen([*cmd, "serve", "--port", str(self.port)], cwd=workdir, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError(f"coachbot serve did not start:\n{self.log.read()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        stop_process(self.proc, self.log)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()

    # ---- HTTP --------------------------------------------------------------------------------

    def request(self, method: str, path: str, body: str | bytes | None = None, headers: dict | None = None) -> Reply:
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return Reply(resp.status, resp.read().decode(), dict(resp.headers))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(errors="replace"), dict(exc.headers))

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_signed(self, body: str, content_type: str, *, timestamp: int | None = None,
                    secret: str = sr.SIGNING_SECRET, extra: dict | None = None) -> Reply:
        """POST a signed request to /slack/events, holding the answer to Slack's 3-second deadline."""
        headers = {"Content-Type": content_type, **sr.sign(body, secret=secret, timestamp=timestamp), **(extra or {})}
        started = time.monotonic()
        reply = self.request("POST", "/slack/events", body, headers)
        took = time.monotonic() - started
        if took > ACK_SECONDS and self.fake is not None:
            # Slack gives up on a request not answered within 3 s: the person sees "operation_timeout"
            # (docs.slack.dev/tools/bolt-python/concepts/acknowledge).
            self.fake.refuse("ack", "operation_timeout", [f"answered after {took:.2f} s: {body[:120]}"])
        return reply

    def command(self, text: str, *, user: str, team: str | None = None, user_name: str = "",
                trigger_id: str | None = None, channel: str = "C0GENERAL") -> Reply:
        """Run `/coach <text>` as `user`; `text` is what Slack sends (see sr.typed for typed characters)."""
        body, ctype = sr.command_body(text, user=user, team=team or self.fake.team_id,
                                      trigger_id=trigger_id or self.fake.trigger(), channel=channel,
                                      response_url=self.fake.response_url(f"{user}-{time.monotonic_ns()}"),
                                      user_name=user_name)
        reply = self.post_signed(body, ctype)
        if reply.status == 200 and reply.text.startswith("{"):
            problems, warnings = block_kit.check_message(reply.json())
            self.fake._note("command ack", problems, warnings)
        return reply

    def open_modal(self, text: str, *, user: str, team: str | None = None) -> dict:
        """Run a command that opens a modal and return the view Slack opened (with its id and hash)."""
        trigger = self.fake.trigger()
        reply = self.command(text, user=user, team=team, trigger_id=trigger)
        assert reply.status == 200, reply
        call = self.fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1]
        return self.fake.opened_view(call)

    def submit(self, view: dict, values: dict, *, user: str, team: str | None = None) -> Reply:
        """Submit a modal as Slack would, and check the acknowledgement the way Slack does.

        A `response_action: update` replaces the view in Slack, so the view in the reply carries the
        id and new hash that the next submission or button press of it will carry.
        """
        payload = sr.view_submission(view, values, user=user, team=team or self.fake.team_id,
                                     trigger_id=self.fake.trigger())
        reply = self.post_signed(*sr.interaction_body(payload))
        ack = reply.json() if reply.status == 200 and reply.text.startswith("{") else None
        problems = block_kit.check_submission_ack(ack, payload["view"])
        if problems:
            self.fake.refuse("view_submission ack", "invalid_response", problems)
        elif ack and ack.get("response_action") == "update":
            view_id = payload["view"]["id"]
            ack["view"] = {**ack["view"], "id": view_id, "hash": self.fake.view_updated(view_id, ack["view"])}
            reply.text = json.dumps(ack)
        return reply

    def click(self, action_id: str, value: str, *, user: str, team: str | None = None, view: dict | None = None,
              container: str = "view", channel: str | None = None, message_ts: str | None = None,
              message_text: str = "", message_blocks: list | None = None, trigger_id: str | None = None,
              response_url: str | None = None) -> Reply:
        """Press a button (on a view, or on a message in `channel`, which Slack hands back with the press)."""
        payload = sr.block_action(action_id, value, user=user, team=team or self.fake.team_id, view=view,
                                  container=container, channel=channel, message_ts=message_ts,
                                  message_text=message_text, message_blocks=message_blocks,
                                  trigger_id=trigger_id or self.fake.trigger())
        if response_url:
            payload["response_url"] = response_url
        body, ctype = sr.interaction_body(payload)
        return self.post_signed(body, ctype)

    def event(self, event: dict, *, team: str | None = None, event_id: str | None = None,
              extra: dict | None = None) -> Reply:
        body, ctype = sr.event_body(event, team=team or self.fake.team_id, event_id=event_id)
        return self.post_signed(body, ctype, extra=extra)


_people = iter(range(1, 10**7))


def start_replicas(fake: FakeSlack, workdir: Path, database_url: str, n: int = 2,
                   extra_env: dict | None = None) -> list[Served]:
    """n `coachbot serve` processes on one database, each in a folder of its own under `workdir`."""
    replicas = []
    for i in range(n):
        (workdir / f"r{i}").mkdir()
        replicas.append(Served(fake, workdir / f"r{i}", database_url=database_url, extra_env=extra_env))
    return replicas


def new_person(fake: FakeSlack, name: str, tz: str = "UTC") -> str:
    """A new Slack user of the fake workspace, with an id no other test uses."""
    uid = f"U0{name.split()[0].upper()}{next(_people):04d}"
    fake.add_user(uid, name, tz=tz)
    return uid


def flat(value) -> str:
    """Any payload as one searchable string (reply text is parsed first, so escapes don't hide words)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


def query(served: Served, sql: str, **params) -> list:
    """Run SQL against the served database (reads return rows; writes return the row count)."""
    engine = create_engine(sync_url(served.database_url))
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return list(result) if result.returns_rows else result.rowcount
    finally:
        engine.dispose()


def scalar(served: Served, sql: str, **params):
    """The single value a query returns."""
    return query(served, sql, **params)[0][0]


def utc_text(at: datetime) -> str:
    """A UTC instant as the app stores it in SQLite."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def wait_status(served: Served, nudge_id: int, status: str, timeout: float = 15) -> tuple:
    """Poll a nudge until it has `status` (outcomes are recorded after the platform answered)."""
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        row = query(served, "SELECT status, attempts, last_error, message_ref FROM nudges WHERE id = :i", i=nudge_id)[0]
        if row[0] == status:
            return tuple(row)
        time.sleep(0.1)
    raise AssertionError(f"nudge {nudge_id} is {row}, not {status}")


def eventually(check, timeout: float = 15):
    """Poll `check()` until it returns something truthy (work done after a reply was sent)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
