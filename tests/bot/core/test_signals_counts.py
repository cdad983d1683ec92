"""How the signals, the brief and the target bars count a rep's weeks (issue 17), through the real service and
housekeeping on SQLite and PostgreSQL: once the CRM reports every new deal a finished week without one is 0, the
week that has just begun is not a week yet, one CRM deal never replaces a rep's own pulse answer, and a
dismissed decline stays dismissed when an older week is answered late."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.core.commands import parse
from bot.core.crm import NewDeal, NewDeals
from flows.outputs import Prompt
from storage import opportunities
from storage.models import OpportunityCount, Person
from tests.bot.core.test_signals import ALEX, MON, SAM, day, team, world  # noqa: F401 (the fixture)

NOV2, NOV9, NOV16, NOV23 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)


async def alex(world) -> Person:
    async with world.db.session() as s:
        return (await s.execute(select(Person).where(Person.platform_user_id == "alex"))).scalar_one()


def falls_told(world) -> list[str]:
    """Sam's signals about Alex's new opportunities: alone, or with the day's other news (a message with
    parts goes on over the console lines that follow it; the weekly digest alone is no signal)."""
    messages: list[str] = []
    for line in world.lines:
        if line.startswith("📬"):
            messages.append(line)
        elif messages:
            messages[-1] += "\n" + line
    return [m for m in messages if "to @sam:" in m.splitlines()[0] and "A signal about Alex" in m
            and "new opportunities in" in m]


async def crm_team(world, *deals: tuple[date, int]) -> None:
    """Sam's workspace turns 'the CRM reports new deals' on (Monday 23 Nov) and Alex's weeks are CRM deals only."""
    await team(world, falling_weeks=None)  # the default: three falls
    out = await world.service.command(SAM, parse("settings crm-new-deals on"))
    assert "the CRM reports new deals: on" in out[0].text, out
    a = await alex(world)
    async with world.db.session() as s:
        await s.execute(OpportunityCount.__table__.delete())  # team()'s pulse answers
        n = 0
        for week, count in deals:
            for _ in range(count):
                n += 1
                await opportunities.add_crm_deal(s, workspace_id=a.workspace_id, person_id=a.id, deal_key=f"crm:{n}",
                                                 week_start=week, now=MON)


async def test_a_crm_rep_whose_deals_stop_is_told_with_a_zero_week_and_the_brief_shows_zero(world):
    await crm_team(world, (NOV2, 5), (NOV9, 3), (NOV16, 1))
    monday = MON + timedelta(days=7)  # 30 Nov: the week of 23 Nov ended without a single new deal
    await day(world, monday)
    told = falls_told(world)
    assert len(told) == 1, world.sent_to("sam")
    assert ("Alex: 5, 3, 1, 0 new opportunities in the four weeks of 2 Nov – 23 Nov 2026 (from the CRM)."
            in told[0])
    mine = (await world.service.command(ALEX, parse("signals")))[0].text
    assert "your new opportunities were 5, 3, 1, 0" in mine
    talk = await world.service.command(SAM, parse("talk @alex"))
    brief = [line for o in talk if isinstance(o, Prompt) for section in o.notes for line in section.lines]
    assert "Weeks of 2 Nov – 23 Nov 2026: 5, 3, 1, 0 (from the CRM)." in brief, brief
    assert not any("no answer" in line for line in brief)


async def test_the_first_crm_deal_of_a_week_on_its_monday_morning_is_not_a_whole_week(world):
    await crm_team(world, (NOV2, 5), (NOV9, 4), (NOV16, 3))
    a = await alex(world)
    deal = await NewDeals(world.db, world.clock)(NewDeal(key="crm:monday", owner=a.platform_user_id,
                                                         created_at=MON - timedelta(hours=1)))
    assert deal.status == 201, deal
    await day(world, MON)  # Monday 23 Nov: 5, 4, 3 is two falls, and the week of the one deal has only begun
    assert falls_told(world) == []
    assert "Nothing right now" in (await world.service.command(ALEX, parse("signals")))[0].text
    await day(world, MON + timedelta(days=7))  # the week ended with that one deal: 5, 4, 3, 1 is told now
    (told,) = falls_told(world)
    assert "Alex: 5, 4, 3, 1 new opportunities in the four weeks of 2 Nov – 23 Nov 2026 (from the CRM)." in told


async def test_one_crm_deal_never_replaces_the_reps_own_answer_while_the_crm_does_not_report_every_deal(world):
    await team(world, falling_weeks=None)  # crm-new-deals is off: Alex answers the pulse
    a = await alex(world)
    async with world.db.session() as s:
        for week, count in ((NOV2, 6), (NOV9, 5), (NOV16, 4), (NOV23, 4)):
            await opportunities.record_pulse(s, workspace_id=a.workspace_id, person_id=a.id, week_start=week,
                                             count=count, now=MON)
    deal = await NewDeals(world.db, world.clock)(NewDeal(key="crm:D-1", owner=a.platform_user_id, created_at=MON))
    assert deal.status == 201, deal
    await day(world, MON)
    assert falls_told(world) == []  # not "6, 5, 4, 1": Alex said 4, and the one deal is one of them
    assert "Nothing right now" in (await world.service.command(ALEX, parse("signals")))[0].text


async def test_a_dismissed_decline_stays_dismissed_when_an_older_week_is_answered_late(world):
    await team(world)  # Alex 4, 2, 1, 0 over 2..23 Nov; two falls are enough
    await day(world, MON)
    assert len(falls_told(world)) == 1
    _, action, value = world.sender.buttons[world.button("Dismiss")]
    out = await world.service.buttons.press(SAM, action, value)
    assert out[0].text.startswith("Dismissed — I won't raise this about Alex again.")
    a = await alex(world)
    async with world.db.session() as s:  # Alex answers the older pulse of 26 Oct late: the same decline, longer
        await opportunities.record_pulse(s, workspace_id=a.workspace_id, person_id=a.id,
                                         week_start=date(2026, 10, 26), count=6, now=MON)
    for later in range(1, 4):
        await day(world, MON + timedelta(days=later))
    assert len(falls_told(world)) == 1
    assert "crosses a signal threshold" in (await world.service.command(SAM, parse("signals")))[-1].text
    # A new decline after a recovery is a new signal: 5 on 30 Nov, then 3 and 2.
    async with world.db.session() as s:
        for week, count in ((date(2026, 11, 30), 5), (date(2026, 12, 7), 3), (date(2026, 12, 14), 2)):
            await opportunities.record_pulse(s, workspace_id=a.workspace_id, person_id=a.id, week_start=week,
                                             count=count, now=MON)
    await day(world, MON + timedelta(days=22))  # Tuesday 15 Dec
    told = falls_told(world)
    assert len(told) == 2 and "Alex: 5, 3, 2 new opportunities in the three weeks of 30 Nov – 14 Dec 2026" in told[1]


async def test_the_target_bars_show_a_week_without_a_crm_deal_as_zero(world):
    from flows.engine import Answer
    from tests.bot.scheduler.test_scheduler import TALK

    await crm_team(world, (NOV23, 6))
    answers = list(TALK)
    answers[6] += "\ntarget: 5 new opportunities a week"
    await world.service.command(SAM, parse("talk @alex"))
    for value in answers:
        await world.service.answer(SAM, Answer(value))
    await world.at(MON + timedelta(days=21, hours=1))  # three weeks of Alex's check-ins; no deal in the second
    shown = "\n".join(world.sent_to("alex") + world.lines)
    assert "New opportunities a week against the target of 5:" in shown
    assert "wk 23 Nov  ██████████ 6/5 ✓" in shown
    assert "wk 30 Nov  ░░░░░░░░░░ 0/5" in shown and "—/5 (no answer)" not in shown


async def test_a_talk_prepared_from_a_signal_still_opens_with_it_once_an_older_week_is_answered(world):
    await team(world)
    await day(world, MON)
    a = await alex(world)
    async with world.db.session() as s:
        await opportunities.record_pulse(s, workspace_id=a.workspace_id, person_id=a.id,
                                         week_start=date(2026, 10, 26), count=6, now=MON)
    _, action, value = world.sender.buttons[world.button("Prepare a conversation with Alex")]
    out = await world.service.buttons.press(SAM, action, value)
    notes = [section for o in out if isinstance(o, Prompt) for section in o.notes]
    assert notes and notes[0].heading == "What prompted this talk", notes
    assert notes[0].lines == ("Alex: 6, 4, 2, 1, 0 new opportunities in the five weeks of 26 Oct – 23 Nov 2026 "
                              "(from their weekly pulse answers).",)
