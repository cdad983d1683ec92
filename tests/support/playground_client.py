"""Driving the Microsoft 365 Agents Playground (npm, pinned 0.2.28) as a Teams user would.

The Playground is a real Teams-like client: it posts activities to our `/api/messages` and hosts the
connector (`/_connector/v3/...`) our bot replies to. The browser UI talks to it over HTTP
(`/_conversation/v1/...`) and a websocket that streams every message shown in a chat; these
helpers use the same two, so tests assert on what a user would see.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp

from tests.support.served import free_port, stop_process

ROOT = Path(__file__).resolve().parent / "playground"
CLI = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
REQUIRED = os.environ.get("COACHBOT_REQUIRE_PLAYGROUND") == "1"


def problem() -> str | None:
    """Why the Playground can't run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (the Agents Playground needs Node.js)"
    if not CLI.exists():
        return "the Agents Playground is not installed; ./dev test installs it with npm"
    return None


class Playground:
    """One Playground process pointed at a coachbot server, with its chat stream recorded."""

    def __init__(self, bot_url: str, workdir: Path):
        shim = workdir / "shim"
        shim.mkdir(exist_ok=True)
        opener = shim / "xdg-open"  # it opens a browser at start and exits if it can't; there is none here
        opener.write_text("#!/bin/sh\nexit 0\n")
        opener.chmod(0o755)
        env = {**os.environ, "PATH": f"{shim}:{os.environ.get('PATH', '')}"}
        self.log = open(workdir / "playground.log", "w+")
        self.proc = subprocess.Popen(
            ["node", str(CLI), "-e", f"{bot_url}/api/messages", "-c", "msteams", "-p", str(free_port()),
             "--disable-telemetry"], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.port = self._read_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = self.get("/_internal/v1/config")["config"]
        self.me = self.config["currentUser"]
        self.bot_id = self.config["bot"]["id"]
        self.personal = self.config["personalChat"]["id"]
        self.channel = self.config["teams"][0]["channels"][0]["id"]
        self.messages: list[dict] = []
        self._lock = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._stream, daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the Playground's chat stream did not open")

    def _read_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            found = re.search(r"Listening on (\d+)", line or "")
            if found:
                return int(found.group(1))
            if self.proc.poll() is not None:
                break
        self.log.seek(0)
        raise RuntimeError(f"the Agents Playground did not start: {self.log.read()[-2000:]}")

    def _stream(self) -> None:
        async def run() -> None:
            async with aiohttp.ClientSession() as session:
                async with session.ws_connect(f"ws://127.0.0.1:{self.port}/_ws_conversation/v1/conversations/stream") as ws:
                    self._ready.set()
                    async for frame in ws:
                        if frame.type != aiohttp.WSMsgType.TEXT:
                            continue
                        with self._lock:
                            self.messages.append(json.loads(frame.data))
                            self._lock.notify_all()
        try:
            self._loop.run_until_complete(run())
        except Exception:  # noqa: BLE001 - the stream ends when the Playground is stopped
            pass

    def stop(self) -> None:
        stop_process(self.proc, self.log)

    # ---- what a user does --------------------------------------------------------------------

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=15) as resp:
            return json.loads(resp.read())

    def post(self, path: str, body: dict) -> tuple[int, str]:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def say(self, text: str, *, conversation: str | None = None, mentions: list[dict] | None = None) -> str:
        """Send a chat message as the current user; returns the message id."""
        body: dict = {"from": {"id": self.me["id"]}, "text": text, "textFormat": "plain"}
        if mentions:
            body["mentions"] = mentions
        status, reply = self.post(f"/_conversation/v1/conversations/{conversation or self.personal}/messages", body)
        assert status == 200, (status, reply)
        return json.loads(reply)["messageId"]

    def mention_bot(self) -> tuple[str, dict]:
        """The text and entity of an @mention of the bot (in a channel)."""
        tag = f"<at>{self.config['bot']['name']}</at>"
        return tag, {"mentioned": {"id": self.bot_id}, "text": tag}

    def mention(self, user_id: str) -> tuple[str, dict]:
        """The text and entity of an @mention of one of the Playground's users."""
        name = next(u["name"] for u in self.config["users"] if u["id"] == user_id)
        tag = f"<at>{name}</at>"
        return tag, {"mentioned": {"id": user_id}, "text": tag}

    def submit(self, message: dict, value: dict, *, conversation: str | None = None, as_user: str | None = None) -> None:
        """Press a card's Action.Submit: the card's data plus the inputs' values, as Teams sends them."""
        status, reply = self.post("/_conversation/v1/submit", {
            "conversation": {"id": conversation or self.personal}, "from": {"id": as_user or self.me["id"]},
            "replyToId": message["messageId"], "value": value})
        assert status == 200, (status, reply)

    # ---- what a user sees --------------------------------------------------------------------

    def seen(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(self, match, *, after: int = 0, timeout: float = 30) -> dict:
        """The first bot message (created or updated) after index `after` that `match(message)` accepts."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self.messages[after:]:
                    msg = event.get("message") or {}
                    if msg.get("from", {}).get("id") == self.bot_id and match(msg | {"_event": event}):
                        return msg | {"_event": event}
                left = deadline - time.monotonic()
                if left <= 0:
                    shown = [shown_text(e.get("message") or {})[:300] for e in self.messages[after:]]
                    raise AssertionError(f"no matching bot message within {timeout}s; saw: {shown}")
                self._lock.wait(left)

    def wait_for_text(self, words: str, *, after: int = 0, conversation: str | None = None,
                      timeout: float = 30) -> dict:
        """The first bot message after `after` whose shown text contains `words`."""
        def match(msg: dict) -> bool:
            where = msg["_event"].get("actionConversationId", "")
            return words in shown_text(msg) and (conversation is None or where.startswith(conversation))
        return self.wait_for(match, after=after, timeout=timeout)


def card_of(message: dict) -> dict | None:
    """The Adaptive Card a message shows, if any."""
    for a in message.get("attachments") or []:
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return a["content"]
    return None


def shown_text(message: dict) -> str:
    """Everything a user reads in a message: its text and every TextBlock and button of its card."""
    parts = [message.get("text") or ""]
    card = card_of(message)
    if card:
        parts += [b.get("text", "") for b in card.get("body", []) if b.get("type") == "TextBlock"]
        parts += [a.get("title", "") for a in card.get("actions", [])]
    return "\n".join(p for p in parts if p)


def step_of(message: dict) -> str | None:
    """Which flow step a card asks for (from its submit button's data)."""
    card = card_of(message) or {}
    for action in card.get("actions", []):
        if (action.get("data") or {}).get("coachbot") == "step":
            return action["data"]["step"]
    return None


def action_data(message: dict, title: str) -> dict:
    """The data of the card button labelled `title`."""
    card = card_of(message) or {}
    for action in card.get("actions", []):
        if action.get("title") == title:
            return dict(action.get("data") or {})
    raise AssertionError(f"no button “{title}” on {[a.get('title') for a in card.get('actions', [])]}")

