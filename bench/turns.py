"""How long one turn of the difficult conversation takes: the pure engine alone (baseline) versus a
full service turn (load, decrypt, engine, encrypt, save) on SQLite and, if reachable, PostgreSQL.

    .venv/bin/python bench/turns.py [--talks N] [--pg postgresql+psycopg://postgres@127.0.0.1/test]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.core.commands import parse  # noqa: E402
from bot.core.service import Actor, CoachService  # noqa: E402
from flows.engine import Answer, advance, start  # noqa: E402
from flows.talk import FLOW  # noqa: E402
from storage.crypto import NotesCipher  # noqa: E402
from storage.db import Database, migrate  # noqa: E402
from tests.support.pgdb import fresh_pg_database  # noqa: E402

NOW = datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc)
ANSWERS = ["no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.", "",
           "My leads moved to the new team.", "Campaign; shadowing",
           "Alex: book 5 discovery calls by Friday\nme: join two of Alex's calls in 2 weeks", "2026-12-07", "yes"]


class Clock:
    def now(self):
        return NOW


def engine_turns(talks: int) -> list[float]:
    times = []
    for _ in range(talks):
        turn = start(FLOW, {"rep": "Alex", "manager": "Sam", "tz": "UTC"}, NOW)
        for value in ANSWERS:
            t0 = time.perf_counter()
            turn = advance(FLOW, turn.state, Answer(value), NOW)
            times.append(time.perf_counter() - t0)
    return times


async def service_turns(url: str, talks: int) -> list[float]:
    migrate(url)
    db = Database(url)
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), Clock())
    times = []
    try:
        for i in range(talks):
            manager = Actor("console", "bench", f"mgr{i}", f"Mgr{i}")
            await service.command(manager, parse(f"talk @rep{i}"))
            for value in ANSWERS:
                t0 = time.perf_counter()
                await service.answer(manager, Answer(value))
                times.append(time.perf_counter() - t0)
    finally:
        await db.close()
    return times


def report(name: str, times: list[float], baseline: float | None = None) -> float:
    p50 = statistics.median(times) * 1000
    p99 = statistics.quantiles(times, n=100)[98] * 1000
    ratio = f"  {p50 / baseline:8.1f}x engine" if baseline else ""
    print(f"{name:<28} turns={len(times):6d}  p50={p50:8.3f} ms  p99={p99:8.3f} ms{ratio}")
    return p50


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--talks", type=int, default=50)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    base = report("engine only (pure)", engine_turns(args.talks * 10))
    with tempfile.TemporaryDirectory() as tmp:
        report("service turn, SQLite", asyncio.run(service_turns(f"sqlite:///{tmp}/bench.db", args.talks)), base)
    try:
        with fresh_pg_database(args.pg.replace("postgresql+psycopg", "postgresql"), "coachbot_bench") as url:
            report("service turn, PostgreSQL", asyncio.run(service_turns(url, args.talks)), base)
    except Exception as exc:  # noqa: BLE001 - no server here: say so and carry on
        print(f"PostgreSQL skipped: {exc}")


if __name__ == "__main__":
    main()
