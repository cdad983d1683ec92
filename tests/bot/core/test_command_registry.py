"""One list of /coach subcommands: the service answers every one of them, and nothing else."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core.commands import COMMANDS, parse
from bot.core.identity import Actor
from bot.core.service import CoachService
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from tests.support.clock import FixedClock


@pytest.fixture
async def service(sqlite_url):
    migrate(sqlite_url)
    db = Database(sqlite_url)
    yield CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(datetime(2026, 11, 23, 15, tzinfo=timezone.utc)))
    await db.close()


@pytest.mark.parametrize("name", sorted(COMMANDS))
async def test_every_registered_command_is_answered_by_its_own_handler(service, name):
    out = await service.command(Actor("console", "demo", "sam", "Sam"), parse(name))
    assert out and "I don't know" not in getattr(out[0], "text", "")


async def test_a_command_nobody_registered_is_named_back_with_the_list(service):
    out = await service.command(Actor("console", "demo", "sam", "Sam"), parse("tlak @alex"))
    assert out[0].tone == "error" and "I don't know “tlak”" in out[0].text
    assert all(f"/coach {spec.syntax}" in out[0].text for spec in COMMANDS.values())
