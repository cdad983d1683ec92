"""Nudge dispatch throughput: real `coachbot serve` processes sending due nudges to a fake Slack API
that answers instantly. One process on SQLite; one and two processes on PostgreSQL.

    .venv/bin/python bench/dispatch.py [--nudges 100000] [--skip-sqlite] [--skip-postgres]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.db import migrate  # noqa: E402
from tests.support.fakes.slack_api import FakeSlack  # noqa: E402
from tests.support.nudge_seed import all_senders, all_status_counts, seed_due_nudges  # noqa: E402
from tests.support.pgdb import fresh_pg_database  # noqa: E402
from tests.support.served import Served  # noqa: E402

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
        machine0 = machine_ticks()
        bench_cpu0 = time.process_time()  # this process serves the fake Slack API
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
        app_cpu = sum(cpu_seconds(s.proc.pid) for s in servers)
        machine1 = machine_ticks()
        busy = 1 - (machine1[1] - machine0[1]) / max(1, machine1[0] - machine0[0])
        sent = fake.nudge_ids_sent()
        dupes = len(sent) - len(set(sent))
        per = all_senders(url)
        print(f"    {counts.get('sent', 0):,} sent, {counts.get('failed', 0)} failed, {dupes} duplicates; "
              f"per replica: {', '.join(str(v) for v in per.values())}")
        fake_cpu = time.process_time() - bench_cpu0
        print(f"    app CPU {1000 * app_cpu / n:.3f} ms per nudge, fake Slack API CPU {1000 * fake_cpu / n:.3f} ms; "
              f"the machine's {os.cpu_count()} cores were "
              f"{busy:.0%} busy (coachbot, PostgreSQL and the fake Slack API all run here)")
        return elapsed
    finally:
        for s in servers:
            s.stop()
        fake.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(all, idle) CPU ticks of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values), values[3] + values[4]


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
