"""A pulse button's value comes back from the client: another rep's pulse, or a count no button offers,
changes nothing (the "6 or more…" form has its own checks, in test_scheduler)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.buttons import NOT_YOURS
from storage.models import Nudge, OpportunityCount, Person
from tests.bot.core.test_signals import ALEX, MON, SAM, day, team, world  # noqa: F401
from tests.support.evidence import attempted


async def rows(world, model):
    async with world.db.session() as s:
        return list((await s.execute(select(model))).scalars())


async def test_forged_pulse_presses_store_nothing_and_a_second_answer_replaces_the_first(world):
    await team(world)
    await day(world, MON)
    await world.at(MON + timedelta(days=3, hours=10))  # Thursday evening: the pulses have gone out
    pulses = {n.recipient_id: n for n in await rows(world, Nudge) if n.kind == "pulse" and n.status == "sent"}
    people = {p.platform_user_id: p for p in await rows(world, Person)}
    jo_pulse, alex_pulse = pulses[people["jo"].id], pulses[people["alex"].id]
    before = {(c.person_id, c.week_start, c.count) for c in await rows(world, OpportunityCount)}

    for who in (ALEX, SAM):  # Jo's pulse, pressed by another rep and by a manager
        out = await world.service.buttons.press(who, "pulse", f"{jo_pulse.id}:3")
        attempted("answering another person's pulse", getattr(out[0], "reason", "") == NOT_YOURS)
        assert getattr(out[0], "reason", "") == NOT_YOURS, out
    for option in ("-1", "٣", "501", "1e3", "5.0", " 4", "4 ", "+4", "0x10", "9" * 30):
        out = await world.service.buttons.press(ALEX, "pulse", f"{alex_pulse.id}:{option}")
        attempted("a pulse count no button offers", hasattr(out[0], "reason"))
        assert hasattr(out[0], "reason"), (option, out)
    assert {(c.person_id, c.week_start, c.count) for c in await rows(world, OpportunityCount)} == before

    await world.service.buttons.press(ALEX, "pulse", f"{alex_pulse.id}:3")
    await world.service.buttons.press(ALEX, "pulse", f"{alex_pulse.id}:2")
    mine = [(c.count, c.source) for c in await rows(world, OpportunityCount)
            if c.person_id == people["alex"].id and c.week_start == MON.date()]
    assert mine == [(2, "pulse")], mine
