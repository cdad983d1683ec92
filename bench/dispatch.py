"""Nudge dispatch throughput: real `coachbot serve` processes sending due nudges to a fake Slack API
that answers instantly. One process on SQLite; one and two processes on PostgreSQL.

    .venv/bin/python bench/dispatch.py [--nudges 100000] [--skip-sqlite] [--skip-postgres]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.db import migrate  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.nudge_seed import all_senders, all_status_counts, seed_due_nudges  # noqa: E402
from tests.pgdb import fresh_pg_database  # noqa: E402
from tests.served import Served  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
ENV = {"COACHBOT_TICK_SECONDS": "0.1", "COACHBOT_NUDGE_BATCH": "500"}


def run(url: str, replicas: int, n: int, workdir: Path) -> float:
    fake = FakeSlack().start()
    migrate(url)
    seed_due_nudges(url, nudges=n, people=200)
    servers = []
    try:
        # Start the replicas with the scheduler off-load: they begin ticking as soon as they are up.
        t0 = time.perf_counter()
        for i in range(replicas):
            d = workdir / f"r{i}-{uuid.uuid4().hex[:6]}"
            d.mkdir()
            servers.append(Served(fake, d, database_url=url, extra_env=ENV))
        while True:
            counts = all_status_counts(url)  # a fresh database: every nudge in it is one we seeded
            if counts.get("sent", 0) + counts.get("failed", 0) >= n:
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - t0
        sent = fake.nudge_ids_sent()
        dupes = len(sent) - len(set(sent))
        per = all_senders(url)
        print(f"    {counts.get('sent', 0):,} sent, {counts.get('failed', 0)} failed, {dupes} duplicates; "
              f"per replica: {', '.join(str(v) for v in per.values())}")
        return elapsed
    finally:
        for s in servers:
            s.stop()
        fake.stop()


def report(name: str, n: int, elapsed: float, baseline: float | None = None) -> float:
    rate = n / elapsed
    extra = f"   {rate / baseline:.2f}x one process" if baseline else ""
    print(f"  {name:<26} {rate:8,.0f} nudges/s   {1000 / rate:6.3f} ms per nudge (wall, incl. start-up){extra}")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nudges", type=int, default=100_000)
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    print(f"{args.nudges:,} due nudges, fake Slack answering instantly, tick 0.1 s, batch 500")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.skip_sqlite:
            print("  SQLite, 1 process:")
            report("SQLite, 1 process", args.nudges, run(f"sqlite:///{work}/dispatch.db", 1, args.nudges, work))
        if not args.skip_postgres:
            one = None
            for replicas in (1, 2):
                label = f"PostgreSQL, {replicas} process{'es' if replicas > 1 else ''}"
                with fresh_pg_database(PG_ADMIN, "coachbot_dispatch") as url:
                    print(f"  {label}:")
                    rate = report(label, args.nudges, run(url, replicas, args.nudges, work), one)
                    one = one or rate


if __name__ == "__main__":
    main()
