"""Soak: mixed traffic at a steady rate against two `coachbot serve` replicas on PostgreSQL, with the
scheduler sending, for a long time (20 minutes by default). Reports requests served, errors, p50/p99
latency, each replica's resident memory after warm-up and at the end, and nudges sent exactly once.

    .venv/bin/python bench/soak.py [--minutes 20] [--rate 20] [--nudges-per-minute 600]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.startup import rss_mib  # noqa: E402
from bot.webhooks import sign_generic  # noqa: E402
from storage.db import migrate  # noqa: E402
from tests.support import slack_requests as sr  # noqa: E402
from tests.support.fakes.slack_api import FakeSlack  # noqa: E402
from tests.support.nudge_seed import all_status_counts, seed_due_nudges  # noqa: E402
from tests.support.pgdb import fresh_pg_database  # noqa: E402
from tests.support.served import Served, new_person, start_replicas  # noqa: E402
from tests.bot.slack.test_slack_serve import walk_talk  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "soak-crm-secret"
ENV = {"COACHBOT_TICK_SECONDS": "1", "CRM_WEBHOOK_SECRET": SECRET, "COACHBOT_LEASE_SECONDS": "30"}


class Traffic:
    """Requests of every kind, timed; anything but the expected status counts as an error."""

    def __init__(self, replicas: list[Served], fake: FakeSlack):
        self.replicas, self.fake = replicas, fake
        self.latency: list[float] = []
        self.kinds: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.managers = [new_person(fake, f"Soak Manager {i}") for i in range(20)]
        self.n = 0

    def timed(self, kind: str, call, ok=(200,)) -> None:
        t0 = time.perf_counter()
        try:
            status = call().status
        except OSError as exc:
            status = f"{exc.__class__.__name__}"
        elapsed = time.perf_counter() - t0
        with self.lock:
            self.kinds[kind] += 1
            self.latency.append(elapsed)
            if status not in ok:
                self.errors[f"{kind}: {status}"] += 1

    def one(self) -> None:
        self.n += 1
        served = self.replicas[self.n % len(self.replicas)]
        manager = random.choice(self.managers)
        roll = random.random()
        if roll < 0.35:
            self.timed("command help", lambda: served.command("help", user=manager))
        elif roll < 0.55:
            self.timed("command plans", lambda: served.command("plans", user=manager))
        elif roll < 0.75:
            rep = new_person(self.fake, f"Soak Rep {uuid.uuid4().hex[:6]}")
            view = served.open_modal(f"talk <@{rep}>", user=manager)
            self.timed("modal step", lambda: served.submit(view, sr.radio_answer("no"), user=manager))
            if self.n % 10 == 0:  # now and then a whole conversation, so plans and their nudges exist
                t0 = time.perf_counter()
                walk_talk(served, manager, new_person(self.fake, f"Soak Plan Rep {uuid.uuid4().hex[:6]}"))
                with self.lock:
                    self.kinds["whole talk (10 requests)"] += 1
                    self.latency.append((time.perf_counter() - t0) / 10)
        elif roll < 0.9:
            event = {"type": "app_home_opened", "user": manager, "channel": "D0SOAK", "tab": "home",
                     "event_ts": str(time.time())}
            self.timed("event app_home_opened", lambda: served.event(event))
        else:
            rep = new_person(self.fake, f"Soak Loser {uuid.uuid4().hex[:6]}")
            email = f"{rep.lower()}@example.com"
            self.fake.users[rep]["profile"]["email"] = email
            body = json.dumps({"deal_id": f"D-{uuid.uuid4().hex[:10]}", "name": "Soak deal", "owner_email": email,
                               "amount": 1000}).encode()
            ts = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Coachbot-Timestamp": ts,
                       "X-Coachbot-Signature": sign_generic(SECRET, ts, body)}
            self.timed("CRM webhook", lambda: served.request("POST", "/hooks/deals/lost", body, headers),
                       ok=(200, 201, 202))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20)
    ap.add_argument("--rate", type=float, default=20, help="requests per second, all kinds together")
    ap.add_argument("--nudges-per-minute", type=int, default=600)
    args = ap.parse_args()
    fake = FakeSlack().start()
    work = Path(tempfile.mkdtemp())
    with fresh_pg_database(PG_ADMIN, "coachbot_soak") as url:
        migrate(url)
        replicas = start_replicas(fake, work, url, extra_env=ENV)
        traffic = Traffic(replicas, fake)
        seeded = 0
        try:
            start = time.monotonic()
            end = start + args.minutes * 60
            warm_rss = None
            next_seed = start
            gap = 1 / args.rate
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_seed:
                    seed_due_nudges(url, nudges=args.nudges_per_minute, people=50, team=fake.team_id)
                    seeded += args.nudges_per_minute
                    next_seed += 60
                if warm_rss is None and now - start > 30:
                    warm_rss = [rss_mib(s.proc.pid) for s in replicas]
                t0 = time.perf_counter()
                traffic.one()
                time.sleep(max(0.0, gap - (time.perf_counter() - t0)))
            duration = time.monotonic() - start
            end_rss = [rss_mib(s.proc.pid) for s in replicas]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                counts = all_status_counts(url)
                if counts.get("sending", 0) == 0 and len(set(fake.nudge_ids_sent())) >= seeded:
                    break
                time.sleep(1)
            sent = fake.nudge_ids_sent()
            lat = sorted(traffic.latency)
            served_n = sum(traffic.kinds.values())
            print(f"soak: {duration / 60:.1f} min, 2 replicas on PostgreSQL, target {args.rate:g} requests/s")
            print(f"  requests: {served_n:,} ({served_n / duration:.1f}/s) — " +
                  ", ".join(f"{k} {v:,}" for k, v in traffic.kinds.most_common()))
            print(f"  errors: {sum(traffic.errors.values())}" + (f" {dict(traffic.errors)}" if traffic.errors else ""))
            print(f"  latency: p50 {1000 * statistics.median(lat):.0f} ms, p99 {1000 * lat[int(len(lat) * 0.99)]:.0f} ms")
            warm_rss = warm_rss or end_rss
            for i, (a, b) in enumerate(zip(warm_rss, end_rss)):
                print(f"  replica {i + 1} memory: {a:.0f} MiB after warm-up, {b:.0f} MiB at the end "
                      f"({100 * (b - a) / a:+.1f}%)")
            print(f"  nudges: {seeded:,} seeded due, {len(set(sent)):,} delivered, "
                  f"{len(sent) - len(set(sent))} duplicates; table: {all_status_counts(url)}")
        finally:
            for s in replicas:
                s.stop()
            fake.stop()


if __name__ == "__main__":
    main()
