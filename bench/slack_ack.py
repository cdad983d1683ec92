"""Slack ack latency and throughput: `coachbot serve` against a bare Bolt app that only acks.

Both run as separate processes on loopback, talking to the same fake Slack Web API, in one run:
N signed `/coach help` commands, then N `view_submission`s (a real flow step for coachbot, an
immediate ack for the bare app), C at a time. Prints throughput, p50/p99 ack latency and ratios.
The two take turns over several rounds (which goes first alternates), and the summary is the
median round, because a shared two-core machine drifts by a third between minutes.

    .venv/bin/python bench/slack_ack.py [--n 1000] [--concurrency 50] [--rounds 3]
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import slack_requests as sr  # noqa: E402
from tests.support.fakes.slack_api import FakeSlack  # noqa: E402
from tests.support.served import Served, free_port  # noqa: E402


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


def prepare_steps(served: Served, fake: FakeSlack, n: int, first: int = 0) -> list[tuple[str, str]]:
    """Open n talks (n managers, n reps) and return one signed-able step submission for each."""
    def one(i: int) -> tuple[str, str]:
        mgr, rep = f"UBM{i:06d}", f"UBR{i:06d}"
        fake.add_user(mgr, f"Manager {i}")
        fake.add_user(rep, f"Rep {i}")
        view = served.open_modal(f"talk <@{rep}>", user=mgr)
        return sr.interaction_body(sr.view_submission(view, sr.radio_answer("no"), user=mgr, team=fake.team_id,
                                                      trigger_id=fake.trigger()))
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(first, first + n)))


def one_round(number: int, served_url: str, bare_url: str, help_cmds, steps, args, db_name: str) -> dict:
    """Both apps, each kind of request, taking turns; the app that goes first alternates by round."""
    order = [("bare", bare_url), ("coachbot", served_url)]
    if number % 2:
        order.reverse()
    labels = {"bare": "bare Bolt (ack only)", "coachbot": "coachbot serve"}
    result: dict = {"help": {}, "view_submission": {}}
    print(f"\nround {number + 1}: /coach help — {args.n} requests, {args.concurrency} concurrent")
    for who, url in order:
        result["help"][who] = stats(labels[who], *asyncio.run(blast(url, help_cmds, args.concurrency)))
    print(f"round {number + 1}: view_submission — {args.n} requests, {args.concurrency} concurrent "
          f"(coachbot: a real flow step on {db_name})")
    for who, url in order:
        result["view_submission"][who] = stats(labels[who], *asyncio.run(blast(url, steps, args.concurrency)))
    for kind in result:
        ours, bare = result[kind]["coachbot"], result[kind]["bare"]
        result[kind]["ratio"] = ours["rps"] / bare["rps"]
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
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
            help_cmds = [sr.command_body("help", user="UBENCH", team=fake.team_id, response_url=fake.response_url(),
                                         trigger_id=fake.trigger()) for _ in range(args.n)]
            print(f"Preparing {args.n * args.rounds} open talks for the view_submission runs ...", flush=True)
            # Every round needs talks still at their first step; the bare app gets the very same bodies.
            steps = prepare_steps(served, fake, args.n * args.rounds)
            # Warm both servers up (connections, first-request imports) before measuring.
            asyncio.run(blast(served.url, help_cmds[:50], 10))
            asyncio.run(blast(bare_url, help_cmds[:50], 10))
            rounds = [one_round(r, served.url, bare_url, help_cmds, steps[r * args.n:(r + 1) * args.n], args, db_name)
                      for r in range(args.rounds)]
            print(f"\nratios (coachbot / bare), median of {args.rounds} rounds:")
            summary: dict = {"database": db_name, "n": args.n, "concurrency": args.concurrency, "rounds": rounds}
            for kind in ("help", "view_submission"):
                middle = sorted(rounds, key=lambda r: r[kind]["ratio"])[len(rounds) // 2][kind]
                summary[kind] = middle
                print(f"  {kind:<16} throughput {middle['ratio']:.2f}x "
                      f"({middle['coachbot']['rps']:.0f} vs {middle['bare']['rps']:.0f} req/s)   "
                      f"p99 {middle['coachbot']['p99_ms']:.1f} ms vs {middle['bare']['p99_ms']:.1f} ms   "
                      f"(all rounds: {', '.join(format(r[kind]['ratio'], '.2f') + 'x' for r in rounds)})")
            out = ROOT / "bench" / "out"
            out.mkdir(exist_ok=True)
            (out / f"slack_ack_{db_name.lower()}.json").write_text(json.dumps(summary, indent=2))
        finally:
            served.stop()
            bare.terminate()
            fake.stop()


if __name__ == "__main__":
    main()
