"""SQLModel tables, engine and session setup, repositories and Alembic migrations."""
