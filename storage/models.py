"""The tables. Every datetime column is timezone-aware UTC; personnel notes are stored encrypted."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _utc(nullable: bool = False, **kw) -> Column:
    return Column(UTCDateTime(), nullable=nullable, **kw)


class Workspace(SQLModel, table=True):
    """A Slack team, a Teams tenant, or the console demo."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_workspace_platform_external"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)  # console | slack | teams
    external_id: str = Field(max_length=255)  # a Slack team id, or a Teams tenant id
    name: str = Field(default="", max_length=200)
    checkin_days: str = Field(default="1,3,7,14", max_length=60)  # working days after a talk for check-ins
    holidays: str = Field(default="", max_length=2000)  # ISO dates, comma-separated: no nudges on these
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    # The app was uninstalled there (or its token revoked): nothing is planned or sent until it is back.
    removed_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    removed_reason: Optional[str] = Field(default=None, max_length=300)


class Person(SQLModel, table=True):
    """A manager or rep inside one workspace, with the settings that decide when to nudge them."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform_user_id", name="uq_person_workspace_user"),
        Index("ix_people_manager", "manager_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    platform_user_id: str = Field(max_length=255)  # a Teams user id runs to ~100 characters
    name: str = Field(default="", max_length=200)
    email: Optional[str] = Field(default=None, max_length=320)
    tz: str = Field(default="UTC", max_length=64)  # from the platform profile
    tz_override: Optional[str] = Field(default=None, max_length=64)  # chosen by the person in settings
    work_start: str = Field(default="09:00", max_length=5)
    work_end: str = Field(default="17:30", max_length=5)
    work_days: str = Field(default="mon,tue,wed,thu,fri", max_length=40)
    manager_id: Optional[int] = Field(default=None, foreign_key="people.id")  # confirmed lines only
    is_admin: bool = Field(default=False)  # a workspace admin (Slack admin/owner, or named in settings for Teams)
    paused_until: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    snoozed_until: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    opted_out: bool = Field(default=False)
    # Asked for fewer messages: at most one scheduled message a working day (else one per half-day).
    fewer_messages: bool = Field(default=False)
    profile_refreshed_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    # Teams: the conversation reference (JSON) of the bot's personal chat with this person, stored on
    # every turn there, so DMs, nudges and prompts can reach them later (Slack DMs need no reference).
    chat_ref: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class FlowSession(SQLModel, table=True):
    """A flow in progress (or finished): the engine state, encrypted, with a version for stale clicks."""

    __tablename__ = "flow_sessions"
    __table_args__ = (
        Index("ix_flow_sessions_owner", "user_id", "flow", "status"),
        Index("ix_flow_sessions_updated", "updated_at"),  # the notes-key check reads newest and oldest
    )

    id: str = Field(primary_key=True, max_length=36)
    workspace_id: int = Field(foreign_key="workspaces.id")
    user_id: int = Field(foreign_key="people.id")
    subject_id: Optional[int] = Field(default=None, foreign_key="people.id")
    ref: Optional[str] = Field(default=None, max_length=64)  # what the flow fills in, e.g. "retro:12"
    flow: str = Field(max_length=32)
    step: Optional[str] = Field(default=None, max_length=64)
    status: str = Field(default="active", max_length=16)  # active | done | cancelled
    version: int = Field(default=1)
    state_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class Conversation(SQLModel, table=True):
    """A finished difficult conversation: its six answers (encrypted) and the review date."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_manager", "workspace_id", "manager_id", "status"),
        Index("ix_conversations_rep", "workspace_id", "rep_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    manager_id: int = Field(foreign_key="people.id")
    rep_id: int = Field(foreign_key="people.id")
    flow_session_id: Optional[str] = Field(default=None, foreign_key="flow_sessions.id")
    notes_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    review_on: date
    status: str = Field(default="open", max_length=16)  # open | closed
    shared_with_rep: bool = Field(default=False)
    weekly_target: Optional[int] = Field(default=None)  # new opportunities a week, 1..100; None: no target
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    closed_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))


class ActionItem(SQLModel, table=True):
    """One commitment from a plan, owned by the rep or by the manager."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_owner_due", "owner_id", "status", "due_on"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    owner_role: str = Field(max_length=8)  # rep | manager
    owner_id: int = Field(foreign_key="people.id")
    text_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    due_on: Optional[date] = Field(default=None)
    status: str = Field(default="open", max_length=16)  # open | done | dropped
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    done_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))


class CheckIn(SQLModel, table=True):
    """A check-in: a rep's status (on track / need a hand / stuck) or a manager's note that they checked in."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_rep_at", "workspace_id", "rep_id", "created_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    rep_id: int = Field(foreign_key="people.id")
    author_id: int = Field(foreign_key="people.id")
    conversation_id: Optional[int] = Field(default=None, foreign_key="conversations.id")
    kind: str = Field(max_length=16)  # rep | manager
    status: Optional[str] = Field(default=None, max_length=16)  # on_track | need_hand | stuck
    note_encrypted: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class SeenEvent(SQLModel, table=True):
    """Slack event ids already processed, so a retried delivery is acknowledged but not acted on twice."""

    __tablename__ = "slack_events_seen"

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(default="", max_length=32)
    seen_at: datetime = Field(default_factory=utcnow, sa_column=_utc(index=True))


class Retrospective(SQLModel, table=True):
    """A lost deal and the rep's retrospective on it. manager_id is the rep's manager when it was lost,
    so team reports stay right after people move teams."""

    __tablename__ = "retrospectives"
    __table_args__ = (
        UniqueConstraint("workspace_id", "deal_key", name="uq_retro_workspace_deal"),
        # Covers the team report: filter by team and period, group by reason and rep, no table lookups.
        Index("ix_retro_team_report", "workspace_id", "manager_id", "lost_on", "status", "primary_reason", "rep_id"),
        Index("ix_retro_rep", "workspace_id", "rep_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    deal_key: str = Field(max_length=128)  # CRM deal id, or a generated one for deals typed in by hand
    deal_name: str = Field(max_length=200)
    amount: Optional[float] = Field(default=None)
    crm_url: Optional[str] = Field(default=None, max_length=500)
    stage: Optional[str] = Field(default=None, max_length=100)
    rep_id: int = Field(foreign_key="people.id")
    manager_id: Optional[int] = Field(default=None, foreign_key="people.id")
    opened_by_id: Optional[int] = Field(default=None, foreign_key="people.id")
    source: str = Field(default="command", max_length=16)  # command | shortcut | webhook | hubspot
    channel_id: Optional[str] = Field(default=None, max_length=255)
    message_ts: Optional[str] = Field(default=None, max_length=32)  # the prompt; its thread holds the rest
    status: str = Field(default="pending", max_length=16)  # pending | in_progress | done
    primary_reason: Optional[str] = Field(default=None, max_length=32)
    secondary_reasons: str = Field(default="", max_length=300)  # comma-separated reason codes
    share_scope: str = Field(default="manager", max_length=16)  # manager | channel
    answers_encrypted: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    lost_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    completed_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))


class FollowUp(SQLModel, table=True):
    """Something a person said they would check later (e.g. another deal at the same risk)."""

    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_person", "workspace_id", "person_id", "status", "due_on"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    person_id: int = Field(foreign_key="people.id")
    retrospective_id: Optional[int] = Field(default=None, foreign_key="retrospectives.id")
    text_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    due_on: Optional[date] = Field(default=None)
    status: str = Field(default="open", max_length=16)  # open | done
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class Nudge(SQLModel, table=True):
    """The durable schedule: one row per message to send. Replicas coordinate only through its lease."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_nudges_dedupe"),
        Index("ix_nudges_due", "status", "due_at"),
        Index("ix_nudges_subject", "subject", "status"),
        Index("ix_nudges_recipient", "recipient_id", "status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    recipient_id: int = Field(foreign_key="people.id")
    kind: str = Field(max_length=24)
    subject: str = Field(max_length=64)  # what it is about: talk:12, item:4, retro:7, person:3
    dedupe_key: str = Field(max_length=160)
    due_at: datetime = Field(sa_column=_utc())
    status: str = Field(default="pending", max_length=12)  # pending | sending | sent | cancelled | failed
    attempts: int = Field(default=0)
    lease_owner: Optional[str] = Field(default=None, max_length=64)
    lease_expires_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # ids only, never notes
    last_error: Optional[str] = Field(default=None, max_length=300)
    message_ref: Optional[str] = Field(default=None, max_length=100)  # where it was delivered (channel:ts)
    sent_at: Optional[datetime] = Field(default=None, sa_column=_utc(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())


class ReportingInvite(SQLModel, table=True):
    """An invitation to a reporting line: while pending, nothing of the rep's is the manager's."""

    __tablename__ = "reporting_invites"
    __table_args__ = (
        Index("ix_reporting_invites_rep", "rep_id", "status"),
        Index("ix_reporting_invites_manager", "manager_id", "status"),
        # One pending invitation per manager and rep: a second `team add` racing the first loses here.
        Index("uq_reporting_invites_pending", "rep_id", "manager_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    rep_id: int = Field(foreign_key="people.id")
    manager_id: int = Field(foreign_key="people.id")
    # pending | accepted | declined | withdrawn | expired | superseded; rows are kept so an id (named by
    # the buttons of a message already delivered) never comes to mean another invitation
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())


class ReportingChange(SQLModel, table=True):
    """The audit log of reporting lines: who changed whose manager, how, and when (never any notes)."""

    __tablename__ = "reporting_changes"
    __table_args__ = (Index("ix_reporting_changes_rep", "workspace_id", "rep_id", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspaces.id")
    rep_id: int = Field(foreign_key="people.id")
    old_manager_id: Optional[int] = Field(default=None, foreign_key="people.id")
    new_manager_id: Optional[int] = Field(default=None, foreign_key="people.id")
    by_id: Optional[int] = Field(default=None, foreign_key="people.id")  # None: an import or the migration
    how: str = Field(max_length=16)  # invited | accepted | declined | withdrawn | expired | admin | import | removed | migrated
    at: datetime = Field(default_factory=utcnow, sa_column=_utc())


# Weekly new-opportunity counts live in their own module, to keep this one small; imported here so every
# table is on the metadata once `storage.models` is, and importable from here like the others.
from storage.models_crm import CrmDealSeen, CrmSetting, OpportunityCount  # noqa: E402

CRM_TABLES = (OpportunityCount, CrmDealSeen, CrmSetting)
from storage.models_signals import SignalFlag, SignalSettings  # noqa: E402

SIGNAL_TABLES = (SignalFlag, SignalSettings)
