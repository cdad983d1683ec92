"""The tables of signals: each flag a manager was told about (by its episode key), and each workspace's
thresholds. A flag's words are not stored: they are described again from the facts when shown."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _utc(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class SignalFlag(SQLModel, table=True):
    """A strong flag about a rep that their manager was told (or a flag they dismissed or snoozed).

    One row per rep, manager and episode key (flows.signals Flag.key): a key the manager dismissed is never
    raised again for them. When the rep's line moves the manager's rows are closed (their buttons then say
    why); a new manager meeting the same episode gets a row of their own, so an earlier manager's
    dismissal is not theirs. A line that comes back opens its closed rows as new."""

    __tablename__ = "signal_flags"
    __table_args__ = (
        UniqueConstraint("rep_id", "manager_id", "key", name="uq_signal_flags_episode"),
        Index("ix_signal_flags_manager", "manager_id", "status"),
        Index("ix_signal_flags_workspace", "workspace_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    rep_id: int = Field(foreign_key="people.id")
    manager_id: int = Field(foreign_key="people.id")
    key: str = Field(max_length=160)
    kind: str = Field(max_length=32)
    strength: str = Field(max_length=8)  # strong | weak
    status: str = Field(default="raised", max_length=12)  # raised | dismissed | snoozed | closed
    snoozed_until: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    told_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    prepared_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))  # "Prepare a conversation"
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class SignalSettings(SQLModel, table=True):
    """A workspace's signal thresholds: the JSON of Thresholds.to_settings() (only what differs from the defaults)."""

    __tablename__ = "workspace_signal_settings"

    workspace_id: int = Field(foreign_key="workspaces.id", primary_key=True)
    settings: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    updated_by: Optional[int] = Field(default=None, foreign_key="people.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    # The daily check of the workspace's reps: the day (UTC) it last ran, and the last rep id it reached
    # when a run stopped at its cap (None: it went through them all).
    checked_on: Optional[date] = Field(default=None)
    reached: Optional[int] = Field(default=None)
