"""`coachbot import-team FILE.csv`: the organisation's own data confirms reporting lines — all rows or none,
each bad row named by its line number and reason, and no cycle gets in; someone named by user id whom
coachbot hasn't met is added, and everyone whose line changed is told through the outbox."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select, update

from bot.core.commands import parse
from bot.core.identity import Actor
from bot.core.service import CoachService
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import Nudge, Person, ReportingChange
from tests.bot.ops.test_data_rights import run_cli
from tests.support.clock import FixedClock
from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack
from tests.support.served import TEST_KEY, Served, eventually, flat, scalar

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
    assert "3 reporting line(s) confirmed, 0 already so" in done.stdout
    assert await managers(sqlite_url) == {"dana": None, "sam": "dana", "alex": "sam", "jo": "sam",
                                          "_log": "import,import,import"}


async def test_bad_rows_are_named_and_nothing_is_half_imported(sqlite_url, tmp_path):
    await meet(sqlite_url, "dana", "sam", "alex", "jo")
    csv = tmp_path / "team.csv"
    csv.write_text("workspace,rep,manager\n"
                   "demo,sam,dana\n"          # fine on its own
                   "demo,dana,alex\n"         # fine on its own...
                   "demo,alex,sam\n"          # ...but with the two above: alex > dana > sam > alex
                   "demo,ghost@example.com,sam\n"  # an email nobody coachbot knows has
                   "nowhere,jo,sam\n"         # no such workspace
                   "demo,jo,\n"               # no manager
                   "demo,newbie,dana\n")      # someone new: fine, but nothing is half imported
    out = run_cli("import-team", str(csv), env={"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY})
    attempted("importing a reporting cycle or unknown people", out.returncode != 0)
    assert out.returncode == 1 and "Nothing was imported" in out.stderr
    assert "line 4: “sam” reports to “alex” (directly or further up)" in out.stderr and "cycle" in out.stderr
    assert "line 5: the rep “ghost@example.com” isn't an email coachbot knows" in out.stderr
    assert "line 6: no workspace “nowhere”" in out.stderr and "line 7: the manager is empty" in out.stderr
    assert "line 2" not in out.stderr and "line 3" not in out.stderr and "line 8" not in out.stderr
    assert await managers(sqlite_url) == {"dana": None, "sam": None, "alex": None, "jo": None, "_log": ""}

    missing = tmp_path / "bad.csv"
    missing.write_text("rep,boss\nalex,sam\n")
    out = run_cli("import-team", str(missing), env={"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY})
    assert out.returncode == 1 and "line 1: the header needs the columns workspace, rep, manager" in out.stderr


async def slack_people(url: str, *users: str) -> None:
    """A Slack workspace where these people have used coachbot (named after their ids' tails)."""
    migrate(url)
    db = Database(url)
    coach = CoachService(db, NotesCipher(TEST_KEY), FixedClock(MON))
    for user in users:
        await coach.command(Actor("slack", "T0001", user, user[2:].title()), parse("team"))
    await db.close()


async def queued(url: str) -> list[tuple[str, str]]:
    """The queued messages: (recipient's user id, the words they will read)."""
    db = Database(url)
    async with db.session() as s:
        found = (await s.execute(select(Nudge, Person).join(Person, Person.id == Nudge.recipient_id)
                                 .where(Nudge.kind == "message").order_by(Nudge.id))).all()
    await db.close()
    return [(p.platform_user_id, NotesCipher(TEST_KEY).decrypt(json.loads(n.payload)["enc"])) for n, p in found]


def test_people_not_met_yet_are_added_and_everyone_concerned_hears_it_on_slack(db_url, tmp_path):
    import asyncio

    asyncio.run(slack_people(db_url, "U0DANA", "U0SAM", "U0JO", "U0OLGA"))
    first = tmp_path / "before.csv"
    first.write_text("workspace,rep,manager\nT0001,U0JO,U0OLGA\n")  # Jo reported to Olga before
    env = {"DATABASE_URL": db_url, "COACHBOT_ENCRYPTION_KEY": TEST_KEY}
    assert run_cli("import-team", str(first), env=env).returncode == 0
    before = {to for to, _ in asyncio.run(queued(db_url))}
    assert before == {"U0JO", "U0OLGA"}
    csv = tmp_path / "team.csv"
    csv.write_text("workspace,rep,manager,rep_name,manager_name\n"
                   "T0001,U0SAM,U0DANA,,\n"
                   "T0001,U0NEWREP,U0SAM,Nia Newrep,\n"   # not met yet: added, with the file's name
                   "T0001,U0JO,U0SAM,,\n"                 # moves from Olga to Sam: Olga is told too
                   "T0001,U0JO,U0SAM,,\n")                # the same line twice is no change
    done = run_cli("import-team", str(csv), env=env)
    assert done.returncode == 0, done.stderr
    assert "3 reporting line(s) confirmed, 1 already so" in done.stdout
    assert "1 people in the file hadn't used coachbot yet" in done.stdout and "7 message(s) queued" in done.stdout
    got = asyncio.run(managers(db_url))
    assert {k: got[k] for k in ("U0SAM", "U0NEWREP", "U0JO", "U0DANA")} == {
        "U0SAM": "U0DANA", "U0NEWREP": "U0SAM", "U0JO": "U0SAM", "U0DANA": None}
    assert got["_log"] == "import,import,import,import"
    told = [m for m in asyncio.run(queued(db_url)) if m[0] not in before or "Sam" in m[1]]
    assert ("U0NEWREP", "You now report to Sam on coachbot (from your organisation's data).") in told
    assert ("U0SAM", "Nia Newrep now reports to you on coachbot; you'll see their plans, check-ins and "
                     "retrospectives from here on.") in told
    assert any(to == "U0OLGA" and "Jo now reports to Sam" in text for to, text in told)
    assert any(to == "U0DANA" and text.startswith("Sam now reports to you") for to, text in told)

    again = run_cli("import-team", str(csv), env=env)  # the same file again: nothing changes, nobody is told twice
    assert "0 reporting line(s) confirmed, 4 already so" in again.stdout and "queued" not in again.stdout

    fake = FakeSlack().start()
    served = Served(fake, tmp_path, database_url=db_url)
    try:
        wanted = {to: text for to, text in told}
        for to, text in wanted.items():
            fake.wait_for("chat.postMessage", timeout=20,
                          where=lambda c, to=to, text=text: c.body.get("channel") == to and text in flat(c.body))
        assert eventually(lambda: scalar(served, "SELECT count(*) FROM nudges WHERE kind = 'message' "
                                                 "AND status = 'sent'") == 9)
    finally:
        served.stop()
        fake.stop()


async def test_team_sync_outside_slack_points_to_the_import(sqlite_url):
    migrate(sqlite_url)
    db = Database(sqlite_url)
    coach = CoachService(db, NotesCipher(KEY), FixedClock(MON))
    out = await coach.command(Actor("console", "demo", "dana", "Dana"), parse("team sync"))
    await db.close()
    assert out[0].tone == "error" and "works in Slack" in out[0].text and "coachbot import-team" in out[0].text


async def test_an_erased_person_cannot_be_named_back_into_a_line(sqlite_url, tmp_path):
    """`coachbot forget` leaves a row named erased-<id>: a file (or a CRM hook) naming that id must not
    give the erased person a manager or reps again."""
    await meet(sqlite_url, "dana", "sam", "jo")
    env = {"DATABASE_URL": sqlite_url, "COACHBOT_ENCRYPTION_KEY": KEY}
    assert run_cli("forget", "sam", "--yes", env=env).returncode == 0
    erased = [u for u in await managers(sqlite_url) if u.startswith("erased-")]
    assert len(erased) == 1
    for row in (f"demo,{erased[0]},dana", f"demo,jo,{erased[0]}"):
        csv = tmp_path / "team.csv"
        csv.write_text(f"workspace,rep,manager\n{row}\n")
        done = run_cli("import-team", str(csv), env=env)
        lines = await managers(sqlite_url)
        attempted("import-team naming an erased person's id", done.returncode != 0 and lines[erased[0]] is None
                  and lines["jo"] is None)
        assert done.returncode != 0 and "erased" in done.stderr, (done.stdout, done.stderr)
        assert lines[erased[0]] is None and lines["jo"] is None
