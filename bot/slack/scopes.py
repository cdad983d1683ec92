"""When Slack refuses a call with `missing_scope`: which permission is missing, what it breaks, how to fix it.

A workspace that installed coachbot before a scope was added keeps its old token until an admin
installs the app again, so a new feature can meet `missing_scope` there. That must reach a person
who can act on it, not only a log line.
"""
from __future__ import annotations

import threading

from slack_sdk.errors import SlackApiError

WHAT_NEEDS = {
    "chat:write": "sending messages",
    "files:write": "the chart of /coach report",
    "users:read": "names and time zones from Slack profiles",
    "users:read.email": "finding a CRM deal's owner by email",
    "users.profile:read": "reading who reports to whom from the manager field of Slack profiles (/coach team sync)",
    "im:write": "opening direct messages",
    "im:history": "checking a re-sent check-in against what already arrived",
    "channels:history": "checking a re-sent reply in a deal's thread against what already arrived",
    "groups:history": "checking a re-sent reply in a private deal channel's thread against what already arrived",
    "commands": "the /coach command",
}


def needed(exc: SlackApiError) -> str | None:
    """The scope a failed call needed, when Slack refused it for a missing scope (Slack may list
    several that would each do, "im:write,mpim:write": the one coachbot asks for is named)."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error") == "missing_scope":
        options = [o.strip() for o in str(data.get("needed") or "").split(",") if o.strip()]
        return next((o for o in options if o in WHAT_NEEDS), options[0] if options else "an unnamed scope")
    return None


def explain(scope: str) -> str:
    """What to tell a person: the permission, what it breaks, and who fixes it how."""
    what = WHAT_NEEDS.get(scope, "part of coachbot")
    return (f"coachbot's Slack install is missing the “{scope}” permission, so {what} doesn't work here. "
            "A workspace admin can fix it by installing coachbot again (its install link, or Reinstall on the "
            "app's settings page): that grants every permission the app asks for now.")


def short(scope: str) -> str:
    """The same for a one-line reason (a failed nudge, a webhook answer)."""
    return f"the Slack install lacks the {scope} permission; a workspace admin must re-install coachbot"


class Gaps:
    """Missing scopes met in this process, per workspace, and whom they were already explained to."""

    def __init__(self):
        self._missing: dict[str, set[str]] = {}
        self._told: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def note(self, team: str, exc: SlackApiError) -> str | None:
        """Remember the scope a refused call needed (None when it was refused for another reason)."""
        scope = needed(exc)
        if scope is not None:
            with self._lock:
                self._missing.setdefault(team, set()).add(scope)
        return scope

    def told(self, team: str, user: str, scope: str) -> None:
        with self._lock:
            self._told.add((team, user, scope))

    def untold(self, team: str, user: str) -> list[str]:
        """Scopes missing in the workspace that this person has not been told about yet (now they are)."""
        with self._lock:
            fresh = sorted(s for s in self._missing.get(team, ()) if (team, user, s) not in self._told)
            self._told.update((team, user, s) for s in fresh)
        return fresh

    def forget(self, team: str) -> None:
        """The workspace installed the app again: whatever it lacked, it has what the app asks for now."""
        with self._lock:
            self._missing.pop(team, None)
            self._told = {t for t in self._told if t[0] != team}

    def works(self, team: str, scope: str) -> None:
        """A call needing `scope` succeeded: the workspace has it now (an admin re-installed the app)."""
        with self._lock:
            if scope in self._missing.get(team, ()):
                self._missing[team].discard(scope)
                self._told = {t for t in self._told if t[0] != team or t[2] != scope}
