"""Seeding many due nudges quickly, for the replica tests and bench/dispatch.py."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import create_engine, insert, select

from storage.crypto import NotesCipher
from storage.db import sync_url
from storage.models import Conversation, Nudge, Person, Workspace


def slack_workspace(conn, team: str, now: datetime) -> int:
    """The id of the Slack workspace `team`, inserted as coachbot would on first sight if it is new."""
    ws = conn.execute(select(Workspace.id).where(Workspace.platform == "slack", Workspace.external_id == team)).scalar()
    if ws is None:
        ws = conn.execute(insert(Workspace).values(platform="slack", external_id=team, name="", checkin_days="1,3,7,14",
                                                   holidays="", created_at=now).returning(Workspace.id)).scalar_one()
    return ws


def seed_due_nudges(url: str, *, nudges: int, people: int = 100, team: str = "T0001",
                    due_in: timedelta = timedelta(seconds=-30), key: str | None = None) -> list[int]:
    """People at work around the clock, each with an open plan, and `nudges` pulse nudges due now
    (or `due_in` from now). The plans' notes are sealed with `key` (the test servers' own by default)."""
    from tests.support.served import TEST_KEY  # here: served imports the fakes, which benches load lazily

    engine = create_engine(sync_url(url))
    now = datetime.now(timezone.utc)
    sealed = NotesCipher(key or TEST_KEY).encrypt({"seeded": True})
    try:
        with engine.begin() as conn:
            ws = slack_workspace(conn, team, now)
            mgr = conn.execute(insert(Person).values(
                workspace_id=ws, platform_user_id=f"UMGRSEED{time.time_ns() // 1000}", name="Seed Manager", tz="UTC",
                work_start="00:00", work_end="23:59", work_days="mon,tue,wed,thu,fri,sat,sun", opted_out=False,
                created_at=now).returning(Person.id)).scalar_one()
            reps = []
            for i in range(people):
                rep = conn.execute(insert(Person).values(
                    workspace_id=ws, platform_user_id=f"USEED{mgr}X{i:05d}", name=f"Seed Rep {i}", tz="UTC",
                    work_start="00:00", work_end="23:59", work_days="mon,tue,wed,thu,fri,sat,sun", opted_out=False,
                    manager_id=mgr, created_at=now).returning(Person.id)).scalar_one()
                conn.execute(insert(Conversation).values(
                    workspace_id=ws, manager_id=mgr, rep_id=rep, notes_encrypted=sealed, review_on=date(2099, 1, 1),
                    status="open", shared_with_rep=True, created_at=now))  # a pulse goes to reps on a shared plan
                reps.append(rep)
            rows = [dict(workspace_id=ws, recipient_id=reps[i % people], kind="pulse", subject=f"person:{reps[i % people]}",
                         dedupe_key=f"seed:{mgr}:{i}", due_at=now + due_in, status="pending",
                         attempts=0, payload="{}", created_at=now) for i in range(nudges)]
            for i in range(0, len(rows), 1000):
                conn.execute(insert(Nudge), rows[i:i + 1000])
            return [n for (n,) in conn.execute(select(Nudge.id).where(Nudge.dedupe_key.like(f"seed:{mgr}:%")))]
    finally:
        engine.dispose()


def status_counts(url: str, ids: list[int]) -> dict[str, int]:
    """How many of the given nudges are in each status."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Nudge.status, Nudge.id).where(Nudge.id.in_(ids)))
            out: dict[str, int] = {}
            for status, _ in rows:
                out[status] = out.get(status, 0) + 1
            return out
    finally:
        engine.dispose()


def senders_of(url: str, ids: list[int]) -> dict[str, int]:
    """Sent nudges per replica (the lease owner stays on a finished row)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            out: dict[str, int] = {}
            for (owner,) in conn.execute(select(Nudge.lease_owner).where(Nudge.id.in_(ids), Nudge.status == "sent")):
                out[owner] = out.get(owner, 0) + 1
            return out
    finally:
        engine.dispose()


def all_status_counts(url: str) -> dict[str, int]:
    """Nudges per status in the whole database (cheap enough to poll)."""
    from sqlalchemy import func

    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return {status: n for status, n in conn.execute(select(Nudge.status, func.count()).group_by(Nudge.status))}
    finally:
        engine.dispose()


def all_senders(url: str) -> dict[str, int]:
    """Sent nudges per replica in the whole database."""
    from sqlalchemy import func

    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return {owner: n for owner, n in conn.execute(
                select(Nudge.lease_owner, func.count()).where(Nudge.status == "sent").group_by(Nudge.lease_owner))}
    finally:
        engine.dispose()
