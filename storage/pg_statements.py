"""The hottest statement on PostgreSQL, run on psycopg itself rather than through SQLAlchemy."""
from __future__ import annotations

import asyncio
import select

from sqlalchemy.exc import DBAPIError


class PgStatements:
    """A few psycopg connections in autocommit for the hottest statement, each run in one round trip.

    Through the async engine, a flow step's version-checked UPDATE cost ~0.8 ms of this process's
    CPU — a pool checkout with a ping, greenlet hand-overs, BEGIN and COMMIT round trips — more than
    the rest of the step. One statement needs no transaction around it: here it is a single
    round trip of a statement psycopg prepares on each connection. Errors come out as SQLAlchemy's
    (`DBAPIError`), like everything else the storage raises.
    """

    SIZE = 8  # connections at most; a statement holds one for about a round trip

    def __init__(self, conninfo: str):
        self.conninfo = conninfo  # a libpq URL
        self._idle: list = []  # psycopg.AsyncConnection, the most recently used last
        self._turns = asyncio.Semaphore(self.SIZE)

    async def execute(self, sql: str, params: dict) -> int:
        """Run one statement (psycopg's `%(name)s` parameters) as its own transaction; the rows it changed."""
        import psycopg  # here, not at the top: on SQLite it is never loaded

        async with self._turns:
            conn = None
            try:
                conn = await self._connection()
                rowcount = (await conn.execute(sql, params, prepare=True)).rowcount
            except BaseException as exc:
                if conn is not None:
                    await conn.close()  # in an unknown state now: never reused
                if isinstance(exc, psycopg.Error):
                    raise DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
                raise
            self._idle.append(conn)
            return rowcount

    async def _connection(self):
        import psycopg

        while self._idle:
            conn = self._idle.pop()
            if not _ended_by_server(conn):
                return conn
            await conn.close()
        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def close(self) -> None:
        """Close the idle connections."""
        while self._idle:
            await self._idle.pop().close()


def _ended_by_server(conn) -> bool:
    # An idle connection has nothing to read unless the server ended it (a restart, an idle timeout):
    # found without a round trip, where the engine's pre-ping sends one.
    if conn.closed:
        return True
    if not hasattr(select, "poll"):  # Windows, where select() takes any descriptor
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    poller = select.poll()  # select() would fail on descriptors above 1023
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))
