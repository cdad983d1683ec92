"""Migration 0007: every reporting line recorded before was self-claimed, so each becomes pending and both
people are asked (an invitation queued for the rep, a note for the manager), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from storage.db import migrate, sync_url
from storage.models import Nudge, Person, ReportingChange, ReportingInvite, Retrospective

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def test_existing_lines_become_pending_and_both_people_are_asked(db_url):
    migrate(db_url, "0006")
    engine = create_engine(sync_url(db_url))
    try:
        with engine.begin() as conn:
            ws = conn.execute(text("INSERT INTO workspaces (platform, external_id, name, checkin_days, holidays, "
                                   "created_at) VALUES ('slack', 'T1', '', '1,3,7,14', '', :at) RETURNING id"),
                              {"at": NOW}).scalar_one()
            ids = {}
            for user, manager in (("USAM", None), ("UALEX", "USAM"), ("UJO", None)):
                ids[user] = conn.execute(text(
                    "INSERT INTO people (workspace_id, platform_user_id, name, tz, work_start, work_end, work_days, "
                    "manager_id, opted_out, created_at) VALUES (:ws, :u, :u, 'UTC', '09:00', '17:30', 'mon', :m, "
                    "false, :at) RETURNING id"), {"ws": ws, "u": user, "m": ids.get(manager), "at": NOW}).scalar_one()
            conn.execute(text("INSERT INTO retrospectives (workspace_id, deal_key, deal_name, rep_id, manager_id, "
                              "source, status, secondary_reasons, share_scope, lost_on, created_at) VALUES "
                              "(:ws, 'k', 'Acme', :r, :m, 'command', 'done', '', 'manager', :d, :at)"),
                         {"ws": ws, "r": ids["UALEX"], "m": ids["USAM"], "d": date(2026, 11, 2), "at": NOW})
        migrate(db_url)
        with engine.connect() as conn:
            people = {p.platform_user_id: p for p in conn.execute(select(Person))}
            invites = list(conn.execute(select(ReportingInvite)))
            nudges = {(n.kind, n.recipient_id): n for n in conn.execute(select(Nudge))}
            changes = list(conn.execute(select(ReportingChange)))
            retro = conn.execute(select(Retrospective)).one()
    finally:
        engine.dispose()
    assert all(p.manager_id is None and p.is_admin is False for p in people.values())  # nothing is trusted
    (invite,) = invites
    assert (invite.rep_id, invite.manager_id, invite.status) == (ids["UALEX"], ids["USAM"], "pending")
    assert set(nudges) == {("line_invite", ids["UALEX"]), ("line_pending", ids["USAM"])}  # both are asked
    assert all(n.status == "pending" and n.subject == f"invite:{invite.id}" and n.payload == "{}"
               for n in nudges.values())
    assert [(c.how, c.old_manager_id, c.new_manager_id) for c in changes] == [("migrated", ids["USAM"], None)]
    assert retro.manager_id is None  # the claimed manager's reports no longer hold the rep's losses


def test_the_migration_goes_down_to_the_lines_as_they_were_and_up_again(db_url):
    from alembic import command

    from storage.db import alembic_config

    test_existing_lines_become_pending_and_both_people_are_asked(db_url)
    engine = create_engine(sync_url(db_url))
    try:
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        with engine.connect() as conn:
            lines = dict(conn.execute(text("SELECT r.platform_user_id, m.platform_user_id FROM people r "
                                           "LEFT JOIN people m ON m.id = r.manager_id")).all())
            kinds = {k for (k,) in conn.execute(text("SELECT kind FROM nudges"))}
    finally:
        engine.dispose()
    assert lines == {"USAM": None, "UALEX": "USAM", "UJO": None} and not kinds & {"line_invite", "line_pending"}
    migrate(db_url)  # and up again: the line is pending once more, asked anew


def test_duplicate_pending_invitations_are_resolved_before_only_one_may_stand(db_url):
    """Migration 0009: of duplicates stored before, the newest stays pending and the others are superseded
    (logged, their queued messages cancelled); from then on the database refuses a second pending one."""
    migrate(db_url, "0008")
    engine = create_engine(sync_url(db_url))
    try:
        with engine.begin() as conn:
            ws = conn.execute(text("INSERT INTO workspaces (platform, external_id, name, checkin_days, holidays, "
                                   "created_at) VALUES ('slack', 'T1', '', '1,3,7,14', '', :at) RETURNING id"),
                              {"at": NOW}).scalar_one()
            ids = {u: conn.execute(text(
                "INSERT INTO people (workspace_id, platform_user_id, name, tz, work_start, work_end, work_days, "
                "opted_out, is_admin, created_at) VALUES (:ws, :u, :u, 'UTC', '09:00', '17:30', 'mon', false, false, "
                ":at) RETURNING id"), {"ws": ws, "u": u, "at": NOW}).scalar_one() for u in ("USAM", "UJO", "UALEX")}

            def invite(manager: str, days_ago: int, status: str = "pending") -> int:
                at = NOW - timedelta(days=days_ago)
                row = conn.execute(text(
                    "INSERT INTO reporting_invites (workspace_id, rep_id, manager_id, status, created_at, expires_at) "
                    "VALUES (:ws, :r, :m, :st, :at, :exp) RETURNING id"),
                    {"ws": ws, "r": ids["UALEX"], "m": ids[manager], "st": status, "at": at,
                     "exp": at + timedelta(days=14)}).scalar_one()
                conn.execute(text("INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, "
                                  "status, attempts, payload, created_at) VALUES (:ws, :r, 'line_invite', :sub, :k, "
                                  ":at, 'pending', 0, '{}', :at)"),
                             {"ws": ws, "r": ids["UALEX"], "sub": f"invite:{row}", "k": f"invite:{row}:t", "at": at})
                return row

            old, older, newest = invite("USAM", 3), invite("USAM", 5), invite("USAM", 1)
            jo = invite("UJO", 4)  # another manager's invitation to the same rep is no duplicate
            declined = invite("USAM", 6, "declined")
        migrate(db_url)
        with engine.connect() as conn:
            status = dict(conn.execute(select(ReportingInvite.id, ReportingInvite.status)).all())
            asked = dict(conn.execute(select(Nudge.subject, Nudge.status)).all())
            changes = list(conn.execute(select(ReportingChange)))
        assert status == {old: "superseded", older: "superseded", newest: "pending", jo: "pending",
                          declined: "declined"}
        assert asked == {f"invite:{old}": "cancelled", f"invite:{older}": "cancelled", f"invite:{newest}": "pending",
                         f"invite:{jo}": "pending", f"invite:{declined}": "pending"}
        assert sorted((c.how, c.rep_id, c.old_manager_id, c.by_id) for c in changes) == \
            [("superseded", ids["UALEX"], ids["USAM"], None)] * 2
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO reporting_invites (workspace_id, rep_id, manager_id, status, created_at, "
                              "expires_at) VALUES (:ws, :r, :m, 'pending', :at, :at)"),
                         {"ws": ws, "r": ids["UALEX"], "m": ids["USAM"], "at": NOW})
        with engine.begin() as conn:  # closed invitations of the same pair may be as many as they were
            conn.execute(text("INSERT INTO reporting_invites (workspace_id, rep_id, manager_id, status, created_at, "
                              "expires_at) VALUES (:ws, :r, :m, 'withdrawn', :at, :at)"),
                         {"ws": ws, "r": ids["UALEX"], "m": ids["USAM"], "at": NOW})
            names = {ix["name"] for ix in inspect(conn).get_indexes("flow_sessions")}
        assert "ix_flow_sessions_updated" in names
    finally:
        engine.dispose()
