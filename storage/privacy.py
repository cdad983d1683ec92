"""Data rights: erase one person, export one person's data, purge old closed records, re-encrypt notes."""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.subjects import subject

from storage import lines, opportunities, signal_flags
from storage.crypto import NotesCipher
from storage.models import (
    ActionItem, CheckIn, Conversation, FlowSession, FollowUp, Nudge, Person, ReportingChange, ReportingInvite,
    Retrospective, SignalFlag, SignalSettings,
)

# A queued message's payload lists under this key the people whose words it carries, so `erase_person`
# finds it whoever it is queued for (a "stuck" alert to the manager quotes the rep).
ABOUT = "about"

# Every encrypted column, for key rotation. Nudge payloads hold ids, except queued messages' "enc".
ENCRYPTED = ((FlowSession, "state_encrypted"), (Conversation, "notes_encrypted"), (ActionItem, "text_encrypted"),
             (CheckIn, "note_encrypted"), (Retrospective, "answers_encrypted"), (FollowUp, "text_encrypted"))

ERASED_PREFIX = "erased-"  # an erased person's row keeps only this id: nothing may name it again


async def _drop_conversations(s: AsyncSession, talk_ids: list[int]) -> dict[str, int]:
    """Delete conversations with their items, check-ins and the nudges about them."""
    if not talk_ids:
        return {"conversations": 0, "action_items": 0}
    items = [i for (i,) in await s.execute(select(ActionItem.id).where(ActionItem.conversation_id.in_(talk_ids)))]
    subjects = [subject("talk", t) for t in talk_ids] + [subject("item", i) for i in items]
    await s.execute(delete(Nudge).where(Nudge.subject.in_(subjects)))
    await s.execute(delete(CheckIn).where(CheckIn.conversation_id.in_(talk_ids)))
    await s.execute(delete(ActionItem).where(ActionItem.conversation_id.in_(talk_ids)))
    done = (await s.execute(delete(Conversation).where(Conversation.id.in_(talk_ids)))).rowcount
    return {"conversations": done, "action_items": len(items)}


async def _drop_retros(s: AsyncSession, retro_ids: list[int]) -> int:
    if not retro_ids:
        return 0
    await s.execute(delete(FollowUp).where(FollowUp.retrospective_id.in_(retro_ids)))
    await s.execute(delete(Nudge).where(Nudge.subject.in_([subject("retro", r) for r in retro_ids])))
    return (await s.execute(delete(Retrospective).where(Retrospective.id.in_(retro_ids)))).rowcount


async def _drop_sessions(s: AsyncSession, condition) -> int:
    ids = [i for (i,) in await s.execute(select(FlowSession.id).where(condition))]
    if not ids:
        return 0
    await s.execute(update(Conversation).where(Conversation.flow_session_id.in_(ids)).values(flow_session_id=None))
    return (await s.execute(delete(FlowSession).where(FlowSession.id.in_(ids)))).rowcount


async def erase_person(s: AsyncSession, cipher: NotesCipher, *, person: Person) -> dict[str, int]:
    """Erase a person's personal data: everything about them or written by them as a rep, their
    check-ins, drafts, nudges and follow-ups, messages queued for others that quote them, and their name
    in other people's nudges; the person row itself is kept only as an anonymous placeholder so plans
    they led for others stay whole. Returns what was removed, by kind."""
    p = person.id
    near = await _connected(s, person)  # read first: the rows that say who they worked with go below
    talks = [t for (t,) in await s.execute(select(Conversation.id).where(Conversation.rep_id == p))]
    counts = await _drop_conversations(s, talks)
    counts["drafts"] = await _drop_sessions(s, or_(FlowSession.user_id == p, FlowSession.subject_id == p))
    counts["check_ins"] = (await s.execute(delete(CheckIn).where(or_(CheckIn.rep_id == p, CheckIn.author_id == p)))
                           ).rowcount
    retros = [r for (r,) in await s.execute(select(Retrospective.id).where(Retrospective.rep_id == p))]
    counts["retrospectives"] = await _drop_retros(s, retros)
    await s.execute(update(Retrospective).where(Retrospective.manager_id == p).values(manager_id=None))
    await s.execute(update(Retrospective).where(Retrospective.opened_by_id == p).values(opened_by_id=None))
    counts["follow_ups"] = (await s.execute(delete(FollowUp).where(FollowUp.person_id == p))).rowcount
    flags = [f for (f,) in await s.execute(select(SignalFlag.id).where(
        or_(SignalFlag.rep_id == p, SignalFlag.manager_id == p)))]
    if flags:  # the signals told about them (or to them), and any still queued
        await s.execute(delete(Nudge).where(Nudge.subject.in_([subject("flag", f) for f in flags])))
    counts["signal_flags"] = await signal_flags.erase_person(s, person_id=p)
    counts["opportunity_weeks"] = await opportunities.erase_person(s, person_id=p)
    await s.execute(update(SignalSettings).where(SignalSettings.updated_by == p).values(updated_by=None))
    invites = [i for (i,) in await s.execute(select(ReportingInvite.id).where(
        or_(ReportingInvite.rep_id == p, ReportingInvite.manager_id == p)))]
    if invites:
        await s.execute(delete(Nudge).where(Nudge.subject.in_([subject("invite", i) for i in invites])))
        await s.execute(delete(ReportingInvite).where(ReportingInvite.id.in_(invites)))
    counts["invitations"] = len(invites)
    counts["nudges"] = (await s.execute(delete(Nudge).where(Nudge.recipient_id == p))).rowcount
    counts["queued_messages_quoting_them"] = await _drop_quoting(s, cipher, person, near)
    await _rename_in_payloads(s, person.name, f"Erased person {p}", recipients=near)
    # Reps whose confirmed manager this was lose the line here: each end is logged first, while
    # `Person.manager_id == p` still finds them.
    await lines.log_unlinked(s, manager=person, how="erased")
    counts["reps_unlinked"] = (await s.execute(update(Person).where(Person.manager_id == p).values(manager_id=None))
                               ).rowcount
    person.name = f"Erased person {p}"
    person.platform_user_id = f"{ERASED_PREFIX}{p}"
    person.email = None
    person.chat_ref = None
    person.tz, person.tz_override = "UTC", None
    person.manager_id = None
    person.opted_out = True
    person.paused_until = person.snoozed_until = person.profile_refreshed_at = None
    s.add(person)
    await s.flush()
    return counts


async def _connected(s: AsyncSession, person: Person) -> set[int]:
    """The people in the person's workspace whom coachbot could have told something of theirs: their
    manager and reps (confirmed now or once), the other side of their plans, retrospectives and
    invitations. Only messages queued for these people are read for their name."""
    p, ws = person.id, person.workspace_id
    sides = (
        select(Person.id).where(Person.manager_id == p),
        select(Conversation.manager_id).where(Conversation.rep_id == p),
        select(Conversation.rep_id).where(Conversation.manager_id == p),
        select(Retrospective.manager_id).where(Retrospective.rep_id == p),
        select(Retrospective.opened_by_id).where(Retrospective.rep_id == p),
        select(Retrospective.rep_id).where(or_(Retrospective.manager_id == p, Retrospective.opened_by_id == p)),
        select(ReportingChange.old_manager_id).where(ReportingChange.rep_id == p),
        select(ReportingChange.new_manager_id).where(ReportingChange.rep_id == p),
        select(ReportingChange.rep_id).where(or_(ReportingChange.old_manager_id == p,
                                                 ReportingChange.new_manager_id == p)),
        select(ReportingInvite.manager_id).where(ReportingInvite.rep_id == p),
        select(ReportingInvite.rep_id).where(ReportingInvite.manager_id == p),
    )
    near = {person.manager_id}
    for query in sides:
        near |= set((await s.execute(query.where(query.selected_columns[0].is_not(None)))).scalars())
    near.discard(None)
    near.discard(p)
    if not near:
        return set()
    # Ids are global, but a line or a plan never crosses workspaces: keep only this one's people.
    return set((await s.execute(select(Person.id).where(Person.id.in_(near), Person.workspace_id == ws))).scalars())


def about_ids(data: dict) -> set[int] | None:
    """The ids a queued message's payload lists under ABOUT (one id or several), or None when untagged."""
    if ABOUT not in data:
        return None
    raw = data[ABOUT]
    ids = raw if isinstance(raw, list) else [raw]
    return {int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}


async def _drop_quoting(s: AsyncSession, cipher: NotesCipher, person: Person, near: set[int]) -> int:
    """Delete every queued message (sent or not: the row still holds the words) that carries this
    person's words.

    A message tagged with ABOUT goes when their id is among its ids, whoever it is queued for. An
    older message without the tag is read only when it is queued in their workspace for someone
    they are `_connected` to, and goes when it names them (whole word, name or user id): a
    namesake's messages elsewhere stay. One that this key can't open goes too, if queued for such a
    person: it may quote them, and it can't be delivered with the keys configured anyway.
    """
    names = [n for n in (person.name, person.platform_user_id) if n and n.strip()]
    naming = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names), re.IGNORECASE) if names else None
    gone = []
    rows = (await s.execute(select(Nudge.id, Nudge.payload, Nudge.workspace_id, Nudge.recipient_id)
                            .where(Nudge.kind == "message"))).all()
    for row_id, payload, workspace_id, recipient_id in rows:
        data = json.loads(payload or "{}")
        about = about_ids(data)
        if about is not None:
            if person.id in about:
                gone.append(row_id)
        elif (workspace_id == person.workspace_id and recipient_id in near and naming is not None
              and "enc" in data and _names(cipher, data["enc"], naming)):
            gone.append(row_id)
    if gone:
        await s.execute(delete(Nudge).where(Nudge.id.in_(gone)))
    return len(gone)


def _names(cipher: NotesCipher, token: str, naming: re.Pattern) -> bool:
    try:
        text = cipher.decrypt(token)
    except ValueError:
        return True  # unreadable with these keys: see `_drop_quoting`
    return bool(naming.search(text if isinstance(text, str) else json.dumps(text)))


async def _rename_in_payloads(s: AsyncSession, old: str, new: str, *, recipients: set[int]) -> None:
    """Other people's nudges name the people they are about ("rep", "manager"): put the placeholder there.

    Only in the nudges of `recipients` (the people the erased person worked with, `_connected`): a
    namesake's manager or reps keep their nudges as they were."""
    if not old or not recipients:
        return
    like = "%" + json.dumps(old)[1:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = (await s.execute(select(Nudge.id, Nudge.payload).where(
        Nudge.recipient_id.in_(recipients), Nudge.payload.like(like, escape="\\")))).all()
    for row_id, payload in rows:
        data = json.loads(payload or "{}")
        named = {k: new for k in ("rep", "manager") if data.get(k) == old}
        if named:
            await s.execute(update(Nudge).where(Nudge.id == row_id).values(payload=json.dumps({**data, **named})))


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def personal_data(s: AsyncSession, cipher: NotesCipher, *, person: Person) -> dict[str, Any]:
    """Everything stored about or by one person, decrypted, as plain JSON-able data (right of access)."""
    p = person.id
    # A plan its manager kept to themselves is theirs: it is in the manager's export, not the rep's.
    mine = or_(Conversation.manager_id == p, (Conversation.rep_id == p) & Conversation.shared_with_rep.is_(True))
    talks = (await s.execute(select(Conversation).where(mine).order_by(Conversation.id))).scalars().all()
    names = {x.id: x.name for x in (await s.execute(select(Person).where(
        Person.id.in_({t.rep_id for t in talks} | {t.manager_id for t in talks})))).scalars()}
    items = (await s.execute(select(ActionItem).where(ActionItem.conversation_id.in_([t.id for t in talks]))
                             .order_by(ActionItem.id))).scalars().all()
    checkins = (await s.execute(select(CheckIn).where(or_(CheckIn.rep_id == p, CheckIn.author_id == p))
                                .order_by(CheckIn.id))).scalars().all()
    retros = (await s.execute(select(Retrospective).where(Retrospective.rep_id == p).order_by(Retrospective.id))
              ).scalars().all()
    followups = (await s.execute(select(FollowUp).where(FollowUp.person_id == p).order_by(FollowUp.id))).scalars().all()
    sent = (await s.execute(select(Nudge).where(Nudge.recipient_id == p).order_by(Nudge.id))).scalars().all()
    return {
        "person": {"id": p, "platform_user_id": person.platform_user_id, "name": person.name, "email": person.email,
                   "time_zone": person.tz_override or person.tz, "work_hours": f"{person.work_start}-{person.work_end}",
                   "work_days": person.work_days, "opted_out": person.opted_out,
                   "paused_until": _when(person.paused_until), "created_at": _when(person.created_at)},
        "conversations": [{
            "id": t.id, "role": "rep" if t.rep_id == p else "manager", "rep": names.get(t.rep_id),
            "manager": names.get(t.manager_id), "status": t.status, "review_on": t.review_on.isoformat(),
            "created_at": _when(t.created_at), "notes": cipher.decrypt(t.notes_encrypted),
            "action_items": [{"owner": i.owner_role, "text": cipher.decrypt(i.text_encrypted),
                              "due_on": i.due_on.isoformat() if i.due_on else None, "status": i.status}
                             for i in items if i.conversation_id == t.id],
        } for t in talks],
        "check_ins": [{"kind": c.kind, "status": c.status, "created_at": _when(c.created_at),
                       "note": cipher.decrypt(c.note_encrypted) if c.note_encrypted else None} for c in checkins],
        "retrospectives": [{"deal": r.deal_name, "amount": r.amount, "lost_on": r.lost_on.isoformat(),
                            "status": r.status, "primary_reason": r.primary_reason,
                            "answers": cipher.decrypt(r.answers_encrypted) if r.answers_encrypted else None}
                           for r in retros],
        "follow_ups": [{"text": cipher.decrypt(f.text_encrypted), "due_on": f.due_on.isoformat() if f.due_on else None,
                        "status": f.status} for f in followups],
        "nudges": [{"kind": n.kind, "due_at": _when(n.due_at), "status": n.status} for n in sent],
        "signal_flags": await signal_flags.export_rows(s, person_id=p),
        "new_opportunities": [{"week_start": w.isoformat(), "count": c, "source": src}
                              for w, c, src in await opportunities.weekly_counts(s, person_id=p, since=date.min)],
    }


async def purge_closed(s: AsyncSession, *, before: datetime) -> dict[str, int]:
    """Delete conversations closed, retrospectives finished and drafts ended before `before` (retention)."""
    talks = [t for (t,) in await s.execute(select(Conversation.id).where(
        Conversation.status == "closed", Conversation.closed_at < before))]
    counts = await _drop_conversations(s, talks)
    retros = [r for (r,) in await s.execute(select(Retrospective.id).where(
        Retrospective.status == "done", Retrospective.completed_at < before))]
    counts["retrospectives"] = await _drop_retros(s, retros)
    counts["drafts"] = await _drop_sessions(s, FlowSession.status.in_(("done", "cancelled"))
                                            & (FlowSession.updated_at < before))
    # Queued messages hold their words (encrypted): gone with the rest of their age, whatever became of them.
    counts["queued messages"] = (await s.execute(delete(Nudge).where(Nudge.kind == "message",
                                                                     Nudge.created_at < before))).rowcount or 0
    return counts


async def rotate_notes(s: AsyncSession, cipher: NotesCipher, *, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every stored note under the cipher's newest key (old keys must still be configured)."""
    counts: dict[str, int] = {}
    for model, column in ENCRYPTED:
        col = getattr(model, column)
        done, last = 0, None
        while True:
            q = select(model.id, col).where(col.is_not(None)).order_by(model.id).limit(batch)
            if last is not None:
                q = q.where(model.id > last)
            rows = (await s.execute(q)).all()
            if not rows:
                break
            for row_id, token in rows:
                await s.execute(update(model).where(model.id == row_id).values({column: cipher.rotate(token)}))
            done += len(rows)
            last = rows[-1][0]
        counts[model.__tablename__] = done
    queued = 0
    for row_id, payload in (await s.execute(select(Nudge.id, Nudge.payload).where(Nudge.payload.like('%"enc"%')))).all():
        data = json.loads(payload)
        data["enc"] = cipher.rotate(data["enc"])
        await s.execute(update(Nudge).where(Nudge.id == row_id).values(payload=json.dumps(data)))
        queued += 1
    counts["queued messages"] = queued
    return counts
