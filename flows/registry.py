"""All flows by name, and the structural check that proves each one is well-formed."""
from __future__ import annotations

from flows import checkin, retro, talk
from flows.model import Flow
from flows.outputs import InputKind

FLOWS: dict[str, Flow] = {f.name: f for f in (talk.FLOW, checkin.FLOW, retro.FLOW)}
MAX_TITLE = 24  # Slack modal titles and Teams card headers are cut beyond this
CHOICE_KINDS = (InputKind.CHOICE, InputKind.MULTI_CHOICE)


def get_flow(name: str) -> Flow:
    """The registered flow called `name`."""
    return FLOWS[name]


def problems(flow: Flow) -> list[str]:
    """Everything wrong with a flow's structure; an empty list means it is well-formed."""
    found: list[str] = []
    if not flow.steps:
        return [f"{flow.name}: has no steps"]
    if not flow.title or len(flow.title) > MAX_TITLE:
        found.append(f"{flow.name}: title must be 1-{MAX_TITLE} characters, is {len(flow.title)}")
    ids = [s.id for s in flow.steps]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        found.append(f"{flow.name}: step id {dup!r} is used more than once")
    known = set(ids)
    for step in flow.steps:
        where = f"{flow.name}.{step.id}"
        if not step.title.strip() or not step.prompt.strip():
            found.append(f"{where}: needs a title and a prompt")
        if len(step.title) > MAX_TITLE:
            found.append(f"{where}: title longer than {MAX_TITLE} characters")
        if callable(step.next) and not step.branches:
            found.append(f"{where}: a branching step must declare its possible targets in `branches`")
        for target in flow.targets(step):
            if target is not None and target not in known:
                found.append(f"{where}: goes to unknown step {target!r}")
        if step.kind in CHOICE_KINDS:
            values = [o.value for o in step.options]
            if len(values) < 2:
                found.append(f"{where}: a choice needs at least two options")
            if len(set(values)) != len(values):
                found.append(f"{where}: option values must be unique")
        elif step.options:
            found.append(f"{where}: only choice steps take options")
        if step.kind == InputKind.INFO and (step.checks or step.parse):
            found.append(f"{where}: an info step takes no input, so it cannot have checks or a parser")
    if found:
        return found
    reachable = _reachable(flow)
    for step in flow.steps:
        if step.id not in reachable:
            found.append(f"{flow.name}.{step.id}: cannot be reached from the first step")
    for step_id in reachable:
        if not _can_finish(flow, step_id):
            found.append(f"{flow.name}.{step_id}: no path from here reaches the end of the flow")
    return found


def check_all() -> dict[str, list[str]]:
    """Problems of every registered flow, by name (all empty when the registry is sound)."""
    return {name: problems(flow) for name, flow in FLOWS.items()}


def _reachable(flow: Flow) -> set[str]:
    seen: set[str] = set()
    todo = [flow.steps[0].id]
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        todo += [t for t in flow.targets(flow.step(sid)) if t is not None]
    return seen


def _can_finish(flow: Flow, start: str) -> bool:
    seen: set[str] = set()
    todo = [start]
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        for t in flow.targets(flow.step(sid)):
            if t is None:
                return True
            todo.append(t)
    return False
