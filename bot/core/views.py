"""Neutral outputs produced by the service beyond the flow engine's own (plans, settings, home)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flows.outputs import Done
from flows.prospecting import Week
from flows.report import Report
from storage.talks import Plan


@dataclass(frozen=True)
class Plans:
    """The open plans a person may see (as manager and as rep)."""

    viewer_id: int
    plans: tuple[Plan, ...]
    today: date
    followups: tuple[tuple[str, date | None], ...] = ()  # things the viewer said they would check


@dataclass(frozen=True)
class SettingsView:
    """A person's delivery settings, as shown and edited in settings."""

    tz: str  # effective zone
    profile_tz: str
    tz_override: str | None
    work_start: str
    work_end: str
    work_days: tuple[str, ...]
    paused_until: datetime | None
    fewer_messages: bool = False  # at most one scheduled message a working day, in the morning


@dataclass(frozen=True)
class RepStatus:
    person_id: int
    external_id: str
    name: str
    last_contact: datetime | None  # last talk or check-in
    has_open_plan: bool


@dataclass(frozen=True)
class Unfinished:
    session_id: str
    flow: str
    about: str
    step: str | None
    updated_at: datetime


@dataclass(frozen=True)
class Home:
    """Everything a person's home tab shows: what they lead, what they owe, what's unfinished."""

    viewer_id: int
    name: str
    today: date
    leading: tuple[Plan, ...]
    own: tuple[Plan, ...]
    reps: tuple[RepStatus, ...]
    unfinished: tuple[Unfinished, ...]
    waiting_retros: tuple[tuple[int, str], ...] = ()  # (retrospective id, deal name) for the viewer to fill in
    followups: tuple[tuple[str, date | None], ...] = ()
    next_checkin: datetime | None = None  # the viewer's next scheduled check-in, in their zone
    stale_after_days: int = 14

    def needs_contact(self, now: datetime) -> tuple[RepStatus, ...]:
        """Reps not talked to or checked in with for `stale_after_days` (or ever)."""
        return tuple(r for r in self.reps
                     if r.last_contact is None or (now - r.last_contact).days >= self.stale_after_days)


@dataclass(frozen=True)
class LossPrompt:
    """Post in the deal channel: this deal was lost, and the rep is invited to a retrospective."""

    retro_id: int
    deal_name: str
    amount: float | None
    rep_name: str
    rep_external_id: str
    channel: str | None


@dataclass(frozen=True)
class Team:
    """A manager's reps, confirmed and pending, and whom the person reports to."""

    manager_name: str
    reps: tuple[str, ...]  # confirmed
    pending: tuple[str, ...] = ()  # invited, not yet accepted
    my_manager: str = ""  # whom the person reports to (confirmed)
    invited_by: tuple[str, ...] = ()  # managers waiting for this person to accept


@dataclass(frozen=True)
class ReportView:
    """A team loss report, for the transport to show as text and, where it can, a chart."""

    report: Report


@dataclass(frozen=True)
class NudgeMessage:
    """A scheduled message to one person, with quick-answer buttons (action id, label, value)."""

    nudge_id: int
    kind: str
    text: str
    actions: tuple[tuple[str, str, str], ...] = ()
    detail: tuple[str, ...] = ()  # further lines (a review pack, a digest)
    # A merged message: each item with its own text and buttons (action ids made unique across items),
    # and `nudge_ids` every nudge it carries (the first is `nudge_id`). Empty for a single nudge.
    parts: tuple["NudgeMessage", ...] = ()
    nudge_ids: tuple[int, ...] = ()
    # The review pack's weeks against the plan's weekly target, (weeks, target), for a platform that can
    # show a chart beside the text (Slack); the text lines carry every number either way.
    series: tuple[tuple[Week, ...], int] | None = None
    # A lost deal's prompt, for a platform to show with its own renderer (its text and button say the same).
    prompt: LossPrompt | None = None

    @property
    def all_ids(self) -> tuple[int, ...]:
        """Every nudge this message delivers."""
        return self.nudge_ids or (self.nudge_id,)


def merge(messages: list[NudgeMessage], *, later: int = 0) -> NudgeMessage:
    """Several nudges for one person as one message: a short lead, then each item with its own buttons.

    Slack refuses two buttons with one action_id in a message, so an id an earlier item already uses gets a
    suffix after a dot (the button registry reads the action before the first dot). `later` counts the items that did
    not fit and come in the next message; the lead says so rather than leaving them unseen.
    """
    if len(messages) == 1 and not later:
        return messages[0]
    seen: set[str] = set()
    parts = []
    for i, m in enumerate(messages):
        actions = tuple((f"{a}.{i}" if a in seen else a, label, value) for a, label, value in m.actions)
        seen.update(a for a, _, _ in actions)
        parts.append(NudgeMessage(m.nudge_id, m.kind, m.text, actions, m.detail))
    parts = tuple(parts)
    lead = f"{_count(len(messages), 'thing')} for you today" if len(messages) > 1 else "One thing for you"
    if later:
        lead += f" ({_count(later, 'more reminder').lower()} in your next message)"
    return NudgeMessage(messages[0].nudge_id, messages[0].kind, lead + ":",
                        tuple(a for p in parts for a in p.actions), (), parts, tuple(m.nudge_id for m in messages),
                        next((m.series for m in messages if m.series), None))


def _count(n: int, noun: str) -> str:
    words = {1: "One", 2: "Two", 3: "Three", 4: "Four"}
    return f"{words.get(n, str(n))} {noun}{'s' if n != 1 else ''}"


def plain_text(output: Any) -> str:
    """An output as plain text, for a message that has to wait in the queue."""
    if isinstance(output, Done):
        return "\n".join([output.title] + [f"{s.heading}\n" + "\n".join(str(x) for x in s.lines)
                                            for s in output.sections])
    return getattr(output, "text", None) or getattr(output, "reason", None) or str(output)


def last_of(outputs: list, kind: type):
    """The last output of a kind among a turn's outputs, or None."""
    found = [o for o in outputs if isinstance(o, kind)]
    return found[-1] if found else None
