"""The flow states this process wrote last, so the next step of the same flow skips the read and the decrypt.

Only a shortcut, never the truth: the database is. An entry is used only when the submission
names the entry's version, and the write that follows lands only if the row is still at that
version (`sessions.write_state_if_current`). A stale entry — another replica moved the flow on, a
double click, an erased person — therefore makes that write miss, the entry is dropped and the
step takes the full path, which reads the row and says what happened. A step that writes nothing
(an answer to correct, shown again with the draft) is shown from an entry only after a one-row
check that the session is still stored at that version (`sessions.still_at`). So when `coachbot
forget` runs in another process, a running server can neither write an erased person's state back
nor show it; the entry itself is gone when it is next used, or at the first step taken after it
expired. A session's owner never changes, and every write of a session bumps its version, so one
version means one state. A talk's brief (the rep's records) is not covered by the version: a reporting
line can end without the session being written, so an entry carrying one is used only after a one-row
check that the rep still reports to that manager (`storage.lines.still_reports_to`, in the runner).

Entries hold decrypted notes, so they are few and short-lived: at most `size`, each for `ttl`.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, NamedTuple

from flows.engine import FlowState

Owner = tuple[str, str, str]  # platform, workspace, platform user id


def owner_of(actor) -> Owner:
    """The cache's owner key for an actor (`bot.core.identity.Actor`)."""
    return actor.platform, actor.workspace, actor.user


class Cached(NamedTuple):
    owner: Owner
    state: FlowState  # its `flow` names the flow
    expires: float


class StepCache:
    """A small LRU of (session id -> owner, state) with an expiry per entry."""

    def __init__(self, size: int = 10_000, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._recheck: set[str] = set()  # sessions whose next step must read the row (a name changed)

    def get(self, session_id: str, owner: Owner, version: int | None) -> Cached | None:
        """The entry for this session if it belongs to `owner`, is at `version` and has not expired."""
        entry = self._entries.get(session_id)
        if entry is None or version is None:
            return None
        if entry.expires < self.clock():
            del self._entries[session_id]
            return None
        if entry.owner != owner or entry.state.version != version:
            return None
        return entry

    def put(self, session_id: str, owner: Owner, state: FlowState) -> None:
        """Remember the state just read or written for this session (only unfinished flows are kept)."""
        if state.status != "active":
            self._entries.pop(session_id, None)
            return
        now = self.clock()
        self._entries[session_id] = Cached(owner, state, now + self.ttl)
        self._entries.move_to_end(session_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        # Entries are in the order they were put, so of expiry: the expired ones are at the front. Dropping
        # them here means decrypted notes (an erased person's too) outlive their `ttl` only while idle.
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.expires >= now:
                break
            self._entries.popitem(last=False)

    def drop(self, session_id: str) -> None:
        """Forget a session (it finished, was discarded, or the database disagreed with the entry)."""
        self._entries.pop(session_id, None)

    def forget_about(self, person_id: int) -> None:
        """Forget the flows about a person whose name just changed, and send their next step down the
        full path, which puts the current name into the flow."""
        for session_id, entry in list(self._entries.items()):
            if person_id in (entry.state.params.get("rep_id"), entry.state.params.get("manager_id")):
                del self._entries[session_id]
                self._recheck.add(session_id)

    def must_recheck(self, session_id: str) -> bool:
        """Whether this session's next step must take the full path (asked once)."""
        if session_id in self._recheck:
            self._recheck.discard(session_id)
            return True
        return False

    def __len__(self) -> int:
        return len(self._entries)
