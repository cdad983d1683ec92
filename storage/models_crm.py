"""The tables of weekly new-opportunity counts: a rep's pulse answer or the CRM's count per week, the CRM
deals already counted, and the workspace setting that the CRM reports new deals."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _utc() -> Column:
    return Column(UTCDateTime(), nullable=False)


class OpportunityCount(SQLModel, table=True):
    """New opportunities a rep opened in one week (Monday in their zone): their pulse answer, or the CRM's count."""

    __tablename__ = "opportunity_counts"
    __table_args__ = (
        UniqueConstraint("person_id", "week_start", "source", name="uq_opportunity_counts_week"),
        CheckConstraint("count >= 0", name="ck_opportunity_counts_count"),
        Index("ix_opportunity_counts_workspace", "workspace_id", "week_start"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    person_id: int = Field(foreign_key="people.id")
    week_start: date  # the Monday of the week, in the rep's time zone
    count: int = Field(default=0)
    source: str = Field(max_length=8)  # pulse | crm
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class CrmDealSeen(SQLModel, table=True):
    """A CRM deal already counted as new, so a retried webhook delivery is not counted twice."""

    __tablename__ = "crm_deals_seen"
    __table_args__ = (UniqueConstraint("workspace_id", "deal_key", name="uq_crm_deals_seen"),
                      Index("ix_crm_deals_seen_person", "person_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    deal_key: str = Field(max_length=160)  # "crm:<id>" or "hubspot:<objectId>"
    person_id: int = Field(foreign_key="people.id")
    week_start: date
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class CrmSetting(SQLModel, table=True):
    """A workspace whose CRM reports every new deal: its count replaces the weekly pulse question."""

    __tablename__ = "crm_settings"

    workspace_id: int = Field(foreign_key="workspaces.id", primary_key=True)
    reports_new_deals: bool = Field(default=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
