"""What a database outage looks like to the code, and what the user is told while it lasts."""
from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout

# What a database restart, a failover or an exhausted pool raises on the way to a listener (the
# hot path of a flow step uses sqlite3 directly, so SQLite's own "locked" or I/O errors too). Not
# every DBAPIError: a DataError or IntegrityError is about what was sent, and saying the database is
# down would send the person to retry what can never succeed.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, OSError, asyncio.TimeoutError, sqlite3.OperationalError)
DB_DOWN = ("I can't reach my database right now, so nothing was saved. Please try again in a moment — "
           "everything you answered before is kept.")
