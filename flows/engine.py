"""The flow engine: flows are data (steps), and `start` / `advance` / `resume` are pure functions.

A turn never mutates its input state; it returns a new `FlowState` plus the neutral outputs to show.
This module is the state machine; what a flow is made of lives in `flows.model` (re-exported here for
callers) and reading a typed answer in `flows.answers`.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from flows.answers import normalise
from flows.dates import known_zone
from flows.model import Action, Answer, Context, Flow, FlowState, Step, Turn
from flows.outputs import Cancelled, Done, Feedback, Prompt, Refused

__all__ = [
    "Action", "Answer", "Context", "Flow", "FlowState", "Step", "Turn",
    "advance", "path_answers", "prompt_for", "resume", "start",
]


def _context(state: FlowState, now: datetime) -> Context:
    tz = ZoneInfo(known_zone(state.params.get("tz")) or "UTC")  # a stored draft's zone may predate zone checks
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
        notes=step.notes(ctx) if step.notes else (),
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
