"""A claim takes at most its batch size, on SQLite and PostgreSQL, and two claims never share a row."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storage import nudges
from storage.db import Database, migrate
from tests.support.nudge_seed import seed_due_nudges


async def test_a_claim_takes_at_most_its_limit_and_the_next_claim_takes_others(db_url):
    migrate(db_url)
    seed_due_nudges(db_url, nudges=1200, people=20)
    db = Database(db_url)
    now = datetime.now(timezone.utc)
    try:
        taken: list[set[int]] = []
        for owner in ("replica-a", "replica-b", "replica-c"):
            async with db.session() as s:
                claimed = await nudges.claim(s, owner=owner, now=now, lease=timedelta(minutes=2), limit=500)
            assert all(n.lease_owner == owner and n.status == "sending" for n in claimed)
            taken.append({n.id for n in claimed})
        assert [len(t) for t in taken] == [500, 500, 200]
        assert not (taken[0] & taken[1]) and not (taken[1] & taken[2]) and not (taken[0] & taken[2])
    finally:
        await db.close()
