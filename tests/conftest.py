"""Shared fixtures: a fixed clock, SQLite files, and a fresh PostgreSQL database per test.

PostgreSQL tests skip with a reason when no server answers, unless COACHBOT_REQUIRE_POSTGRES=1
(set by .ci/run), which turns that skip into a failure so CI always runs them.
"""
from __future__ import annotations

import os
import shutil
import pytest

from tests.support.clock import FixedClock
from tests.support.pgdb import fresh_pg_database

PG_ADMIN_URL = os.environ.get("COACHBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("COACHBOT_REQUIRE_POSTGRES") == "1"


def _pg_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}: {str(exc).strip()[:200]}"


@pytest.fixture(scope="session")
def pg_server() -> str:
    problem = _pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"{problem} (COACHBOT_REQUIRE_POSTGRES=1, so this is a failure, not a skip)")
        pytest.skip(problem)
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str):
    """A brand-new empty PostgreSQL database, dropped after the test."""
    with fresh_pg_database(pg_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'coachbot.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'coachbot.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def service_on(clock):
    """Make coach services on a database URL (migrated on first use), sharing one notes key and the
    test's clock; every database they opened is closed after the test."""
    from bot.core.service import CoachService
    from storage.crypto import NotesCipher
    from storage.db import Database, migrate

    key = NotesCipher.generate_key()
    migrated: set[str] = set()
    made = []

    def make(url: str) -> CoachService:
        if url not in migrated:
            migrate(url)
            migrated.add(url)
        made.append(Database(url))
        return CoachService(made[-1], NotesCipher(key), clock)

    yield make
    for db in made:
        await db.close()


@pytest.fixture(scope="module")
def fake():
    """A fake Slack Web API on 127.0.0.1 for one test module (modules that need users override it)."""
    from tests.support.fakes.slack_api import FakeSlack

    f = FakeSlack().start()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def teams():
    """A strict double of the Teams service on 127.0.0.1 for one test module (it checks cards with the
    adaptivecards npm parser, so it needs Node.js: skipped without it, a failure in CI)."""
    from tests.support.fakes.teams_connector import FakeTeams
    from tests.support.playground_client import REQUIRED, problem

    missing = "node is not installed (the Teams double checks cards with the adaptivecards npm parser)" \
        if shutil.which("node") is None else problem()
    if missing:
        if REQUIRED:
            pytest.fail(f"{missing} (COACHBOT_REQUIRE_PLAYGROUND=1)")
        pytest.skip(missing)
    t = FakeTeams().start()
    yield t
    t.stop()


@pytest.fixture(autouse=True)
def slack_accepted_everything(request):
    """Fail a test after which the strict Slack double holds a refusal or a warning nobody expected.

    A background DM that Slack refused (invalid blocks, a missing scope, an expired trigger) only
    reaches a log line in the app, so without this a broken payload could hide behind a green test.
    Tests that break a rule on purpose take what they caused with fake.take_refusals().
    """
    # Asked for before the test runs, so the double is torn down after this check, not before it.
    fake = request.getfixturevalue("fake") if "fake" in request.fixturenames else None
    yield
    if fake is None:
        return
    fake.settle()  # let work the app did after its last answer reach the double
    refusals, warnings = fake.take_refusals(), fake.take_warnings()
    assert not refusals, "Slack refused calls during this test:\n" + "\n".join(map(str, refusals))
    assert not warnings, "Slack noted warnings during this test:\n" + "\n".join(map(str, warnings))


@pytest.fixture(scope="module")
def served(fake, tmp_path_factory):
    """A `coachbot serve` on a SQLite file for one test module, talking to its fake Slack
    (modules that need other settings override it)."""
    from tests.support.served import Served

    s = Served(fake, tmp_path_factory.mktemp("served"))
    yield s
    s.stop()


def pytest_terminal_summary(terminalreporter):
    """Print the security evidence: how many attacks of each kind were tried and refused."""
    from tests.support import evidence

    if evidence.ATTEMPTS:
        terminalreporter.section("security evidence")
        for line in evidence.lines():
            terminalreporter.write_line(line)
    from tests.support.fakes import teams_connector

    if teams_connector.LARGEST[0]:
        terminalreporter.section("Teams message sizes")
        terminalreporter.write_line(f"largest activity the Teams double accepted: {teams_connector.LARGEST[0]:,} bytes "
                                    f"(the double refuses over {teams_connector.SIZE_LIMIT:,})")
