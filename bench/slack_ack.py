"""Slack ack latency and throughput: `coachbot serve` against a bare Bolt app that only acks.

Both run as separate processes on loopback, talking to the same fake Slack Web API, in one run:
N signed `/coach help` commands, then N `view_submission`s (a real flow step for coachbot, an
immediate ack for the bare app), C at a time. Prints throughput, p50/p99 ack latency and ratios.

    .venv/bin/python bench/slack_ack.py [--n 1000] [--concurrency 50]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.crypto import NotesCipher  # noqa: E402
from tests import slack_requests as sr  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.served import Served, free_port  # noqa: E402


def start_bare(fake: FakeSlack) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SLACK_SIGNING_SECRET": sr.SIGNING_SECRET, "SLACK_BOT_TOKEN": fake.bot_token,
           "SLACK_API_URL": fake.api_url}
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import urllib.request
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("bare Bolt app did not start")


async def blast(url: str, requests: list[tuple[str, str]], concurrency: int) -> tuple[float, list[float], int]:
    """Post each (body, content type) signed, `concurrency` at a time; returns wall time, latencies, errors."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker():
            nonlocal errors
            while not queue.empty():
                body, ctype = queue.get_nowait()
                headers = {"Content-Type": ctype, **sr.sign(body)}
                t0 = time.perf_counter()
                async with session.post(url + "/slack/events", data=body, headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0, latencies, errors


def stats(name: str, wall: float, lat: list[float], errors: int) -> dict:
    result = {"name": name, "n": len(lat), "rps": len(lat) / wall, "p50_ms": statistics.median(lat) * 1000,
              "p99_ms": statistics.quantiles(lat, n=100)[98] * 1000, "errors": errors}
    print(f"  {name:<34} {result['rps']:8.0f} req/s   p50 {result['p50_ms']:7.2f} ms   "
          f"p99 {result['p99_ms']:7.2f} ms   errors {errors}")
    return result


def prepare_steps(served: Served, fake: FakeSlack, n: int) -> list[tuple[str, str]]:
    """Open n talks (n managers, n reps) and return one signed-able step submission for each."""
    submissions = []
    for i in range(n):
        mgr, rep = f"UBM{i:06d}", f"UBR{i:06d}"
        fake.add_user(mgr, f"Manager {i}")
        fake.add_user(rep, f"Rep {i}")
        view = served.open_modal(f"talk <@{rep}>", user=mgr)
        submissions.append(sr.interaction_body(sr.view_submission(view, sr.radio_answer("no"), user=mgr,
                                                                  team=fake.team_id)))
    return submissions


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--database-url", default=None,
                    help="default: a fresh SQLite file; e.g. postgresql+psycopg://postgres@127.0.0.1:5432/DB")
    args = ap.parse_args()
    fake = FakeSlack().start()
    fake.add_user("UBENCH", "Bench User")
    with tempfile.TemporaryDirectory() as tmp:
        served = Served(fake, Path(tmp), database_url=args.database_url)
        db_name = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") else "SQLite"
        bare, bare_url = start_bare(fake)
        try:
            help_cmds = [sr.command_body("help", user="UBENCH", team=fake.team_id, response_url=fake.response_url())
                         for _ in range(args.n)]
            print(f"Preparing {args.n} open talks for the view_submission run ...", flush=True)
            steps = prepare_steps(served, fake, args.n)
            bare_steps = list(steps)  # the very same bodies: the bare app parses and acks them
            # Warm both servers up (connections, first-request imports) before measuring.
            asyncio.run(blast(served.url, help_cmds[:50], 10))
            asyncio.run(blast(bare_url, help_cmds[:50], 10))
            print(f"\n/coach help — {args.n} requests, {args.concurrency} concurrent")
            bare_help = stats("bare Bolt (ack only)", *asyncio.run(blast(bare_url, help_cmds, args.concurrency)))
            ours_help = stats("coachbot serve", *asyncio.run(blast(served.url, help_cmds, args.concurrency)))
            print(f"\nview_submission — {args.n} requests, {args.concurrency} concurrent "
                  f"(coachbot: a real flow step on {db_name})")
            bare_view = stats("bare Bolt (ack only)", *asyncio.run(blast(bare_url, bare_steps, args.concurrency)))
            ours_view = stats("coachbot serve", *asyncio.run(blast(served.url, steps, args.concurrency)))
            print("\nratios (coachbot / bare):")
            for label, ours, bare_r in (("help", ours_help, bare_help), ("view_submission", ours_view, bare_view)):
                print(f"  {label:<16} throughput {ours['rps'] / bare_r['rps']:.2f}x   "
                      f"p99 {ours['p99_ms']:.1f} ms vs {bare_r['p99_ms']:.1f} ms")
            summary = {"help": [ours_help, bare_help], "view_submission": [ours_view, bare_view]}
            out = ROOT / "bench" / "out"
            out.mkdir(exist_ok=True)
            (out / f"slack_ack_{db_name.lower()}.json").write_text(json.dumps(summary, indent=2))
        finally:
            served.stop()
            bare.terminate()
            fake.stop()


if __name__ == "__main__":
    _ = NotesCipher  # the served process generates its own key
    main()
