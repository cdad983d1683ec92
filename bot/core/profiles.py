"""Keeping people's names and time zones in step with the platform profile (never guessed)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from bot.core.identity import Actor, NewPerson, person_for
from flows.dates import known_zone
from storage import people
from storage.db import Database

REFRESH_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Profile:
    name: str
    tz: str | None
    email: str | None = None
    admin: bool | None = None  # a workspace admin (None: the platform didn't say)


Fetch = Callable[[], Awaitable["Profile | None"]]


class ProfileRefresher:
    """Fetches a profile when the stored one is missing or older than a day.

    The platform call happens outside any database transaction, so a slow API never holds a lock.
    A small in-process memo skips the database read for people checked recently; it is only a
    shortcut, never the source of truth.
    """

    def __init__(self, db: Database, clock, defaults: NewPerson, *, memo_seconds: float = 300,
                 renamed: Callable[[int], None] | None = None):
        self.db = db
        self.defaults = defaults  # for someone met here first: the same start as anywhere else
        self.renamed = renamed  # told the id of a person whose name changed
        self.clock = clock
        self.memo_seconds = memo_seconds
        self._checked: dict[tuple[str, str, str], float] = {}

    async def ensure(self, platform: str, workspace: str, user: str, fetch: Fetch, fallback_name: str = "") -> None:
        """Make sure the stored profile of (workspace, user) is fresh, calling `fetch` if it is not."""
        key = (platform, workspace, user)
        if time.monotonic() - self._checked.get(key, -1e9) < self.memo_seconds:
            return
        now = self.clock.now()
        async with self.db.session() as s:
            person = await person_for(s, Actor(platform, workspace, user, fallback_name), self.defaults)
            fresh = person.profile_refreshed_at and now - person.profile_refreshed_at < REFRESH_AFTER
            person_id, workspace_id = person.id, person.workspace_id
        if not fresh:
            profile = await fetch()
            if profile is not None:
                async with self.db.session() as s:
                    person = await people.get_person(s, workspace_id=workspace_id, person_id=person_id)
                    before = person.name
                    await people.update_profile(s, person=person, name=profile.name, tz=known_zone(profile.tz),
                                                at=now, email=profile.email, admin=profile.admin)
                    changed = person.name != before
                if changed and self.renamed is not None:
                    self.renamed(person_id)
        self._checked[key] = time.monotonic()

