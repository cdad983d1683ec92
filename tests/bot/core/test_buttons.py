"""Every button checks what it names: a press on another person's, another kind's or another workspace's
subject changes nothing, for every action the registry answers."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.core.buttons import NOT_YOURS
from bot.core.commands import parse
from bot.core.identity import Actor
from bot.core.service import CoachService
from flows.engine import Answer
from storage.crypto import NotesCipher
from storage.db import Database, migrate
from storage.models import ActionItem, CheckIn, Conversation, FollowUp, Nudge, Person, SignalFlag
from tests.support.clock import FixedClock
from tests.support.lines import confirm_line

MON = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
TALK = ["no", "In October you booked 2 demos; the target is 8.", "I haven't joined a call since September.", "",
        "My leads moved to the new team.", "Campaign; shadowing",
        "book 5 discovery calls by Friday\nme: join two calls in 2 weeks", "2026-12-21", "yes"]


async def talk(service: CoachService, manager: Actor, rep: str) -> None:
    await service.command(manager, parse(f"talk @{rep}"))
    for value in TALK:
        await service.answer(manager, Answer(value))


@pytest.fixture
async def world(sqlite_url):
    migrate(sqlite_url)
    db = Database(sqlite_url)
    service = CoachService(db, NotesCipher(NotesCipher.generate_key()), FixedClock(MON))
    here, there = "demo", "elsewhere"
    sam, kim = Actor("console", here, "sam", "Sam"), Actor("console", there, "sam", "Sam")  # same id, other place
    lee = Actor("console", here, "lee", "Lee")
    for boss, rep in ((sam, Actor("console", here, "alex", "Alex")), (kim, Actor("console", there, "alex", "Alex")),
                      (lee, Actor("console", here, "jo", "Jo"))):
        await confirm_line(service, boss, rep)
    await talk(service, sam, "alex")
    await talk(service, kim, "alex")
    await talk(service, lee, "jo")  # a second pair, same kinds of subject
    async with db.session() as s:  # a pulse and a follow-up for each rep
        for alex in (await s.execute(select(Person).where(Person.platform_user_id.in_(["alex", "jo"])))).scalars():
            s.add(Nudge(workspace_id=alex.workspace_id, recipient_id=alex.id, kind="pulse", subject=f"person:{alex.id}",
                        dedupe_key=f"pulse:{alex.id}", due_at=MON, payload="{}"))
            # an id no nudge has, so a follow-up also serves as "another kind" for buttons taking any nudge
            s.add(FollowUp(id=500 + alex.id, workspace_id=alex.workspace_id, person_id=alex.id,
                           text_encrypted=service.cipher.encrypt("x")))
            # a signal told to the rep's manager, with an id no other row has
            s.add(SignalFlag(id=900 + alex.id, workspace_id=alex.workspace_id, rep_id=alex.id, manager_id=alex.manager_id,
                             key=f"stuck:{alex.id}:2026-11-23", kind="stuck", strength="strong", told_at=MON))
    yield service
    await db.close()


async def rows_of(service: CoachService, model, **where) -> list:
    async with service.db.session() as s:
        q = select(model)
        for key, value in where.items():
            q = q.where(getattr(model, key) == value)
        return list((await s.execute(q)).scalars())


async def subjects(service: CoachService, workspace_rank: int, user: str) -> dict[str, list[int]]:
    """Ids of what each kind of subject is, for `user` in the first or second workspace."""
    people = sorted(await rows_of(service, Person, platform_user_id=user), key=lambda p: p.workspace_id)
    me = people[workspace_rank]
    nudges = await rows_of(service, Nudge, recipient_id=me.id)
    by_kind = {}
    for n in nudges:
        by_kind.setdefault(f"nudge:{n.kind}", []).append(n.id)
    items = [i.id for i in await rows_of(service, ActionItem, workspace_id=me.workspace_id)
             if i.owner_id == me.id]
    plans = [c.id for c in await rows_of(service, Conversation, manager_id=me.id)]
    followups = [f.id for f in await rows_of(service, FollowUp, person_id=me.id)]
    flags = [f.id for f in await rows_of(service, SignalFlag, manager_id=me.id)]
    return {**by_kind, "item": items, "plan": plans, "followup": followups, "flag": flags}


def value_for(action: str, ident: int) -> str:
    return f"{ident}:" + {"nudge_checkin": "stuck", "nudge_snooze": "tomorrow", "pulse": "3-5"}.get(action, "")


async def test_every_button_refuses_a_subject_that_is_not_the_pressers_own(world):
    sam, alex = Actor("console", "demo", "sam", "Sam"), Actor("console", "demo", "alex", "Alex")
    own = {who: await subjects(world, 0, who) for who in ("sam", "alex", "lee", "jo")}
    elsewhere = {"sam": await subjects(world, 1, "sam"), "alex": await subjects(world, 1, "alex")}
    kinds = {"nudge_checkin": "nudge:checkin_rep", "nudge_checked_in": "nudge:checkin_manager",
             "nudge_send_checkin": "nudge:checkin_manager", "nudge_snooze": "nudge:checkin_rep",
             "pulse": "nudge:pulse", "item_done": "item", "followup_done": "followup", "plan_close": "plan",
             "line_accept": "nudge:line_invite", "line_decline": "nudge:line_invite", "signal_prepare": "flag",
             "signal_dismiss": "flag", "signal_snooze": "flag"}
    presser = {"nudge_checkin": alex, "nudge_checked_in": sam, "nudge_send_checkin": sam, "nudge_snooze": alex,
               "pulse": alex, "item_done": alex, "followup_done": alex, "plan_close": sam, "line_accept": alex,
               "line_decline": alex, "signal_prepare": sam, "signal_dismiss": sam, "signal_snooze": sam}
    assert set(kinds) == set(world.buttons.actions)  # every action of the registry is tried
    checkins = len(await rows_of(world, CheckIn))
    nudge_count = len(await rows_of(world, Nudge))
    for action, kind in kinds.items():
        actor = presser[action]
        me, other = actor.user, {"alex": "jo", "sam": "lee"}[actor.user]  # someone in the same role
        # ids are per table, so an item's id may also be one of the presser's nudges: pick one that is not
        accepts = {k for k in own[me] if k == kind or (action == "nudge_snooze" and k.startswith("nudge:"))}
        taken = {i for k in accepts for i in own[me][k]}
        wrong_kind = next(i for k, ids in own[me].items() if k not in accepts for i in ids if i not in taken)
        tries = {
            "another person's": own[other][kind],
            "another kind's": [wrong_kind],
            "another workspace's": elsewhere[me][kind],
        }
        for what, ids in tries.items():
            assert ids, (action, what)
            out = await world.buttons.press(actor, action, value_for(action, ids[0]))
            assert getattr(out[0], "reason", "") == NOT_YOURS, (action, what, out)
    assert len(await rows_of(world, CheckIn)) == checkins and len(await rows_of(world, Nudge)) == nudge_count
    assert all(c.status == "open" for c in await rows_of(world, Conversation))
    assert all(i.status == "open" for i in await rows_of(world, ActionItem))
    assert all(f.status == "raised" and f.prepared_at is None for f in await rows_of(world, SignalFlag))


@pytest.mark.parametrize("value", ["", "abc", "12:" + "x" * 40, "9" * 30, "-1", "1.5:stuck", "²:stuck", "３:stuck"])
async def test_a_damaged_value_is_refused_with_a_reason(world, value):
    out = await world.buttons.press(Actor("console", "demo", "alex", "Alex"), "nudge_checkin", value)
    assert "damaged" in out[0].reason


async def test_an_unknown_button_is_refused_not_guessed(world):
    out = await world.buttons.press(Actor("console", "demo", "alex", "Alex"), "drop_tables", "1")
    assert "older version of coachbot" in out[0].reason
