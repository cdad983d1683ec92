"""The workspace setting "the CRM reports new deals": admins only, on/off, and it stops the pulse question."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.core.commands import parse
from storage import opportunities
from storage.models import Person
from tests.bot.core.test_service import ALEX, SAM
from tests.support.lines import confirm_line


@pytest.fixture
async def service(db_url, clock):
    from bot.core.service import CoachService
    from storage.crypto import NotesCipher
    from storage.db import Database, migrate
    migrate(db_url)
    svc = CoachService(Database(db_url), NotesCipher(NotesCipher.generate_key()), clock)
    yield svc
    await svc.db.close()


async def reps_asked(service) -> set[str]:
    async with service.db.session() as s:
        return {p.platform_user_id for p in await opportunities.reps_to_pulse(s)}


async def test_an_admin_turns_the_crm_setting_on_and_the_pulse_question_stops(service):
    await confirm_line(service, SAM, ALEX)
    assert "U0ALEX" in await reps_asked(service)
    refused = await service.command(ALEX, parse("settings crm-new-deals on"))
    assert "Only a workspace admin" in refused[0].reason
    async with service.db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == "U0SAM").values(is_admin=True))
    bad = await service.command(SAM, parse("settings crm-new-deals maybe"))
    assert bad[0].text.startswith("Say on or off") and "U0ALEX" in await reps_asked(service)
    on = await service.command(SAM, parse("settings crm-new-deals on"))
    assert "the CRM reports new deals: on" in on[0].text
    assert "U0ALEX" not in await reps_asked(service)
    await service.command(SAM, parse("settings crm-new-deals off"))
    assert "U0ALEX" in await reps_asked(service)
