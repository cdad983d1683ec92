"""The flow engine: flows are data (steps), and `start` / `advance` / `resume` are pure functions.

A turn never mutates its input state; it returns a new `FlowState` plus the neutral outputs to show.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from flows.dates import parse_date
from flows.outputs import (
    Cancelled,
    Done,
    Feedback,
    InputKind,
    Option,
    Prompt,
    Refused,
    Section,
)

DEFAULT_MAX = {InputKind.SHORT_TEXT: 150, InputKind.LONG_TEXT: 3000}
YES_WORDS = {"yes", "y", "yeah", "yep", "sure", "ok", "true", "1"}
NO_WORDS = {"no", "n", "nope", "false", "2"}
MENTION = re.compile(r"^(?:<@(?P<uid>[A-Z0-9]+)(?:\|(?P<label>[^>]*))?>|@(?P<handle>[\w.\-]+))$")


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
    suggest: Callable[[Context], str] | None = None
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


def _context(state: FlowState, now: datetime) -> Context:
    tz = ZoneInfo(state.params.get("tz") or "UTC")
    return Context(now=now, tz=tz, answers=state.answers, params=state.params)


def start(flow: Flow, params: Mapping[str, Any], now: datetime, session_id: str | None = None) -> Turn:
    """Begin `flow`: the first step's prompt. `params` carry names, ids and the user's time zone."""
    state = FlowState(flow=flow.name, step=flow.steps[0].id, params=dict(params))
    return Turn(state, (prompt_for(flow, state, now, session_id),))


def resume(flow: Flow, state: FlowState, now: datetime, session_id: str | None = None) -> Turn:
    """Show the stored step again; repairs a state whose step no longer exists in the flow."""
    if state.status != "active":
        return Turn(state, (Refused(_closed_reason(state)),))
    if not flow.has_step(state.step):
        state = replace(state, step=_first_unanswered(flow, state), draft=None, version=state.version + 1)
    return Turn(state, (prompt_for(flow, state, now, session_id),))


def advance(
    flow: Flow, state: FlowState, answer: Answer, now: datetime, session_id: str | None = None
) -> Turn:
    """Apply one answer or action and return the next state and what to show."""
    if state.status != "active":
        return Turn(state, (Refused(_closed_reason(state)),))
    if (answer.version is not None and answer.version != state.version) or (
        answer.step is not None and answer.step != state.step
    ):
        return Turn(
            state,
            (
                Refused(
                    "That form is out of date — this step was already answered or changed since it "
                    "was shown. Here is where you are now."
                ),
                prompt_for(flow, state, now, session_id),
            ),
        )
    if answer.action == Action.CANCEL:
        cancelled = replace(state, status="cancelled", version=state.version + 1, draft=None)
        return Turn(cancelled, (Cancelled(flow.name, flow.cancel_text),))
    if answer.action == Action.BACK:
        return _back(flow, state, now, session_id)

    step = flow.step(state.step)  # type: ignore[arg-type]
    ctx = _context(state, now)
    if answer.action == Action.KEEP:
        if state.draft is None:
            return Turn(state, (prompt_for(flow, state, now, session_id),))
        raw_value = state.draft
    else:
        raw_value = answer.value

    value, errors = normalise(step, raw_value, ctx)
    if errors:
        return Turn(state, (prompt_for(flow, state, now, session_id, errors=errors, value=raw_value),))
    feedback = [f for check in step.checks for f in check(value, ctx)] if value is not None else []
    errors = [f for f in feedback if f.severity == "error"]
    if errors:
        return Turn(state, (prompt_for(flow, state, now, session_id, errors=errors, value=raw_value),))

    hints = _dedupe([f for f in feedback if f.severity == "hint"])
    seen = set(state.hints_seen.get(step.id, ()))
    unseen = [h for h in hints if h.key not in seen]
    if unseen and answer.action != Action.KEEP:
        held = replace(
            state,
            draft=raw_value,
            version=state.version + 1,
            hints_seen={**state.hints_seen, step.id: tuple(sorted(seen | {h.key for h in unseen}))},
        )
        return Turn(held, (prompt_for(flow, held, now, session_id, hints=unseen, value=raw_value),))
    return _accept(flow, state, step, value, raw_value, now, session_id)


def normalise(step: Step, raw: Any, ctx: Context) -> tuple[Any, list[Feedback]]:
    """Turn a raw answer into the stored value for the step's kind, or say what is wrong with it."""
    kind = step.kind
    if kind == InputKind.INFO:
        return None, []
    if kind == InputKind.MULTI_CHOICE:
        return _multi_choice(step, raw)
    text = "" if raw is None else (raw if isinstance(raw, str) else str(raw))
    if isinstance(raw, bool) and kind == InputKind.YES_NO:
        return raw, []
    text = text.strip()
    if not text:
        if step.required:
            return None, [_error("empty", _empty_message(step))]
        return None, []
    limit = step.limit
    if limit and len(text) > limit:
        return None, [
            _error(
                "too_long",
                f"That is {len(text):,} characters; this answer can hold {limit:,}. "
                "Please shorten it (a summary is enough here).",
            )
        ]
    if kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT):
        if step.parse:
            value, problems = step.parse(text, ctx)
            return value, problems
        return text, []
    if kind == InputKind.CHOICE:
        option = _match_option(step.options, text)
        if option is None:
            return None, [_error("bad_choice", f"“{_clip(text)}” is not one of the choices: {_labels(step)}.")]
        return option.value, []
    if kind == InputKind.YES_NO:
        word = text.lower().rstrip(".!")
        if word in YES_WORDS:
            return True, []
        if word in NO_WORDS:
            return False, []
        return None, [_error("bad_yes_no", f"Please answer yes or no (you wrote “{_clip(text)}”).")]
    if kind == InputKind.DATE:
        parsed = parse_date(text, ctx.today)
        if parsed is None:
            return None, [
                _error(
                    "bad_date",
                    f"I couldn't read “{_clip(text)}” as a date. Try “2026-12-04”, “4 Dec”, "
                    "“Friday”, “next Tuesday” or “in 2 weeks”.",
                )
            ]
        return parsed.isoformat(), []
    if kind == InputKind.PERSON:
        match = MENTION.match(text)
        if not match:
            return None, [_error("bad_person", f"Mention one person, like @alex (you wrote “{_clip(text)}”).")]
        return text, []
    raise ValueError(f"unknown input kind {kind}")


def prompt_for(
    flow: Flow,
    state: FlowState,
    now: datetime,
    session_id: str | None = None,
    *,
    errors: Iterable[Feedback] = (),
    hints: Iterable[Feedback] = (),
    value: Any = None,
) -> Prompt:
    """The prompt for the state's current step, prefilled with the best value we have."""
    step = flow.step(state.step)  # type: ignore[arg-type]
    ctx = _context(state, now)
    suggestion = step.suggest(ctx) if step.suggest else None
    if value is None:
        value = state.draft if state.draft is not None else state.raw.get(step.id)
    if value is None and suggestion is not None:
        value = suggestion
    fmt = _Formatter(state.params)
    return Prompt(
        flow=flow.name,
        flow_title=flow.title,
        session_id=session_id,
        version=state.version,
        step_id=step.id,
        kind=step.kind,
        title=fmt(step.title),
        text=fmt(step.prompt),
        guidance=fmt(step.guidance),
        stage=step.stage,
        options=step.options,
        value=value,
        suggestion=suggestion,
        placeholder=fmt(step.placeholder),
        required=step.required,
        max_length=step.limit,
        errors=tuple(errors),
        hints=tuple(hints),
        can_go_back=bool(state.history),
    )


def path_answers(flow: Flow, state: FlowState) -> dict[str, Any]:
    """Only the answers on the path actually taken (a branch left behind does not count)."""
    on_path = set(state.history) | ({state.step} if state.step else set())
    return {k: v for k, v in state.answers.items() if k in on_path}


def _accept(flow, state, step, value, raw_value, now, session_id) -> Turn:
    answers = {**state.answers, step.id: value}
    raw = {**state.raw, step.id: raw_value if isinstance(raw_value, (str, list, bool)) else value}
    nxt = flow.following(step, answers)
    history = state.history + (step.id,)
    if nxt is None:
        done_state = replace(
            state, answers=answers, raw=raw, history=history, step=None, status="done",
            version=state.version + 1, draft=None,
        )
        final = path_answers(flow, replace(done_state, step=None))
        done = Done(
            flow=flow.name,
            title=flow.title,
            sections=flow.summarize(final, state.params),
            answers=final,
            session_id=session_id,
        )
        return Turn(done_state, (done,), accepted=True)
    moved = replace(
        state, answers=answers, raw=raw, history=history, step=nxt, version=state.version + 1, draft=None
    )
    return Turn(moved, (prompt_for(flow, moved, now, session_id),), accepted=True)


def _back(flow, state, now, session_id) -> Turn:
    if not state.history:
        return Turn(state, (Refused("This is the first step; there is nothing to go back to."),
                            prompt_for(flow, state, now, session_id)))
    previous = state.history[-1]
    moved = replace(state, step=previous, history=state.history[:-1], version=state.version + 1, draft=None)
    return Turn(moved, (prompt_for(flow, moved, now, session_id),))


def _first_unanswered(flow: Flow, state: FlowState) -> str:
    step = flow.steps[0]
    seen: set[str] = set()
    while step.id in state.answers and step.id not in seen:
        seen.add(step.id)
        nxt = flow.following(step, state.answers)
        if nxt is None:
            return step.id
        step = flow.step(nxt)
    return step.id


def _multi_choice(step: Step, raw: Any) -> tuple[Any, list[Feedback]]:
    if raw is None or raw == "":
        items: list[str] = []
    elif isinstance(raw, (list, tuple)):
        items = [str(x).strip() for x in raw]
    else:
        items = [p.strip() for p in re.split(r"[,;]", str(raw))]
    items = [i for i in items if i]
    chosen: list[str] = []
    for item in items:
        option = _match_option(step.options, item)
        if option is None:
            return None, [_error("bad_choice", f"“{_clip(item)}” is not one of the choices: {_labels(step)}.")]
        if option.value not in chosen:
            chosen.append(option.value)
    if step.required and not chosen:
        return None, [_error("empty", "Pick at least one of the choices.")]
    return chosen, []


def _match_option(options: tuple[Option, ...], text: str) -> Option | None:
    t = text.strip().lower()
    if t.isdigit() and 1 <= int(t) <= len(options):
        return options[int(t) - 1]
    for o in options:
        if t in (o.value.lower(), o.label.lower()):
            return o
    return None


def _labels(step: Step) -> str:
    return ", ".join(f"{i}) {o.label}" for i, o in enumerate(step.options, 1))


def _empty_message(step: Step) -> str:
    if step.kind == InputKind.DATE:
        return "A date is needed here — for example “in 2 weeks” or “2026-12-04”."
    if step.kind == InputKind.CHOICE:
        return f"Pick one of the choices: {_labels(step)}."
    if step.kind == InputKind.YES_NO:
        return "Please answer yes or no."
    return "This step needs an answer before you can go on."


def _error(code: str, message: str) -> Feedback:
    return Feedback("error", code, message)


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _dedupe(items: list[Feedback]) -> list[Feedback]:
    out: dict[str, Feedback] = {}
    for f in items:
        out.setdefault(f.key, f)
    return list(out.values())


def _closed_reason(state: FlowState) -> str:
    if state.status == "done":
        return "This conversation is already finished — its summary was saved. Start a new one any time."
    return "This conversation was cancelled, so there is nothing left to answer."


class _Formatter:
    """Fills {rep}-style placeholders from params, leaving unknown ones visible instead of failing."""

    def __init__(self, params: Mapping[str, Any]):
        self.params = params

    def __call__(self, text: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(self.params.get(m.group(1), m.group(0))), text)
