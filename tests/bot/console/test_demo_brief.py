"""`coachbot demo` through a pipe: a talk with a rep who has a record opens with the brief, step 1 offers a
draft of those facts (Enter takes it), and step 2 shows the manager's own late commitment."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from storage.crypto import NotesCipher
from storage.db import Database, migrate
from tests.bot.console.test_demo import run_demo
from tests.support.brief_seed import seed_record


async def _seed(url: str, key: str, **kw) -> dict:
    db = Database(url)
    try:
        return await seed_record(db, NotesCipher(key), platform="console", team="demo", manager=("sam", "Sam"),
                                 today=datetime.now(timezone.utc).date(), **kw)
    finally:
        await db.close()


def test_the_brief_the_draft_and_the_managers_own_part_in_the_console(tmp_path):
    url = f"sqlite:///{tmp_path / 'coachbot.db'}"
    key = NotesCipher.generate_key()
    migrate(url)
    seeded = asyncio.run(_seed(url, key, rep=("alex", "Alex")))
    out = run_demo(tmp_path, ["/coach talk @alex", "no", "", "/quit"], env_extra={"COACHBOT_ENCRYPTION_KEY": key})
    first = out[out.index("@sam> /coach talk @alex"):out.index("@sam> no")]
    assert "New opportunities" in first and ": 4, 2, 1, 0 (from the rep's weekly pulse answers)." in first
    assert "“Acme <Corp> & *Co*” — Price (buyer confirmed)" in first  # the console shows typed text as typed
    assert "“Globex” — Timing (our read)" in first
    assert "Last plan with Alex" in first and "closed" in first
    step1 = out[out.index("@sam> no"):out.index("@sam> \n") if "@sam> \n" in out else None]
    assert "Draft — press Enter to use it as it is, or type your own answer:" in step1
    assert "your new opportunities were 4, 2, 1 and 0" in step1
    rest = out[out.index("Step 2 of 6"):]
    due, done = seeded["manager_due"], seeded["manager_done"]
    assert f"“weekly pipeline review” due {due.day} {due:%b %Y}, done {done.day} {done:%b %Y}" in rest
    assert "💡" not in out[out.index("Step 1 of 6"):out.index("Step 2 of 6")]  # the draft drew no hint


def test_a_pending_manager_gets_no_brief_in_the_console(tmp_path):
    url = f"sqlite:///{tmp_path / 'coachbot.db'}"
    key = NotesCipher.generate_key()
    migrate(url)
    asyncio.run(_seed(url, key, rep=("ben", "Ben"), confirmed=False))
    out = run_demo(tmp_path, ["/coach talk @ben", "no", "/quit"], env_extra={"COACHBOT_ENCRYPTION_KEY": key})
    assert "Once Ben accepts" in out
    for fact in ("Acme", "Globex", "pipeline review", "New opportunities", "Draft —"):
        assert fact not in out
