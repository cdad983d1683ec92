"""The admin's data-rights commands: forget a person, export a person's data, rotate the notes key,
and the retention purge the scheduler's housekeeping runs."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from storage import people, privacy
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import Person

_MENTION = re.compile(r"^<@([A-Za-z0-9:_\-.]+)(?:\|[^>]*)?>$")


class PersonNotFound(ValueError):
    """Who was asked for can't be identified; the message says what to do."""


def user_id_of(who: str) -> str:
    """The platform user id from `U123`, `@U123` or `<@U123|name>`."""
    who = who.strip()
    found = _MENTION.match(who)
    return found.group(1) if found else who.lstrip("@")


async def _one(s, who: str, workspace: str | None) -> Person:
    matches = await people.with_user_id(s, user_id=user_id_of(who), workspace=workspace)
    if not matches:
        raise PersonNotFound(f"Nobody with user id “{user_id_of(who)}”"
                             + (f" in workspace {workspace}" if workspace else "") + " is stored.")
    if len(matches) > 1:
        spaces = ", ".join(f"{w.platform}:{w.external_id}" for _, w in matches)
        raise PersonNotFound(f"“{user_id_of(who)}” exists in several workspaces ({spaces}); add --workspace ID.")
    return matches[0][0]


async def forget(db: Database, cipher: NotesCipher, who: str, *, workspace: str | None = None
                 ) -> tuple[str, dict[str, int]]:
    """Erase one person's personal data; returns their former name and what was removed.

    The key is needed to find queued messages for other people that quote them. A running server
    that still remembers one of their flow steps (`bot.core.step_cache`) can neither write it back
    nor show it: the row is gone, and a remembered step is shown only after the row is checked.
    """
    async with db.session() as s:
        person = await _one(s, who, workspace)
        name = person.name
        return name, await privacy.erase_person(s, cipher, person=person)


async def export_person(db: Database, cipher: NotesCipher, who: str, *, workspace: str | None = None) -> dict[str, Any]:
    """One person's own data, decrypted, for a subject-access request."""
    async with db.session() as s:
        return await privacy.personal_data(s, cipher, person=await _one(s, who, workspace))


async def rotate_key(db: Database, cipher: NotesCipher) -> dict[str, int]:
    """Re-encrypt every stored note under the newest key, in one transaction."""
    async with db.session() as s:
        return await privacy.rotate_notes(s, cipher)


async def purge_expired(db: Database, *, now: datetime, months: int) -> dict[str, int]:
    """Apply the retention setting: closed records older than `months` go (0 keeps everything)."""
    if months <= 0:
        return {}
    async with db.session() as s:
        return await privacy.purge_closed(s, before=now - timedelta(days=round(30.44 * months)))
