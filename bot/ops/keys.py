"""Where the notes encryption key comes from: the environment, or a local key file for the demo."""
from __future__ import annotations

import os
from pathlib import Path

from bot.ops.settings import Settings
from storage.crypto import NotesCipher
from storage.db import sqlite_path


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
