"""A rep with a record to brief on: a confirmed line since two months back, weekly counts, two lost deals
with their causes, check-in answers, and a closed plan whose manager item was done late."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flows.signals import week_of
from storage import checkins, lines, opportunities, people, retros, talks
from storage.crypto import NotesCipher
from storage.db import Database

COUNTS = (4, 2, 1, 0)  # the four complete weeks before `today`'s, oldest first


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), timezone.utc)


async def seed_record(db: Database, cipher: NotesCipher, *, platform: str, team: str, manager: tuple[str, str],
                      rep: tuple[str, str], today: date, confirmed: bool = True, more_losses: int = 0) -> dict:
    """Seed `rep` (platform id, name) reporting to `manager` since 60 days before `today` (UTC people), with
    a record in the four weeks before `today`'s week; returns the dates a test names. With `confirmed`
    False the rep has the same record but no line to anyone (a manager who asks is only invited);
    `more_losses` adds that many lost deals with long typed names (a brief too long to show whole)."""
    w = week_of(today)
    weeks = [w - timedelta(weeks=n) for n in (4, 3, 2, 1)]
    async with db.session() as s:
        ws = await people.get_or_create_workspace(s, platform=platform, external_id=team)
        boss = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=manager[0], name=manager[1],
                                                 tz="UTC")
        alex = await people.get_or_create_person(s, workspace_id=ws.id, platform_user_id=rep[0], name=rep[1], tz="UTC")
        await s.flush()
        if confirmed:
            await lines.confirm(s, rep=alex, manager=boss, by=None, how="admin", now=at(today - timedelta(days=60)))
        for monday, count in zip(weeks, COUNTS):
            await opportunities.record_pulse(s, workspace_id=ws.id, person_id=alex.id, week_start=monday, count=count,
                                             now=at(monday + timedelta(days=4)))
        for name, lost, reason, evidence in (("Acme <Corp> & *Co*", weeks[1] + timedelta(days=1), "price", "buyer_told"),
                                             ("Globex", weeks[3] + timedelta(days=2), "timing", "our_read")):
            retro, _ = await retros.open_retro(s, workspace_id=ws.id, deal_key=f"seed:{name}", deal_name=name, rep=alex,
                                               lost_on=lost, now=at(lost))
            await retros.complete(s, cipher, retro=retro, answers={"primary": reason, "evidence": evidence},
                                  now=at(lost + timedelta(days=1)))
        for i in range(more_losses):
            lost = weeks[i % 4] + timedelta(days=i % 5)
            retro, _ = await retros.open_retro(s, workspace_id=ws.id, deal_key=f"seed:more:{i}", rep=alex, lost_on=lost,
                                               deal_name=f"<{'Long deal name & more ' * 10}{i}>", now=at(lost))
            await retros.complete(s, cipher, retro=retro, answers={"primary": "budget", "evidence": "our_read"},
                                  now=at(lost))
        for day, status in ((weeks[0] + timedelta(days=1), "on_track"), (weeks[2] + timedelta(days=1), "need_hand"),
                            (weeks[3] + timedelta(days=1), "stuck")):
            await checkins.record_checkin(s, cipher, rep=alex, author=alex, kind="rep", status=status, note=None,
                                          conversation_id=None, now=at(day))
        held = weeks[0] - timedelta(days=14)
        talk = await talks.record_conversation(
            s, cipher, workspace_id=ws.id, manager=boss, rep=alex, flow_session_id=None, now=at(held),
            answers={"review": (held + timedelta(days=21)).isoformat(), "share": True, "plan": [
                {"owner": "rep", "text": "book 5 discovery calls", "due": (held + timedelta(days=7)).isoformat()},
                {"owner": "manager", "text": "weekly pipeline review", "due": (held + timedelta(days=3)).isoformat()},
            ]})
        late = held + timedelta(days=12)
        for item in await talks.items_of(s, conversation_id=talk.id):
            if item.owner_role == "manager":
                item.status, item.done_at = "done", at(late)
            s.add(item)
        await talks.close(s, manager=boss, conversation_id=talk.id, now=at(held + timedelta(days=22)))
        await s.flush()
    return {"weeks": weeks, "held": held, "review": held + timedelta(days=21), "manager_due": held + timedelta(days=3),
            "manager_done": late, "closed": held + timedelta(days=22)}
