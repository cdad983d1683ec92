""""I can't reach my database" only when it can't be reached: errors about what was sent are not outages."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.outage import UNAVAILABLE
from storage.db import async_url
from tests.support.evidence import attempted


async def _error_of(url: str, *statements: str, **params) -> Exception:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.begin() as conn:
            for sql in statements:
                await conn.execute(text(sql), params)
    except Exception as exc:  # noqa: BLE001 - the error is what is under test
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("the statements succeeded")


@pytest.mark.parametrize("statements,params", [
    (("CREATE TEMP TABLE v (x varchar(4))", "INSERT INTO v VALUES (:v)"), {"v": "far too long"}),
    (("CREATE TEMP TABLE n (x text)", "INSERT INTO n VALUES (:v)"), {"v": "a\x00b"}),  # PostgreSQL refuses NUL
    (("CREATE TEMP TABLE k (x int PRIMARY KEY)", "INSERT INTO k VALUES (1)", "INSERT INTO k VALUES (1)"), {}),
], ids=["too long", "NUL", "duplicate key"])
async def test_an_error_about_the_data_sent_is_not_an_outage(pg_url, statements, params):
    error = await _error_of(pg_url, *statements, **params)
    attempted("bad input reported as a database outage", not isinstance(error, UNAVAILABLE))
    assert not isinstance(error, UNAVAILABLE), repr(error)


async def test_a_database_that_does_not_answer_is_an_outage():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = await _error_of(f"postgresql://postgres@127.0.0.1:{port}/none", "SELECT 1")
    assert isinstance(error, UNAVAILABLE), repr(error)
