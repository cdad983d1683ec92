"""Where the notes encryption key comes from: the environment, or a local key file for the demo."""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from bot.ops.settings import Settings
from storage import keycheck
from storage.crypto import NotesCipher
from storage.db import Database, sqlite_path

log = logging.getLogger("coachbot.keys")


class MissingKey(RuntimeError):
    """No key is configured and none may be generated here."""


def local_key_path(database_url: str) -> Path | None:
    """The demo key file kept beside a SQLite database (None for other databases)."""
    db = sqlite_path(database_url)
    return db.with_name(db.name + ".key") if db else None


def load_cipher(settings: Settings, *, allow_generate: bool) -> tuple[NotesCipher, str]:
    """The cipher for notes at rest and a sentence saying where its key came from."""
    previous = [k.strip() for k in (settings.coachbot_previous_keys.get_secret_value().split(",")
                                    if settings.coachbot_previous_keys else []) if k.strip()]
    if settings.coachbot_encryption_key:
        return NotesCipher(settings.coachbot_encryption_key.get_secret_value(), *previous), "COACHBOT_ENCRYPTION_KEY"
    path = local_key_path(settings.database_url)
    if path is not None and path.exists():
        return NotesCipher(path.read_text().strip(), *previous), f"the local key file {path}"
    if allow_generate and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = NotesCipher.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return NotesCipher(key, *previous), f"a new local key file {path} (keep it: without it the notes can't be read)"
    raise MissingKey(
        "COACHBOT_ENCRYPTION_KEY is not set. Conversation notes are encrypted at rest, so a key is required: "
        "create one with `coachbot keygen` and put it in the environment or .env."
    )


class WrongKey(MissingKey):
    """The configured keys cannot read the stored notes (a configuration error, as a missing key is)."""


def mismatch(where: str) -> str:
    """What is wrong when a stored value does not open, for the operator (never a key itself)."""
    return (f"COACHBOT_ENCRYPTION_KEY cannot read the stored notes ({where}), and no key in COACHBOT_PREVIOUS_KEYS "
            "can either: they were written with another key. Set COACHBOT_ENCRYPTION_KEY to the key they were "
            "written with (when rotating, keep the old one in COACHBOT_PREVIOUS_KEYS). Nothing was changed.")


class KeyWatch:
    """Whether this process's key reads what is stored: checked at start, now and then while serving, and
    whenever a flow step meets a value it cannot open (another replica started with another key)."""

    def __init__(self, db: Database, cipher: NotesCipher):
        self.db = db
        self.cipher = cipher
        self.problem: str | None = None  # why this replica is not ready, for /readyz
        self._met: str | None = None  # what a step could not read: kept until a restart with the right key

    async def check_at_start(self) -> None:
        """Raise WrongKey when the key cannot read a sample of the stored notes (oldest and newest)."""
        async with self.db.session() as s:
            where = await keycheck.first_unreadable(s, self.cipher)
        if where:
            raise WrongKey(mismatch(where))

    async def check(self) -> str | None:
        """Look at what was written last (by any replica); the problem, or None."""
        async with self.db.session() as s:
            where = await keycheck.first_unreadable(s, self.cipher, sample=1, newest_only=True)
        if where and self.problem is None:
            log.error("not ready: %s", mismatch(where))
        self.problem = mismatch(where) if where else self._met
        return self.problem

    def unreadable(self, where: str) -> None:
        """A step met a stored value this key cannot open: not ready from now on, saying why."""
        if self._met is None:
            log.error("not ready: %s", mismatch(where))
        self._met = self.problem = mismatch(where)

    async def watch(self, every: float) -> None:
        """Check every `every` seconds until cancelled."""
        while True:
            await asyncio.sleep(every)
            try:
                await self.check()
            except Exception as exc:  # noqa: BLE001 - a database hiccup is /healthz's to report, not a key problem
                log.warning("key check skipped: %s", exc.__class__.__name__)
