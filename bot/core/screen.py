"""What a turn comes to on screen, decided once for every transport.

The service answers with a list of neutral outputs. Which of them is the thing to show (the next
step, the summary, a "discarded" notice), which words go with it, which are messages for the person,
for others, or posts in a channel — that is decided here, and each transport maps a `Screen` to its
own forms, cards or console lines in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.views import LossPrompt
from flows.outputs import Cancelled, Done, Notify, Prompt, Refused, Say

NOTHING = "Nothing changed."


@dataclass(frozen=True)
class Screen:
    """A turn's outputs sorted by where they go and what is shown first."""

    prompt: Prompt | None = None  # the step to show
    note: str | None = None  # words shown with the step: why it is shown again, or an introduction
    errors: str | None = None  # set when the step just answered stays on screen with these errors
    done: Done | None = None  # a finished flow's summary
    discarded: str | None = None  # the flow was stopped: what happened to it
    nothing: str = NOTHING  # a step answer that led nowhere: why
    messages: tuple[Any, ...] = ()  # for the person who acted, in order (the summary included)
    notices: tuple[Notify, ...] = ()  # for other people
    posts: tuple[LossPrompt, ...] = ()  # in channels

    @property
    def words(self) -> str:
        """The messages' words joined: for a transport that has one line to say them in."""
        return " ".join(t for t in (_words(m) for m in self.messages) if t)


def screen_of(outputs: list[Any], *, answered_step: str | None = None) -> Screen:
    """Sort a turn's outputs; `answered_step` is the step a form was submitted on, if any."""
    prompts = [o for o in outputs if isinstance(o, Prompt)]
    prompt = prompts[-1] if prompts else None
    refused = [o for o in outputs if isinstance(o, Refused)]
    notices = tuple(o for o in outputs if isinstance(o, Notify))
    posts = tuple(o for o in outputs if isinstance(o, LossPrompt))
    mine = [o for o in outputs if not isinstance(o, (Prompt, Notify, LossPrompt))]
    if prompt is not None:
        said = [o for o in mine if isinstance(o, (Say, Refused))]
        note = " ".join(([refused[-1].reason] if refused else []) + [o.text for o in said if isinstance(o, Say)]) or None
        errors = None
        if answered_step is not None and prompt.errors and not refused and prompt.step_id == answered_step:
            errors = " ".join(e.message for e in prompt.errors)
        return Screen(prompt=prompt, note=note, errors=errors, notices=notices, posts=posts,
                      messages=tuple(o for o in mine if o not in said))
    done = next((o for o in reversed(mine) if isinstance(o, Done)), None)
    cancelled = next((o for o in reversed(mine) if isinstance(o, Cancelled)), None)
    nothing = refused[-1].reason if refused else " ".join(t for t in (_words(o) for o in mine) if t) or NOTHING
    return Screen(done=done, discarded=cancelled.text if cancelled else None, nothing=nothing,
                  messages=tuple(mine), notices=notices, posts=posts)


def _words(output: Any) -> str:
    return getattr(output, "reason", None) or getattr(output, "text", None) or ""
