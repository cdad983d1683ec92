"""Team report query time with 1,000,000 retrospectives across 200 teams, on SQLite and PostgreSQL.

Seeds the rows directly (executemany on SQLite, COPY on PostgreSQL), then times the report the way
`/coach report 30d` runs it — this period, the previous period, and missing retrospectives, through
the same repository functions — for many teams, and prints the query plans that show the index.

    .venv/bin/python bench/report.py [--rows 1000000] [--teams 200] [--reports 200] [--skip-postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from flows import report as rp  # noqa: E402
from storage import retros  # noqa: E402
from storage.db import Database, migrate  # noqa: E402
from tests.support.pgdb import fresh_pg_database  # noqa: E402

REASONS = ["price", "product_fit", "sales_approach", "timing", "no_decision", "competitor", "budget",
           "champion_left", "other"]
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def people_rows(teams: int, reps_per_team: int):
    """(id, workspace, user id, name, manager id) — managers first, then their reps."""
    rows = []
    for t in range(teams):
        mgr = t + 1
        rows.append((mgr, 1, f"UM{t:05d}", f"Manager {t}", None))
    for t in range(teams):
        for r in range(reps_per_team):
            pid = teams + t * reps_per_team + r + 1
            rows.append((pid, 1, f"UR{t:05d}{r:02d}", f"Rep {t}-{r}", t + 1))
    return rows


def retro_rows(n: int, teams: int, reps_per_team: int, seed: int = 1):
    rng = random.Random(seed)
    created = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")  # as the UTC column stores it in SQLite
    for i in range(n):
        t = rng.randrange(teams)
        rep = teams + t * reps_per_team + rng.randrange(reps_per_team) + 1
        done = rng.random() < 0.9
        yield (i + 1, 1, f"crm:{i}", f"Deal {i}", rng.randrange(1000, 200000), rep, t + 1, "webhook",
               "done" if done else "pending", rng.choice(REASONS) if done else None, "", "manager",
               (TODAY - timedelta(days=rng.randrange(730))).isoformat(), created)


def seed_sqlite(path: Path, n: int, teams: int, reps: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("INSERT INTO workspaces (id, platform, external_id, name, created_at) VALUES (1, 'slack', 'TBENCH', '', ?)",
                 (NOW.strftime("%Y-%m-%d %H:%M:%S.%f"),))
    conn.executemany("INSERT INTO people (id, workspace_id, platform_user_id, name, manager_id, tz, work_start, "
                     "work_end, work_days, opted_out, created_at) VALUES (?, ?, ?, ?, ?, 'UTC', '09:00', '17:30', "
                     "'mon,tue,wed,thu,fri', 0, '2026-01-01 00:00:00')", people_rows(teams, reps))
    conn.executemany(
        "INSERT INTO retrospectives (id, workspace_id, deal_key, deal_name, amount, rep_id, manager_id, source, status, "
        "primary_reason, secondary_reasons, share_scope, lost_on, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        retro_rows(n, teams, reps))
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def seed_postgres(url: str, n: int, teams: int, reps: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("INSERT INTO workspaces (id, platform, external_id, name, created_at) "
                     "VALUES (1, 'slack', 'TBENCH', '', now())")
        with conn.cursor().copy("COPY people (id, workspace_id, platform_user_id, name, manager_id, tz, work_start, "
                                "work_end, work_days, opted_out, created_at) FROM STDIN") as cp:
            for row in people_rows(teams, reps):
                cp.write_row((*row, "UTC", "09:00", "17:30", "mon,tue,wed,thu,fri", False, NOW))
        with conn.cursor().copy("COPY retrospectives (id, workspace_id, deal_key, deal_name, amount, rep_id, "
                                "manager_id, source, status, primary_reason, secondary_reasons, share_scope, lost_on, "
                                "created_at) FROM STDIN") as cp:
            for row in retro_rows(n, teams, reps):
                cp.write_row((*row[:-1], NOW))
        conn.execute("SELECT setval(pg_get_serial_sequence('retrospectives', 'id'), (SELECT max(id) FROM retrospectives))")
        conn.commit()
        conn.execute("ANALYZE")


async def time_reports(url: str, teams: int, reports: int) -> list[float]:
    db = Database(url)
    rng = random.Random(3)
    p = rp.period("30d", TODAY)
    times = []
    try:
        for _ in range(reports):
            manager = rng.randrange(teams) + 1
            t0 = time.perf_counter()
            async with db.session() as s:
                args = dict(workspace_id=1, manager_id=manager)
                current = await retros.reason_counts(s, **args, start=p.start, end=p.end)
                previous = await retros.reason_counts(s, **args, start=p.previous_start, end=p.previous_end)
                missing = await retros.missing_counts(s, **args, start=p.start, end=p.end)
            rp.build(p, current, previous, missing, {}, own_team=True)
            times.append(time.perf_counter() - t0)
        async with db.engine.connect() as conn:
            sql = ("SELECT primary_reason, rep_id, count(*) FROM retrospectives WHERE workspace_id = 1 AND manager_id = 7 "
                   f"AND lost_on >= '{p.start}' AND lost_on < '{p.end}' AND status = 'done' GROUP BY primary_reason, rep_id")
            explain = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
            plan = [" ".join(str(c) for c in row) for row in await conn.execute(text(explain + sql))]
    finally:
        await db.close()
    print("    plan: " + "\n          ".join(plan))
    return times


def show(name: str, seed_s: float, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    print(f"  {name:<11} seeded in {seed_s:6.1f} s | per report: mean {statistics.mean(ms):6.2f} ms  "
          f"p50 {statistics.median(ms):6.2f} ms  p95 {ms[int(len(ms) * 0.95) - 1]:6.2f} ms  max {ms[-1]:6.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--teams", type=int, default=200)
    ap.add_argument("--reps", type=int, default=10, help="reps per team")
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    print(f"{args.rows:,} retrospectives, {args.teams} teams of {args.reps}; timing {args.reports} team reports "
          "(30 days + previous 30 days + missing)")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/report.db"
        migrate(url)
        t0 = time.perf_counter()
        seed_sqlite(Path(tmp) / "report.db", args.rows, args.teams, args.reps)
        seeded = time.perf_counter() - t0
        print("  SQLite:")
        show("SQLite", seeded, asyncio.run(time_reports(url, args.teams, args.reports)))
    if args.skip_postgres:
        return
    with fresh_pg_database(PG_ADMIN, "coachbot_report") as url:
        migrate(url)
        t0 = time.perf_counter()
        seed_postgres(url, args.rows, args.teams, args.reps)
        seeded = time.perf_counter() - t0
        print("  PostgreSQL:")
        show("PostgreSQL", seeded, asyncio.run(time_reports(url, args.teams, args.reports)))


if __name__ == "__main__":
    main()
