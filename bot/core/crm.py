"""A lost deal as a CRM reports it, and what taking one in answered: shared by the webhooks and the
transport that delivers the prompt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Awaitable, Callable


@dataclass(frozen=True)
class CrmDeal:
    """A lost deal as any CRM reports it."""

    id: str
    name: str
    owner_email: str
    amount: float | None = None
    stage: str | None = None
    close_date: date | None = None
    url: str | None = None
    workspace: str | None = None  # the chat workspace (Slack team id) when several are installed
    channel: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: dict[str, Any]


Intake = Callable[[CrmDeal, str], Awaitable[IntakeResult]]
