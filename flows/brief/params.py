"""The brief as the talk flow carries it in its params (the encrypted flow state): plain JSON."""
from __future__ import annotations

from typing import Any, Mapping

from flows.brief.draft import step1_draft
from flows.brief.facts import Brief
from flows.brief.sections import sections
from flows.outputs import Section


def to_params(brief: Brief, own: tuple[Section, ...], why: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the talk flow needs of the brief, as JSON: the sections (led by `why`, the signals the manager
    chose to prepare this talk from, when there are any), the step-1 draft and the step-2 notes."""
    parts = ((Section("What prompted this talk", why),) if why else ()) + sections(brief)
    return {"sections": [[s.heading, list(s.lines)] for s in parts],
            "draft": step1_draft(brief),
            "own": [[s.heading, list(s.lines)] for s in own]}


def from_params(params: Mapping[str, Any], key: str) -> tuple[Section, ...]:
    """Sections stored by `to_params` ("sections" or "own"); nothing when the talk has no brief."""
    stored = params.get("brief")
    if not isinstance(stored, Mapping):
        return ()
    out = []
    for part in stored.get(key) or ():
        if isinstance(part, (list, tuple)) and len(part) == 2 and isinstance(part[1], (list, tuple)):
            out.append(Section(str(part[0]), tuple(str(x) for x in part[1])))
    return tuple(out)


def draft_of(params: Mapping[str, Any]) -> str | None:
    """The stored step-1 draft, or None."""
    stored = params.get("brief")
    draft = stored.get("draft") if isinstance(stored, Mapping) else None
    return draft if isinstance(draft, str) and draft.strip() else None
