"""Two `team add` for the same rep at the same moment, on PostgreSQL: one invitation stands, the other
request is told so (not an error), and the rep is asked once."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.core.commands import parse
from storage.models import Nudge, Person, ReportingInvite
from tests.bot.core.test_reporting_lines import ALEX, MON, SAM, said


async def met(service, *actors) -> dict[str, int]:
    return {a.user: (await service.identify(a)).id for a in actors}


async def invitations(service) -> tuple[list[ReportingInvite], list[Nudge]]:
    async with service.db.session() as s:
        return (list((await s.execute(select(ReportingInvite))).scalars()),
                list((await s.execute(select(Nudge).where(Nudge.kind == "line_invite"))).scalars()))


async def test_concurrent_adds_make_one_invitation(pg_url, service_on, clock):
    clock.current = MON
    first, second = service_on(pg_url), service_on(pg_url)  # two replicas: two engines, two sessions
    await met(first, SAM, ALEX)
    outs = await asyncio.gather(*(s.command(SAM, parse("team add @alex")) for s in (first, second)))
    texts = sorted(said(o) for o in outs)
    invites, asked = await invitations(first)
    assert len(invites) == 1 and len(asked) == 1 and invites[0].status == "pending"
    assert sum("Invited Alex" in t for t in texts) == 1
    assert any("already has a pending invitation from Sam" in t or "hasn't answered" in t for t in texts)


async def test_the_request_that_loses_the_race_is_told_who_invited_first(pg_url, service_on, clock):
    clock.current = MON
    first, second = service_on(pg_url), service_on(pg_url)
    ids = await met(first, SAM, ALEX)
    async with first.db.session() as s:  # the first request has invited Alex but not committed yet
        sam, alex = await s.get(Person, ids["sam"]), await s.get(Person, ids["alex"])
        assert "Invited Alex" in await first.lines.invite(s, sam, alex, MON)
        racing = asyncio.create_task(second.command(SAM, parse("team add @alex")))
        await asyncio.sleep(0.5)
        assert not racing.done()  # it found no invitation yet, and waits on the unique index
    out = await racing
    assert "Alex already has a pending invitation from Sam" in said(out)
    invites, asked = await invitations(first)
    assert len(invites) == 1 and len(asked) == 1
