"""Several `coachbot serve` replicas on one PostgreSQL: every nudge sent exactly once, even after a SIGKILL."""
from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from tests.support.fakes.slack_api import FakeSlack
from tests.support.nudge_seed import seed_due_nudges, senders_of, status_counts
from tests.support.served import Served


@pytest.fixture
def fake():
    f = FakeSlack().start()
    yield f
    f.stop()


def wait_all_sent(url: str, ids: list[int], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    counts = {}
    while time.monotonic() < deadline:
        counts = status_counts(url, ids)
        if counts.get("sent", 0) == len(ids):
            return counts
        time.sleep(0.5)
    raise AssertionError(f"not all sent in {timeout}s: {counts}")


def test_two_replicas_race_over_ten_thousand_due_nudges(pg_url, fake, tmp_path):
    env = {"COACHBOT_MESSAGE_BUDGET": "false", "COACHBOT_TICK_SECONDS": "0.2", "COACHBOT_NUDGE_BATCH": "200"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Served(fake, tmp_path / "a", database_url=pg_url, extra_env=env)
    second = Served(fake, tmp_path / "b", database_url=pg_url, extra_env=env)
    try:
        ids = seed_due_nudges(pg_url, nudges=10_000, people=100)
        wait_all_sent(pg_url, ids, timeout=240)
    finally:
        first.stop()
        second.stop()
    sent = [n for n in fake.nudge_ids_sent() if n in set(ids)]
    duplicates = [n for n, c in Counter(sent).items() if c > 1]
    assert len(sent) == 10_000 and duplicates == []
    by_replica = senders_of(pg_url, ids)
    # Both replicas claimed and sent; how the work splits depends on timing, so only that is asserted.
    assert len(by_replica) == 2 and all(n > 0 for n in by_replica.values()), by_replica


def test_a_replica_killed_mid_batch_loses_nothing_and_doubles_nothing(pg_url, fake, tmp_path):
    fake.delay["chat.postMessage"] = 0.02  # slow sends, so the kill lands inside a batch
    env = {"COACHBOT_MESSAGE_BUDGET": "false", "COACHBOT_TICK_SECONDS": "0.2", "COACHBOT_NUDGE_BATCH": "500", "COACHBOT_LEASE_SECONDS": "3"}
    (tmp_path / "a").mkdir()
    doomed = Served(fake, tmp_path / "a", database_url=pg_url, extra_env=env)
    ids = seed_due_nudges(pg_url, nudges=2_000, people=50)
    deadline = time.monotonic() + 60
    while len([n for n in fake.nudge_ids_sent() if n in set(ids)]) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(doomed.proc.pid, signal.SIGKILL)
    doomed.proc.wait(10)
    counts = status_counts(pg_url, ids)
    assert counts.get("sending", 0) > 0, counts  # it died holding leases
    delivered_before_restart = set(fake.nudge_ids_sent())
    (tmp_path / "b").mkdir()
    survivor = Served(fake, tmp_path / "b", database_url=pg_url, extra_env=env)
    try:
        wait_all_sent(pg_url, ids, timeout=120)
    finally:
        survivor.stop()
    sent = [n for n in fake.nudge_ids_sent() if n in set(ids)]
    assert sorted(set(sent)) == sorted(ids)
    assert [n for n, c in Counter(sent).items() if c > 1] == []
    assert fake.calls_to("conversations.history"), "reclaimed nudges were checked against the DM history"
    assert delivered_before_restart & set(ids)
