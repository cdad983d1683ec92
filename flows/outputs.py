"""Neutral outputs of a turn: transports render these into console text, Block Kit or cards."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class InputKind(StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DATE = "date"
    PERSON = "person"
    YES_NO = "yes_no"
    INFO = "info"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Feedback:
    """A message about one answer: a blocking error or a coaching hint the user may overrule."""

    severity: str  # "error" | "hint"
    code: str
    message: str
    quote: str | None = None

    @property
    def key(self) -> str:
        """Identity used to show a hint only once per step."""
        return f"{self.code}:{(self.quote or '').lower()}"


@dataclass(frozen=True)
class Prompt:
    """Ask for one step's answer (or show it again with errors or hints)."""

    flow: str
    flow_title: str
    session_id: str | None
    version: int
    step_id: str
    kind: InputKind
    title: str
    text: str
    guidance: str = ""
    stage: str = ""
    options: tuple[Option, ...] = ()
    value: Any = None  # what to prefill: the draft, the previous answer or the suggestion
    suggestion: str | None = None
    placeholder: str = ""
    required: bool = True
    max_length: int | None = None
    errors: tuple[Feedback, ...] = ()
    hints: tuple[Feedback, ...] = ()
    can_go_back: bool = False
    notes: tuple[Section, ...] = ()  # facts to read before answering (e.g. the brief before a talk)


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Done:
    """The flow is finished: a summary to show, and the answers the service stores."""

    flow: str
    title: str
    sections: tuple[Section, ...]
    answers: dict[str, Any] = field(default_factory=dict)
    session_id: str | None = None
    record_id: int | None = None


@dataclass(frozen=True)
class Say:
    """A plain message. tone is one of info | success | warning | error."""

    text: str
    tone: str = "info"


@dataclass(frozen=True)
class Cancelled:
    flow: str
    text: str


@dataclass(frozen=True)
class Refused:
    """An answer that cannot be applied (stale button, finished flow, not yours)."""

    reason: str


@dataclass(frozen=True)
class Notify:
    """Deliver an output to someone other than the person acting: a DM, or a post in a channel (its thread)."""

    person_id: int
    person_name: str
    output: Any
    external_id: str = ""  # the platform's user id, so the transport can address a DM
    queued: bool = False  # already in the outbox: the dispatcher delivers it, the transport only says so
    # Whose words it carries besides the actor's: erasing any of them drops the queued message too.
    about: tuple[int, ...] = ()
    # A post in this channel (in the thread of `thread`) instead of a DM; the person then names whom it is
    # sent for. Set only from a stored row (a retrospective's channel), never from what a client sent.
    channel: str | None = None
    thread: str | None = None
