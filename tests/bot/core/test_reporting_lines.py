"""Reporting lines people can trust: nobody becomes someone's manager alone, a pending manager sees and
sends nothing, invitations can be accepted, declined, withdrawn and expire, admins set lines, no cycles."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from bot.core.commands import parse
from bot.core.identity import Actor
from bot.core.service import CoachService
from bot.core.views import Team
from bot.scheduler import housekeeping
from flows.engine import Answer
from flows.outputs import Notify, Refused
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.lines import INVITE_DAYS
from storage.models import Conversation, Nudge, Person, ReportingChange, Retrospective, Workspace
from tests.support.clock import FixedClock
from tests.support.evidence import attempted
from tests.support.lines import confirm_line

MON = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
SAM, ALEX, JO, DANA = (Actor("console", "demo", u, u.title(), "UTC") for u in ("sam", "alex", "jo", "dana"))
TALK = ["no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.", "",
        "My leads moved to the new team.", "Campaign; shadowing",
        "Alex: book 5 discovery calls by Friday\nme: join two of Alex's calls in 2 weeks", "2026-12-21", "yes"]


@pytest.fixture
async def coach(sqlite_url):
    migrate(sqlite_url)
    db = Database(sqlite_url)
    yield CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(MON))
    await db.close()


async def run(coach: CoachService, actor: Actor, text: str) -> list:
    return await coach.command(actor, parse(text))


def said(outputs) -> str:
    return "\n".join(getattr(o, "text", "") or getattr(o, "reason", "") for o in outputs)


async def person(coach: CoachService, user: str) -> Person:
    async with coach.db.session() as s:
        return (await s.execute(select(Person).where(Person.platform_user_id == user))).scalar_one()


async def rows(coach: CoachService, model, *where) -> list:
    async with coach.db.session() as s:
        return list((await s.execute(select(model).where(*where))).scalars())


async def make_admin(coach: CoachService, actor: Actor) -> None:
    await run(coach, actor, "team")  # met first, like anyone
    async with coach.db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == actor.user).values(is_admin=True))


async def team_of(coach: CoachService, actor: Actor) -> Team:
    return next(o for o in await run(coach, actor, "team") if isinstance(o, Team))


async def test_team_add_is_an_invitation_the_rep_accepts(coach):
    out = await run(coach, SAM, "team add @alex")
    attempted("claiming someone as your rep without their acceptance", (await person(coach, "alex")).manager_id is None)
    assert "Invited Alex" in said(out) and (await person(coach, "alex")).manager_id is None
    assert (await team_of(coach, SAM)).pending == ("Alex",) and (await team_of(coach, SAM)).reps == ()
    assert (await team_of(coach, ALEX)).invited_by == ("Sam",)
    (invite,) = await rows(coach, Nudge, Nudge.kind == "line_invite")
    assert invite.recipient_id == (await person(coach, "alex")).id and invite.due_at == MON

    out = await run(coach, ALEX, "team accept")
    assert "you report to Sam" in said(out)
    assert any(isinstance(o, Notify) and o.external_id == "sam" for o in out)  # the manager is told
    assert (await person(coach, "alex")).manager_id == (await person(coach, "sam")).id
    assert (await team_of(coach, SAM)).reps == ("Alex",) and (await team_of(coach, ALEX)).my_manager == "Sam"
    assert [c.how for c in await rows(coach, ReportingChange)] == ["invited", "accepted"]
    (invite,) = await rows(coach, Nudge, Nudge.kind == "line_invite")
    assert invite.status == "cancelled"  # answered: its message is not sent any more


async def test_the_invitation_buttons_accept_and_decline(coach):
    await run(coach, SAM, "team add @alex")
    await run(coach, JO, "team add @alex")
    sam_invite, jo_invite = await rows(coach, Nudge, Nudge.kind == "line_invite")
    stolen = await coach.buttons.press(SAM, "line_accept", str(sam_invite.id))  # the manager presses it himself
    attempted("accepting an invitation meant for someone else", isinstance(stolen[0], Refused))
    assert isinstance(stolen[0], Refused) and (await person(coach, "alex")).manager_id is None
    out = await coach.buttons.press(ALEX, "line_decline", str(jo_invite.id))
    assert "Declined: Jo" in said(out) and any(isinstance(o, Notify) and o.external_id == "jo" for o in out)
    out = await coach.buttons.press(ALEX, "line_accept", str(sam_invite.id))
    assert "you report to Sam" in said(out)
    again = await coach.buttons.press(ALEX, "line_accept", str(jo_invite.id))  # a stale button: already declined
    assert isinstance(again[0], Refused) and (await person(coach, "alex")).manager_id == (await person(coach, "sam")).id


async def test_an_invitation_can_be_withdrawn_and_expires(coach):
    await run(coach, SAM, "team add @alex")
    out = await run(coach, SAM, "team remove @alex")
    assert "Withdrew your invitation to Alex" in said(out)
    assert isinstance((await run(coach, ALEX, "team accept"))[0], Refused)
    assert (await person(coach, "alex")).manager_id is None

    await run(coach, SAM, "team add @alex")
    coach.clock.current = MON + timedelta(days=INVITE_DAYS, minutes=1)
    late = await run(coach, ALEX, "team accept")
    attempted("accepting an expired invitation", isinstance(late[0], Refused))
    assert isinstance(late[0], Refused) and (await person(coach, "alex")).manager_id is None
    assert (await team_of(coach, SAM)).pending == ()
    assert (await housekeeping.run(coach.db, coach.clock))["lapsed_invitations"] == 1  # closed and logged
    assert [c.how for c in await rows(coach, ReportingChange)][-1] == "expired"
    out = await run(coach, SAM, "team add @alex")  # a fresh invitation after the old one lapsed
    assert "Invited Alex" in said(out)
    assert "you report to Sam" in said(await run(coach, ALEX, "team accept"))


async def test_a_rep_cannot_become_his_bosss_manager_nor_see_her_retrospective(coach):
    await confirm_line(coach, SAM, ALEX)
    await run(coach, SAM, "lost Acme 12k")  # Sam's own lost deal
    (retro,) = await rows(coach, Retrospective)
    for attack in ("team add @sam", "talk @sam"):
        out = await run(coach, ALEX, attack)
        attempted("claiming your own manager as your rep", (await person(coach, "sam")).manager_id is None)
        assert "Sam reports to Alex" not in said(out) and (await person(coach, "sam")).manager_id is None
        assert "can't report to Alex" in said(out)
    opened = await coach.retros.start(ALEX, retro.id)
    attempted("opening your manager's retrospective", isinstance(opened[0], Refused))
    assert isinstance(opened[0], Refused)
    assert "no team to report on" in said(await run(coach, ALEX, "report")) or "Sam" not in said(
        await run(coach, ALEX, "report"))


async def test_a_retrospective_button_from_another_workspace_opens_nothing(coach):
    """The Start button's retrospective id comes back from the client: a namesake manager of the same rep
    name in another workspace gets nothing of this one's, not even the deal's name."""
    await confirm_line(coach, SAM, ALEX)
    await run(coach, ALEX, "lost Acme 12k")
    (retro,) = await rows(coach, Retrospective)
    other_sam, other_alex = (Actor("console", "other", u, u.title(), "UTC") for u in ("sam", "alex"))
    await confirm_line(coach, other_sam, other_alex)
    for who in (other_sam, other_alex):
        opened = await coach.retros.start(who, retro.id)
        attempted("starting another workspace's retrospective", isinstance(opened[0], Refused))
        assert isinstance(opened[0], Refused) and "Acme" not in said(opened), opened
    assert (await rows(coach, Retrospective))[0].status == "pending"  # not started by the press


async def test_cycles_are_refused_further_up_too(coach):
    await confirm_line(coach, DANA, SAM)
    await confirm_line(coach, SAM, ALEX)
    out = await run(coach, ALEX, "team add @dana")
    assert "can't report to Alex" in said(out) and (await person(coach, "dana")).manager_id is None
    await make_admin(coach, JO)
    out = await run(coach, JO, "team set @alex @dana")
    attempted("an admin closing a reporting cycle", isinstance(out[0], Refused))
    assert "can't report to Alex" in said(out) and (await person(coach, "dana")).manager_id is None


async def test_a_pending_manager_keeps_private_notes_and_nothing_reaches_the_rep(coach):
    out = await run(coach, SAM, "talk @alex")
    assert "private notes" in said(out)
    for value in TALK:  # the manager even asks to share the plan
        out = await coach.answer(SAM, Answer(value))
    attempted("a pending manager sending a plan to the rep", not any(isinstance(o, Notify) for o in out))
    assert not any(isinstance(o, Notify) for o in out) and "private notes" in said(out)
    (talk,) = await rows(coach, Conversation)
    assert talk.shared_with_rep is False
    alex = await person(coach, "alex")
    to_rep = await rows(coach, Nudge, Nudge.recipient_id == alex.id)
    assert [n.kind for n in to_rep] == ["line_invite"]  # only the question whether Sam is their manager
    assert "Plan with Sam" not in said(await run(coach, ALEX, "plans"))
    # the rep files a retrospective and checks in: none of it is the pending manager's
    await run(coach, ALEX, "lost Globex 5k")
    (retro,) = await rows(coach, Retrospective)
    opened = await coach.retros.start(SAM, retro.id)
    attempted("a pending manager opening the rep's retrospective", isinstance(opened[0], Refused))
    assert isinstance(opened[0], Refused) and retro.manager_id is None
    assert "Globex" not in said(await run(coach, SAM, "report"))
    checkin = await run(coach, SAM, "checkin @alex")
    attempted("a pending manager checking in on the rep", "isn't on your team" in said(checkin)
              or isinstance(checkin[0], Refused))
    # once Alex accepts, the line holds and Sam sees Alex's retrospective
    await run(coach, ALEX, "team accept")
    (retro,) = await rows(coach, Retrospective)
    assert retro.manager_id == (await person(coach, "sam")).id


async def test_only_an_admin_sets_a_line_directly_and_moving_a_rep_tells_everyone(coach):
    await confirm_line(coach, SAM, ALEX)
    out = await run(coach, JO, "team set @jo @alex")
    attempted("setting a reporting line without being an admin", isinstance(out[0], Refused))
    assert isinstance(out[0], Refused) and (await person(coach, "alex")).manager_id == (await person(coach, "sam")).id
    await make_admin(coach, DANA)
    out = await run(coach, DANA, "team set @jo @alex")
    assert "Alex reports to Jo" in said(out)
    told = {o.external_id: o.output.text for o in out if isinstance(o, Notify)}
    assert set(told) == {"alex", "jo", "sam"} and "no longer shared with you" in told["sam"]
    assert (await person(coach, "alex")).manager_id == (await person(coach, "jo")).id
    assert (await team_of(coach, SAM)).reps == () and (await team_of(coach, JO)).reps == ("Alex",)
    (last,) = [c for c in await rows(coach, ReportingChange) if c.how == "admin"]
    assert (last.old_manager_id, last.new_manager_id, last.by_id) == (
        (await person(coach, "sam")).id, (await person(coach, "jo")).id, (await person(coach, "dana")).id)


def test_teams_admins_are_the_ones_named_in_the_settings():
    from bot.ops.settings import Settings
    from bot.teams.members import named_admin

    admins = Settings(COACHBOT_TEAMS_ADMINS=" 0a1b-AAD , Boss@Contoso.com ,", DATABASE_URL="sqlite://").teams_admin_ids
    assert admins == {"0a1b-aad", "boss@contoso.com"}
    assert named_admin(admins, "29:1", {"aadObjectId": "0A1B-aad"})
    assert named_admin(admins, "29:2", {"userPrincipalName": "boss@contoso.com"})
    assert not named_admin(admins, "29:3", {"aadObjectId": "other", "email": None})
    assert not named_admin(frozenset(), "29:1", {"aadObjectId": "0a1b-aad"})


async def test_removing_a_confirmed_rep_tells_them_and_ends_access(coach):
    await confirm_line(coach, SAM, ALEX)
    out = await run(coach, SAM, "team remove @alex")
    assert "Removed Alex" in said(out)
    told = [o for o in out if isinstance(o, Notify)]
    assert [o.external_id for o in told] == ["alex"] and "removed you from their team" in told[0].output.text
    assert (await person(coach, "alex")).manager_id is None and (await team_of(coach, ALEX)).my_manager == ""
    assert [c.how for c in await rows(coach, ReportingChange)][-1] == "removed"


async def test_admins_set_the_workspaces_checkin_days_and_holidays_and_nobody_else_can(coach):
    out = await run(coach, ALEX, "settings checkin-days 2,5")
    attempted("changing workspace settings without being an admin", isinstance(out[0], Refused))
    assert isinstance(out[0], Refused)
    await make_admin(coach, DANA)
    for bad, why in (("checkin-days 0,999", "from 1 to 60"), ("checkin-days soon", "whole numbers"),
                     ("holidays 2026-02-30", "isn't a date"), ("holidays 99999-01-01", "isn't a date")):
        assert why in said(await run(coach, DANA, f"settings {bad}")), bad
    assert "checkin-days: 2,5,10" in said(await run(coach, DANA, "settings checkin-days 10, 2,5"))
    assert "2026-12-24, 2026-12-25" in said(await run(coach, DANA, "settings holidays 2026-12-25,2026-12-24"))
    async with coach.db.session() as s:
        ws = (await s.execute(select(Workspace))).scalar_one()
    assert (ws.checkin_days, ws.holidays) == ("2,5,10", "2026-12-24,2026-12-25")


async def test_a_checkin_button_pressed_after_the_line_ended_reaches_no_former_manager(coach):
    """Buttons already sitting in a rep's DM outlive the line they were sent under."""
    await confirm_line(coach, SAM, ALEX)
    await run(coach, SAM, "talk @alex")
    for value in TALK:
        await coach.answer(SAM, Answer(value))
    alex = await person(coach, "alex")
    nudge = next(n for n in await rows(coach, Nudge, Nudge.recipient_id == alex.id) if n.kind == "checkin_rep")
    await run(coach, SAM, "team remove @alex")
    out = await coach.buttons.press(ALEX, "nudge_checkin", f"{nudge.id}:stuck")
    refused = isinstance(out[0], Refused) and not any(isinstance(o, Notify) for o in out)
    attempted("a rep's check-in reaching a manager who no longer holds the line", refused)
    assert refused and "isn't this rep's confirmed manager" in out[0].reason
    from storage.models import CheckIn
    assert await rows(coach, CheckIn) == []


@pytest.mark.parametrize("typed", ["²", "1,²,7"])
async def test_check_in_days_typed_with_a_superscript_are_refused_in_words(coach, typed):
    await make_admin(coach, SAM)
    out = await run(coach, SAM, f"settings checkin-days {typed}")
    assert "whole numbers" in said(out)


async def test_a_retrospective_finished_after_the_rep_moved_goes_to_the_new_manager(coach):
    """Access moves with the line: a deal lost under Sam, debriefed after Alex moved to Jo, is Jo's."""
    await confirm_line(coach, SAM, ALEX)
    await run(coach, ALEX, "lost Acme 12k")
    await make_admin(coach, DANA)
    await run(coach, DANA, "team set @jo @alex")
    await run(coach, ALEX, "retro")
    out = []
    for value in ["1", "", "1", "2", "1", "Proposal", "", "2", "3",
                  "I will confirm the budget before the proposal", "Acme - confirm the signer by Friday", "1"]:
        out = await coach.answer(ALEX, Answer(value))
    told = [o.external_id for o in out if isinstance(o, Notify)]
    attempted("a former manager receiving a retrospective finished after the rep moved", "sam" not in told)
    assert told == ["jo"]
    (retro,) = await rows(coach, Retrospective)
    assert retro.manager_id == (await person(coach, "jo")).id


async def test_a_refused_accept_changes_nothing_and_says_why(coach):
    """Accepting an invitation that would close a cycle is refused before anything moves."""
    await run(coach, SAM, "team add @dana")  # Sam asks Dana to report to him...
    await confirm_line(coach, DANA, SAM)  # ...but then Sam accepts Dana as his own manager
    (invite,) = [n for n in await rows(coach, Nudge, Nudge.kind == "line_invite")
                 if n.recipient_id == (await person(coach, "dana")).id]
    before = [c.how for c in await rows(coach, ReportingChange)]
    out = await run(coach, DANA, "team accept @sam")
    attempted("accepting an invitation that closes a reporting cycle", isinstance(out[0], Refused))
    assert isinstance(out[0], Refused) and "can't report to Sam" in out[0].reason and "stays open" in out[0].reason
    async with coach.db.session() as s:
        assert (await s.get(Nudge, invite.id)).status == "pending"  # its message and buttons still stand
    assert [c.how for c in await rows(coach, ReportingChange)] == before
    assert (await person(coach, "dana")).manager_id is None and (await team_of(coach, DANA)).invited_by == ("Sam",)
    assert "Declined: Sam" in said(await run(coach, DANA, "team decline @sam"))  # the way out still works


async def test_invitations_to_one_rep_are_limited_per_day(coach):
    from storage.lines import INVITES_PER_DAY

    for _ in range(INVITES_PER_DAY):
        assert "Invited Alex" in said(await run(coach, SAM, "team add @alex"))
        assert "Withdrew" in said(await run(coach, SAM, "team remove @alex"))
    coach.clock.current = MON + timedelta(hours=2)
    out = await run(coach, SAM, "team add @alex")
    alex = await person(coach, "alex")
    asked = await rows(coach, Nudge, Nudge.kind == "line_invite", Nudge.recipient_id == alex.id)
    attempted("flooding a rep with invitations by adding and removing them", len(asked) == INVITES_PER_DAY)
    assert len(asked) == INVITES_PER_DAY and "Invited" not in said(out)
    assert f"invited Alex {INVITES_PER_DAY} times in the last 24 hours" in said(out)
    assert "invite them again from Tue 24 Nov, 15:00 (UTC)" in said(out)
    assert "Invited Alex" in said(await run(coach, JO, "team add @alex"))  # another manager isn't held back
    coach.clock.current = MON + timedelta(hours=24, minutes=1)
    assert "Invited Alex" in said(await run(coach, SAM, "team add @alex"))


async def test_erasing_a_manager_logs_each_rep_unlinked_by_id(coach):
    from storage import lines

    await confirm_line(coach, SAM, ALEX)
    await confirm_line(coach, SAM, JO)
    await confirm_line(coach, DANA, SAM)
    sam = await person(coach, "sam")
    async with coach.db.session() as s:
        assert await lines.log_unlinked(s, manager=await s.get(Person, sam.id), now=MON) == 2
    erased = [c for c in await rows(coach, ReportingChange) if c.how == "erased"]
    reps = {(await person(coach, u)).id for u in ("alex", "jo")}
    assert {c.rep_id for c in erased} == reps  # Sam's own line to Dana is not Sam's reps'
    assert all((c.old_manager_id, c.new_manager_id, c.by_id, c.at) == (sam.id, None, None, MON) for c in erased)


@pytest.fixture
async def scheduled(sqlite_url):
    """The scheduler's world: the real service, a console sender, a dispatcher ticking on a clock we move."""
    from tests.bot.scheduler.test_scheduler import World

    migrate(sqlite_url)
    db = Database(sqlite_url)
    yield World(db, FixedClock(MON))
    await db.close()


async def test_a_reps_checkins_come_back_when_the_line_is_confirmed_again(scheduled):
    """While a line is not confirmed (as migration 0007 left every old line) the rep's check-ins are
    skipped as they come due; confirming it plans the rep's side of the open plan again, once."""
    world = scheduled
    await world.talk()  # Sam and Alex agree a shared plan; the review is on 2026-12-21
    await world.service.command(SAM, parse("team remove @alex"))
    later = MON + timedelta(days=9)  # Wednesday 2 Dec: check-ins of days 1, 3 and 7 came due meanwhile
    await world.at(later)
    skipped = await world.nudges(kind="checkin_rep", status="cancelled")
    assert skipped and all(n.last_error == "the reporting line is not confirmed" for n in skipped)
    sent_before = len(world.sent_to("alex"))

    await world.service.command(SAM, parse("team add @alex"))
    await world.service.command(ALEX, parse("team accept"))
    waiting = [n for n in await world.nudges(kind="checkin_rep", status="pending")]
    assert waiting and all(n.due_at > later for n in waiting)
    days = [n.due_at.date() for n in waiting]
    assert len(days) == len(set(days))  # one check-in a day at most: the old schedule gave way
    assert {n.kind for n in await world.nudges(status="pending", recipient_id=(await person_of(world, "alex")).id)
            } >= {"checkin_rep", "review_reminder"}

    await make_admin_in(world, DANA)  # confirmed again the same day (away and back): nothing planned twice
    await world.service.command(DANA, parse("team set @jo @alex"))
    await world.service.command(DANA, parse("team set @sam @alex"))
    again = await world.nudges(kind="checkin_rep", status="pending")
    assert sorted(n.dedupe_key for n in again) == sorted(n.dedupe_key for n in waiting)

    await world.at(later + timedelta(days=1, hours=3))  # the first working day after the acceptance
    fresh = world.sent_to("alex")[sent_before:]
    assert any("Quick check-in on the plan you agreed with Sam" in line for line in fresh)


async def person_of(world, user: str) -> Person:
    async with world.db.session() as s:
        return (await s.execute(select(Person).where(Person.platform_user_id == user))).scalar_one()


async def make_admin_in(world, actor: Actor) -> None:
    await world.service.command(actor, parse("team"))
    async with world.db.session() as s:
        await s.execute(update(Person).where(Person.platform_user_id == actor.user).values(is_admin=True))


async def test_accepting_a_new_manager_moves_access_and_tells_all_three(coach):
    await confirm_line(coach, SAM, ALEX)
    await run(coach, JO, "team add @alex")
    out = await run(coach, ALEX, "team accept @jo")
    assert "you report to Jo" in said(out)
    told = {o.external_id: o.output.text for o in out if isinstance(o, Notify)}
    assert set(told) == {"jo", "sam"} and "no longer shared with you" in told["sam"]
    assert (await person(coach, "alex")).manager_id == (await person(coach, "jo")).id
    assert (await team_of(coach, SAM)).reps == () and (await team_of(coach, JO)).reps == ("Alex",)
