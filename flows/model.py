"""What a flow is made of, as data: its steps, the user's answer, and the state a turn hands back.

`Context` is what checks, parsers and defaults see; `FlowState` is everything needed to resume a flow.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any, Callable, Iterable, Mapping

from flows.outputs import Feedback, InputKind, Option, Section

DEFAULT_MAX = {InputKind.SHORT_TEXT: 150, InputKind.LONG_TEXT: 3000}


@dataclass(frozen=True)
class Context:
    """What checks, parsers and defaults may look at: the clock, the user's zone and the answers."""

    now: datetime
    tz: tzinfo
    answers: Mapping[str, Any]
    params: Mapping[str, Any]

    @property
    def today(self) -> date:
        """The user's local date."""
        return self.now.astimezone(self.tz).date()


Check = Callable[[Any, Context], Iterable[Feedback]]
Parser = Callable[[str, Context], tuple[Any, list[Feedback]]]
NEXT = "__next__"  # sentinel: go to the step declared after this one


@dataclass(frozen=True)
class Step:
    """One question of a flow. `next` is a step id, NEXT, None (end) or a function of the answers."""

    id: str
    kind: InputKind
    title: str
    prompt: str
    guidance: str = ""
    stage: str = ""
    options: tuple[Option, ...] = ()
    required: bool = True
    max_length: int | None = None
    placeholder: str = ""
    checks: tuple[Check, ...] = ()
    parse: Parser | None = None
    suggest: Callable[[Context], str | None] | None = None
    notes: Callable[[Context], tuple[Section, ...]] | None = None  # facts shown above the question
    next: str | Callable[[Mapping[str, Any]], str | None] | None = NEXT
    branches: tuple[str | None, ...] = ()  # every target a callable `next` may return

    @property
    def limit(self) -> int | None:
        """The maximum length of a text answer, if this kind has one."""
        return self.max_length or DEFAULT_MAX.get(self.kind)


@dataclass(frozen=True)
class Flow:
    name: str
    title: str  # shown as a modal/card title: 24 characters at most
    steps: tuple[Step, ...]
    summarize: Callable[[Mapping[str, Any], Mapping[str, Any]], tuple[Section, ...]]
    cancel_text: str = "Cancelled. Nothing from this flow was kept."

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError if the flow has none)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def has_step(self, step_id: str | None) -> bool:
        """Whether the flow defines a step with this id."""
        return any(s.id == step_id for s in self.steps)

    def targets(self, step: Step) -> tuple[str | None, ...]:
        """Every step id (or None for the end) that may follow `step`."""
        if step.next == NEXT:
            idx = self.steps.index(step)
            return (self.steps[idx + 1].id if idx + 1 < len(self.steps) else None,)
        if callable(step.next):
            return step.branches
        return (step.next,)

    def following(self, step: Step, answers: Mapping[str, Any]) -> str | None:
        """The step after `step` given the answers so far (None: the flow is complete)."""
        if callable(step.next):
            return step.next(answers)
        return self.targets(step)[0]


class Action(StrEnum):
    SUBMIT = "submit"
    KEEP = "keep"  # accept the pending draft despite its coaching hints
    BACK = "back"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Answer:
    """What the user did. `version`/`step` come from the rendered prompt; None means "current"."""

    value: Any = None
    action: Action = Action.SUBMIT
    version: int | None = None
    step: str | None = None


@dataclass(frozen=True)
class FlowState:
    """Everything needed to resume a flow; JSON-serialisable through `to_dict` / `from_dict`."""

    flow: str
    step: str | None
    answers: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # what the user typed, to prefill on revisit
    params: dict[str, Any] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    version: int = 1
    status: str = "active"  # active | done | cancelled
    draft: Any = None  # a submitted answer held back by coaching hints
    hints_seen: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of this state."""
        return {
            "flow": self.flow,
            "step": self.step,
            "answers": self.answers,
            "raw": self.raw,
            "params": self.params,
            "history": list(self.history),
            "version": self.version,
            "status": self.status,
            "draft": self.draft,
            "hints_seen": {k: list(v) for k, v in self.hints_seen.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FlowState":
        """Rebuild a state saved with `to_dict`."""
        return cls(
            flow=data["flow"],
            step=data.get("step"),
            answers=dict(data.get("answers") or {}),
            raw=dict(data.get("raw") or {}),
            params=dict(data.get("params") or {}),
            history=tuple(data.get("history") or ()),
            version=int(data.get("version", 1)),
            status=data.get("status", "active"),
            draft=data.get("draft"),
            hints_seen={k: tuple(v) for k, v in (data.get("hints_seen") or {}).items()},
        )


@dataclass(frozen=True)
class Turn:
    state: FlowState
    outputs: tuple[Any, ...]
    accepted: bool = False  # whether an answer was stored in this turn
