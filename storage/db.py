"""Engine and session setup for SQLite (default) and PostgreSQL, plus schema migration."""
from __future__ import annotations

import asyncio
import functools
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Callable, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.pg_statements import PgStatements

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def sync_url(url: str) -> URL:
    """The URL for synchronous use (Alembic): plain sqlite, PostgreSQL through psycopg 3."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername.startswith("sqlite"):
        u = u.set(drivername="sqlite")
    return u


def async_url(url: str) -> URL:
    """The URL for the async engine: aiosqlite for SQLite, psycopg 3's async mode for PostgreSQL."""
    u = sync_url(url)
    return u.set(drivername="sqlite+aiosqlite") if u.drivername == "sqlite" else u


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL or in-memory SQLite)."""
    u = sync_url(url)
    if u.drivername != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def dialect_insert(s: AsyncSession, table):
    """An INSERT for `table` in the session's dialect, so callers can add ON CONFLICT clauses."""
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


async def insert_if_absent(s: AsyncSession, row, keys: list[str]) -> None:
    """Insert `row` unless a row with the same unique `keys` exists, even one another transaction is adding.

    For first sightings (a workspace, a person) that two requests can make at once: the loser of
    that race finds the winner's row instead of failing on the unique constraint.
    """
    table = type(row).__table__
    values = {c.name: getattr(row, c.name) for c in table.columns if not c.primary_key}
    await s.execute(dialect_insert(s, table).values(values).on_conflict_do_nothing(index_elements=keys))


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the database and survives an application crash; only an OS
    # crash or power loss can drop the last commits. It saves an fsync on every commit.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class SqliteWorker:
    """A second sqlite3 connection for the hottest path, used on the event loop itself when it can.

    Through aiosqlite every statement, fetch and commit is a round trip between the event loop and
    a thread, plus a hand-over of the GIL each way; a flow step made ten of them, which cost more
    than the work. A read and a conditional write of one row on a local file take microseconds, so
    they run right here. What could block is kept off the loop: the connection never waits for a
    lock (busy_timeout 0) — when another writer holds it, the work is redone on a worker thread
    that may wait — and it never checkpoints the WAL itself (fsyncs); the worker does that.
    """

    CHECKPOINT_EVERY = 500  # writes between two WAL checkpoints run on the worker thread

    def __init__(self, path: Path):
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coachbot-sqlite")
        self._here: sqlite3.Connection | None = None
        self._there: sqlite3.Connection | None = None
        self._writes = 0

    def _connect(self, *, on_loop: bool) -> sqlite3.Connection:
        # Autocommit: each statement is its own transaction unless the work opens one.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        _sqlite_pragmas(conn, None)
        if on_loop:
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _on_worker(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._there is None:
            self._there = self._connect(on_loop=False)
        return work(self._there)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` (autocommit; it may run twice, so only its last statement may write)."""
        if self._here is None:
            self._here = self._connect(on_loop=True)
        changes = self._here.total_changes
        try:
            result = work(self._here)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._on_worker, work)
        if self._here.total_changes != changes:
            self._writes += 1
            if self._writes % self.CHECKPOINT_EVERY == 0:
                self._executor.submit(self._on_worker, _checkpoint)
        return result

    def close(self) -> None:
        """Close both connections and stop the thread (again is harmless)."""
        def close_worker_connection() -> None:
            if self._there is not None:
                self._there.close()
                self._there = None
        if self._there is not None:
            self._executor.submit(close_worker_connection).result()
        self._executor.shutdown(wait=True)
        if self._here is not None:
            self._here.close()
            self._here = None


@functools.lru_cache(maxsize=64)
def _text(sql: str):
    """The statement object for a raw read, made once per text (the hot paths ask for the same few)."""
    return text(sql)


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


class Database:
    """One database: an async engine for the app and a way to bring its schema up to date."""

    def __init__(self, url: str, *, pool_size: int = 10):
        self.url = url
        self.is_sqlite = sync_url(url).drivername == "sqlite"
        kwargs = {} if self.is_sqlite else {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True}
        self.engine: AsyncEngine = create_async_engine(async_url(url), **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite allows one writer at a time and makes the others sleep-and-retry with growing
        # back-off, which turns a burst of requests into second-long waits. Queuing transactions
        # in-process instead keeps them short and in order. (SQLite is the one-process default;
        # PostgreSQL, used for replicas, takes concurrent transactions as they come.)
        self._sqlite_turn = asyncio.Lock() if self.is_sqlite else None
        path = sqlite_path(url)
        # An in-memory database exists once per connection, so it cannot have a second one.
        self.sqlite_worker = SqliteWorker(path) if path is not None else None
        self.pg_statements = None if self.is_sqlite else PgStatements(
            sync_url(url).set(drivername="postgresql").render_as_string(hide_password=False))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        if self._sqlite_turn is None:
            async with self._sessions() as s:
                async with s.begin():
                    yield s
            return
        async with self._sqlite_turn:
            async with self._sessions() as s:
                async with s.begin():
                    yield s

    async def quick_rows(self, sql: str, params: dict) -> list:
        """The rows of one small raw read (a hot path's check): on SQLite the loop's own connection, off the
        transactions' queue; else a pooled connection. Every row is fetched, which finishes the statement,
        so no read transaction stays open (one would keep the WAL from being checkpointed)."""
        if self.sqlite_worker is not None:
            return await self.sqlite_worker.run(lambda conn: conn.execute(sql, params).fetchall())
        async with self.engine.connect() as conn:
            return list((await conn.execute(_text(sql), params)).all())

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable" for a health check
            return False

    async def readiness(self) -> str | None:
        """None when the database answers and is at this code's newest migration, else what is wrong."""
        try:
            async with self.engine.connect() as conn:
                current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            return f"database unavailable ({exc.__class__.__name__})"
        head = newest_revision()
        return None if current == head else f"schema at {current}, this code needs {head}: run coachbot migrate"

    async def migrate(self) -> None:
        """Bring the schema up to the newest migration (runs Alembic in a worker thread)."""
        await asyncio.to_thread(migrate, self.url)

    async def close(self) -> None:
        """Release pooled connections."""
        if self.sqlite_worker is not None:
            await asyncio.to_thread(self.sqlite_worker.close)
        if self.pg_statements is not None:
            await self.pg_statements.close()
        await self.engine.dispose()


def alembic_config(url: str):
    """An Alembic config pointing at our migrations and at `url`."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


@functools.lru_cache(maxsize=1)
def newest_revision() -> str:
    """The head revision of our migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` (creating the SQLite file if needed)."""
    from alembic import command

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(url)
    engine = create_engine(sync_url(url))
    if path is not None:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Replicas starting together would otherwise race to create the same tables; the
                # lock makes one migrate while the others wait and then find the schema current.
                conn.execute(text("SELECT pg_advisory_xact_lock(7262240)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()
