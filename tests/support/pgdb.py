"""Throwaway PostgreSQL databases for tests and benchmarks."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_pg_database(server: str = PG_ADMIN_URL, prefix: str = "coachbot_t"):
    """Create an empty PostgreSQL database on `server`, yield its URL, drop it afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
