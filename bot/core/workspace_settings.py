"""The workspace's own settings, which only its admins change: the check-in cadence after a talk
(`settings checkin-days 1,3,7,14`) and the holidays when nobody is nudged (`settings holidays ...`)."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any

from bot.core.identity import Actor, NewPerson, person_for
from flows.outputs import Refused, Say
from storage.db import Database
from storage.models import Workspace

log = logging.getLogger("coachbot.settings")

FIELDS = ("checkin-days", "holidays")
MAX_CHECKINS = 10  # check-ins after one talk
MAX_DAY = 60  # working days after the talk
MAX_HOLIDAYS = 150  # fits the column (ISO dates, comma-separated)
ADMINS_ONLY = "Only a workspace admin can change the workspace's check-in days and holidays."


def checkin_days(value: str) -> str | tuple[int, ...]:
    """The cadence typed as "1,3,7,14", or what is wrong with it."""
    parts = [p.strip() for p in value.replace(" ", ",").split(",") if p.strip()]
    if not parts or not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        return "Check-in days are working days after the talk, as whole numbers: e.g. 1,3,7,14."
    days = sorted({int(p) for p in parts})
    if days[0] < 1 or days[-1] > MAX_DAY or len(days) > MAX_CHECKINS:
        return f"Use between 1 and {MAX_CHECKINS} check-in days, each from 1 to {MAX_DAY} working days after the talk."
    return tuple(days)


def holidays(value: str) -> str | tuple[date, ...]:
    """Holidays typed as "2026-12-24, 2026-12-25" ("none" clears them), or what is wrong with them."""
    if value.strip().lower() in ("none", "clear"):
        return ()
    found = set()
    for part in (p.strip() for p in value.replace(" ", ",").split(",") if p.strip()):
        try:
            day = date.fromisoformat(part) if len(part) == 10 else None
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100:
            return f"“{part[:40]}” isn't a date like 2026-12-24; nothing was changed."
        found.add(day)
    if not found or len(found) > MAX_HOLIDAYS:
        return f"Give between 1 and {MAX_HOLIDAYS} dates like 2026-12-24, 2026-12-25 (or “none” to clear them)."
    return tuple(sorted(found))


async def change(db: Database, defaults: NewPerson, actor: Actor, field: str, value: str) -> list[Any]:
    """`settings checkin-days|holidays <value>`, for workspace admins."""
    parsed = checkin_days(value) if field == "checkin-days" else holidays(value)
    async with db.session() as s:
        me = await person_for(s, actor, defaults)
        if not me.is_admin:
            return [Refused(ADMINS_ONLY)]
        if isinstance(parsed, str):
            return [Say(parsed, tone="error")]
        ws = await s.get(Workspace, me.workspace_id)
        if field == "checkin-days":
            ws.checkin_days = ",".join(str(d) for d in parsed)
            shown = ws.checkin_days
        else:
            ws.holidays = ",".join(d.isoformat() for d in parsed)
            shown = ", ".join(d.isoformat() for d in parsed) or "none"
        s.add(ws)
        log.info("workspace setting changed workspace=%s field=%s by=%s", ws.id, field, me.id)
    return [Say(f"Saved for the whole workspace — {field}: {shown}. It applies to plans made from now on.",
                tone="success")]
