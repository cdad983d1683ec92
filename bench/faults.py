"""Fault runs against two `coachbot serve` replicas on PostgreSQL, with the scheduler sending:

  A. the fake Slack API answering 429 (with Retry-After), 500, 503 and hanging past the client's timeout;
  B. a replica killed with SIGKILL in the middle of a batch, then started again;
  C. PostgreSQL restarted while people keep typing commands.

Prints what happened: nudges sent exactly once, what users were told during the outage, and how
long the app took to recover by itself. Needs a local PostgreSQL it may restart (this machine's).

    .venv/bin/python bench/faults.py
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.outage import DB_DOWN  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from storage.db import migrate, sync_url  # noqa: E402
from tests.support import slack_requests as sr  # noqa: E402
from tests.support.fakes.slack_api import FakeSlack  # noqa: E402
from tests.support.nudge_seed import all_status_counts, seed_due_nudges  # noqa: E402
from tests.support.pgdb import fresh_pg_database  # noqa: E402
from tests.support.served import Served, new_person, start_replicas  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
ENV = {"COACHBOT_TICK_SECONDS": "0.2", "COACHBOT_NUDGE_BATCH": "200", "COACHBOT_LEASE_SECONDS": "10"}


def wait_all_sent(url: str, total: int, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = all_status_counts(url)
        if counts.get("sent", 0) + counts.get("failed", 0) >= total:
            return counts
        time.sleep(0.5)
    return all_status_counts(url)


def exactly_once(fake: FakeSlack, url: str, total: int, label: str) -> None:
    counts = wait_all_sent(url, total)
    sent = fake.nudge_ids_sent()
    dupes = len(sent) - len(set(sent))  # over the whole run so far
    print(f"  {label}: {counts.get('sent', 0):,} of {total:,} sent, {counts.get('failed', 0)} failed, "
          f"{dupes} duplicates, {counts.get('sending', 0)} still leased")


def leased_by(url: str, pid: int) -> int:
    """How many nudges a replica (by process id) holds leases on right now."""
    return query_one(url, "SELECT count(*) FROM nudges WHERE status = 'sending' AND lease_owner LIKE :o",
                     o=f"%:{pid}:%")


def query_one(url: str, sql: str, **params):
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def restart_postgres() -> float:
    version = sorted(os.listdir("/etc/postgresql"))[0]
    t0 = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True)
    return time.monotonic() - t0


def main() -> None:
    fake = FakeSlack().start()
    work = Path(tempfile.mkdtemp())
    with fresh_pg_database(PG_ADMIN, "coachbot_faults") as url:
        migrate(url)
        replicas = start_replicas(fake, work, url, extra_env=ENV)
        total = 0
        try:
            print("A. the Slack API misbehaves")
            for status, headers, n in ((429, {"Retry-After": "1"}, 40), (500, {}, 40), (503, {}, 40)):
                fake.fail("chat.postMessage", status, {"ok": False, "error": "ratelimited" if status == 429
                                                       else "internal_error"}, headers, times=n)
            fake.delay["chat.postMessage"] = 11  # past the client's 10 s timeout, for a moment
            threading.Timer(2.0, lambda: fake.delay.pop("chat.postMessage", None)).start()
            seed_due_nudges(url, nudges=2000, people=100, team=fake.team_id)
            total += 2000
            exactly_once(fake, url, total, "after 120 failed answers and a 2 s hang")

            print("B. a replica is killed mid-batch")
            seed_due_nudges(url, nudges=5000, people=100, team=fake.team_id)
            total += 5000
            victim = replicas[1].proc.pid
            held = 0
            for _ in range(400):  # kill it while it holds leases, i.e. in the middle of a batch
                held = leased_by(url, victim)
                if held:
                    break
                time.sleep(0.01)
            replicas[1].proc.send_signal(signal.SIGKILL)
            replicas[1].proc.wait()
            print(f"  killed replica 2 (pid {victim}) while it held {held} leased nudges")
            time.sleep(2)
            (work / "r1b").mkdir()
            replicas[1] = Served(fake, work / "r1b", database_url=url, extra_env=ENV)
            exactly_once(fake, url, total, "after the kill and restart")

            print("C. PostgreSQL restarts while people type commands")
            users = [new_person(fake, f"Fault User {i}") for i in range(10)]
            outcomes: Counter[str] = Counter()
            told: dict[str, float] = {}
            stop = threading.Event()

            def traffic() -> None:
                i = 0
                while not stop.is_set():
                    user = users[i % len(users)]
                    rid = f"fault-{uuid.uuid4().hex[:10]}"
                    body, ctype = sr.command_body("plans", user=user, team=fake.team_id,
                                                  response_url=fake.response_url(rid), trigger_id=fake.trigger())
                    try:
                        reply = replicas[i % 2].post_signed(body, ctype)
                        outcomes[f"ack {reply.status}"] += 1
                        told[rid] = time.monotonic()
                    except OSError:
                        outcomes["connection refused"] += 1
                    i += 1
                    time.sleep(0.05)

            worker = threading.Thread(target=traffic)
            worker.start()
            seed_due_nudges(url, nudges=2000, people=100, team=fake.team_id)
            total += 2000
            time.sleep(3)
            restart_at = time.monotonic()
            took = restart_postgres()
            print(f"  PostgreSQL restarted in {took:.1f} s")
            time.sleep(15)
            stop.set()
            worker.join()
            answers = {r["_rid"]: r for r in list(fake.responses) if str(r.get("_rid", "")).startswith("fault-")}
            down = [rid for rid, r in answers.items() if DB_DOWN[:30] in str(r)]
            ok = [rid for rid, r in answers.items() if DB_DOWN[:30] not in str(r)]
            silent = [rid for rid in told if rid not in answers]
            last_down = max((told[rid] for rid in down), default=restart_at)
            later = [rid for rid in told if told[rid] > last_down]
            later_ok = [rid for rid in later if rid in ok]
            print(f"  commands: {dict(outcomes)}; answered {len(ok)}, told 'try again in a moment' {len(down)}, "
                  f"left without an answer {len(silent)}")
            print(f"  the last 'try again' came {last_down - restart_at:.1f} s after the restart began; of the "
                  f"{len(later)} commands after it, {len(later_ok)} were answered normally (coachbot not restarted)")
            exactly_once(fake, url, total, "after the database restart")
        finally:
            for s in replicas:
                s.stop()
            fake.stop()


if __name__ == "__main__":
    main()
