"""Start-up time and idle memory of `coachbot serve`: from exec to a 200 on /healthz, and the
process's resident memory once idle (scheduler on, Slack and Teams endpoints mounted).

    .venv/bin/python bench/startup.py [--runs 5] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.crypto import NotesCipher  # noqa: E402
from tests.support.served import COACHBOT, free_port  # noqa: E402


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one(url: str, workdir: Path) -> tuple[float, float, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "COACHBOT_", "DATABASE_URL"))}
    env.update({"DATABASE_URL": url, "COACHBOT_ENCRYPTION_KEY": NotesCipher.generate_key(),
                "SLACK_SIGNING_SECRET": "bench", "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": "http://127.0.0.1:9/"})
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(COACHBOT), "serve", "--port", str(port)], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
            if proc.poll() is not None:
                raise RuntimeError("coachbot serve exited during start-up")
        started = time.perf_counter() - t0
        at_start = rss_mib(proc.pid)
        time.sleep(5)  # a few scheduler ticks with nothing to do
        return started, at_start, rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/startup.db"
        results = [one(url, Path(tmp)) for _ in range(args.runs)]
    times = [r[0] for r in results]
    print(f"coachbot serve on {url.split(':')[0]}, {args.runs} runs")
    print(f"  start-up to first 200 on /healthz: median {statistics.median(times):.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}; the first run also creates the schema)")
    print(f"  resident memory: {statistics.median(r[1] for r in results):.0f} MiB when ready, "
          f"{statistics.median(r[2] for r in results):.0f} MiB after 5 s idle")


if __name__ == "__main__":
    main()
