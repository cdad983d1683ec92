"""Replicas that start together on one PostgreSQL each run the migrations; exactly one does the work."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, text

from storage.db import migrate, newest_revision, sync_url


def test_concurrent_migrations_of_a_fresh_database_all_succeed(pg_url):
    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(migrate, pg_url) for _ in range(4)]:
            future.result()  # raises if any replica's migration failed
    engine = create_engine(sync_url(pg_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [newest_revision()]
    finally:
        engine.dispose()
