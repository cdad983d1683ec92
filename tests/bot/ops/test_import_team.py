"""`coachbot import-team FILE.csv`: the organisation's own data confirms reporting lines — all rows or none,
each bad row named by its line number and reason, and no cycle gets in."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update

from bot.core.commands import parse
from bot.core.identity import Actor
from bot.core.service import CoachService
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import Person, ReportingChange
from tests.bot.ops.test_data_rights import run_cli
from tests.support.clock import FixedClock
from tests.support.evidence import attempted

MON = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
KEY = NotesCipher.generate_key()


async def meet(url: str, *users: str) -> None:
    migrate(url)
    db = Database(url)
    coach = CoachService(db, NotesCipher(KEY), FixedClock(MON))
    for user in users:
        await coach.command(Actor("console", "demo", user, user.title()), parse("team"))
    async with db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == "alex").values(email="Alex@Example.com"))
    await db.close()


async def managers(url: str) -> dict[str, str | None]:
    db = Database(url)
    async with db.session() as s:
        everyone = {p.id: p for p in (await s.execute(select(Person))).scalars()}
        hows = [c.how for c in (await s.execute(select(ReportingChange))).scalars()]
    await db.close()
    by_id = {p.id: p.platform_user_id for p in everyone.values()}
    return {p.platform_user_id: by_id.get(p.manager_id) for p in everyone.values()} | {"_log": ",".join(hows)}


async def test_a_clean_file_confirms_every_line(sqlite_url, tmp_path):
    await meet(sqlite_url, "dana", "sam", "alex", "jo")
    csv = tmp_path / "team.csv"
    csv.write_text("workspace,rep,manager\ndemo,sam,dana\ndemo,alex@example.com,sam\ndemo,jo,sam\n")
    done = run_cli("import-team", str(csv), env={"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY})
    assert done.returncode == 0, done.stderr
    assert "3 reporting line(s) confirmed" in done.stdout
    assert await managers(sqlite_url) == {"dana": None, "sam": "dana", "alex": "sam", "jo": "sam",
                                          "_log": "import,import,import"}


async def test_bad_rows_are_named_and_nothing_is_half_imported(sqlite_url, tmp_path):
    await meet(sqlite_url, "dana", "sam", "alex", "jo")
    csv = tmp_path / "team.csv"
    csv.write_text("workspace,rep,manager\n"
                   "demo,sam,dana\n"          # fine on its own
                   "demo,dana,alex\n"         # fine on its own...
                   "demo,alex,sam\n"          # ...but with the two above: alex > dana > sam > alex
                   "demo,ghost,sam\n"         # nobody coachbot knows
                   "nowhere,jo,sam\n"         # no such workspace
                   "demo,jo,\n")              # no manager
    out = run_cli("import-team", str(csv), env={"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY})
    attempted("importing a reporting cycle or unknown people", out.returncode != 0)
    assert out.returncode == 1 and "Nothing was imported" in out.stderr
    assert "line 4: sam reports to alex" in out.stderr and "cycle" in out.stderr
    assert "line 5: the rep “ghost” hasn't used coachbot" in out.stderr
    assert "line 6: no workspace “nowhere”" in out.stderr and "line 7: the manager is empty" in out.stderr
    assert "line 2" not in out.stderr and "line 3" not in out.stderr
    assert await managers(sqlite_url) == {"dana": None, "sam": None, "alex": None, "jo": None, "_log": ""}

    missing = tmp_path / "bad.csv"
    missing.write_text("rep,boss\nalex,sam\n")
    out = run_cli("import-team", str(missing), env={"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY})
    assert out.returncode == 1 and "line 1: the header needs the columns workspace, rep, manager" in out.stderr
