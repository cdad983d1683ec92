"""The workspace's own settings, which only its admins change: the check-in cadence after a talk
(`settings checkin-days 1,3,7,14`), the holidays when nobody is nudged (`settings holidays ...`) and the
thresholds at which a rep is flagged to their manager (`settings signals falling_weeks 3`)."""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from bot.core.identity import Actor, NewPerson, person_for
from flows.outputs import Refused, Say
from flows.signals import Thresholds, ThresholdError
from flows.signals.thresholds import RANGES
from storage import opportunities, signal_flags
from storage.db import Database
from storage.models import Workspace
from storage.types import utcnow

log = logging.getLogger("coachbot.settings")

FIELDS = ("checkin-days", "holidays", "signals", "crm-new-deals")
MAX_CHECKINS = 10  # check-ins after one talk
MAX_DAY = 60  # working days after the talk
MAX_HOLIDAYS = 150  # fits the column (ISO dates, comma-separated)
ADMINS_ONLY = ("Only a workspace admin can change the workspace's check-in days, holidays, signal thresholds "
               "and whether the CRM reports new deals.")
CLEAR = ("default", "none")  # `settings signals <name> default` goes back to the default (no target, for the target)


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


def on_off(value: str) -> str | bool:
    """"on" or "off" (yes/no, true/false too), or what is wrong with it."""
    word = value.strip().lower()
    if word in ("on", "yes", "true"):
        return True
    if word in ("off", "no", "false"):
        return False
    return "Say on or off: e.g. settings crm-new-deals on, when your CRM sends every new deal to coachbot."


async def change(db: Database, defaults: NewPerson, actor: Actor, field: str, value: str,
                 now: datetime | None = None) -> list[Any]:
    """`settings checkin-days|holidays|crm-new-deals <value>` and `settings signals [<name> <value>]`, for
    workspace admins."""
    if field == "signals":
        return await signals(db, defaults, actor, value)
    parsed = {"checkin-days": checkin_days, "holidays": holidays, "crm-new-deals": on_off}[field](value)
    async with db.session() as s:
        me = await person_for(s, actor, defaults)
        if not me.is_admin:
            return [Refused(ADMINS_ONLY)]
        if isinstance(parsed, str):
            return [Say(parsed, tone="error")]
        ws = await s.get(Workspace, me.workspace_id)
        if field == "crm-new-deals":
            await opportunities.set_crm_reports_new_deals(s, workspace_id=ws.id, on=parsed,
                                                        now=now or utcnow())
            log.info("workspace setting changed workspace=%s field=%s by=%s", ws.id, field, me.id)
            return [Say("Saved for the whole workspace — the CRM reports new deals: " + (
                "on. Nobody is asked the weekly pulse question; the new deals your CRM sends "
                "(POST /hooks/deals/created, or HubSpot) fill each rep's week." if parsed else
                "off. Reps with a confirmed manager get the weekly pulse question again."), tone="success")]
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


async def signals(db: Database, defaults: NewPerson, actor: Actor, value: str) -> list[Any]:
    """`settings signals` lists the thresholds (this workspace's and the defaults); `settings signals <name>
    <value>` changes one ("default" restores it, or removes a stored name this version doesn't know).
    Errors are shown as the thresholds word them."""
    name, _, raw = value.strip().partition(" ")
    name, raw = name.strip().lower().replace("-", "_"), raw.strip()
    async with db.session() as s:
        me = await person_for(s, actor, defaults)
        if not me.is_admin:
            return [Refused(ADMINS_ONLY)]
        stored = await signal_flags.stored_settings(s, workspace_id=me.workspace_id)
        # A stored name this version doesn't know (renamed since, or saved by a newer version before a
        # rollback) is ignored and kept, so it neither blocks a change nor is lost to a rollback; the
        # admin sees it listed and may remove it by name.
        known, unknown = signal_flags.by_name_known(stored)
        if unknown:
            log.info("signal settings of workspace %s: ignored names this version doesn't know: %s",
                     me.workspace_id, ", ".join(repr(k[:40]) for k in sorted(unknown)))
        if not name:
            return [Say(_listing(known, unknown))]
        if not raw:
            return [Say(f"Give a value too: /coach settings signals {name} <number> (or “default”).", tone="error")]
        # Matched as typed names are read (case and "-" aside), so any stored spelling can be removed.
        gone = [k for k in unknown if k.strip().lower().replace("-", "_") == name]
        if gone and raw.lower() in CLEAR:
            rest = {k: v for k, v in stored.items() if k not in gone}
            await signal_flags.save_settings(s, workspace_id=me.workspace_id, settings=rest, by=me.id, now=utcnow())
            log.info("unknown signal setting removed workspace=%s name=%r by=%s", me.workspace_id, name[:40], me.id)
            return [Say(f"Removed {name[:40]} for the whole workspace — this version of coachbot doesn't know that "
                        "setting, so it was ignored anyway. The other thresholds are unchanged.", tone="success")]
        changed = {k: v for k, v in known.items() if k != name}
        if raw.lower() not in CLEAR or name not in RANGES:  # an unknown name is refused below, as it is named
            changed[name] = raw
        try:
            thresholds = Thresholds.from_settings(changed)
        except ThresholdError as exc:
            return [Say("Nothing was changed: " + "; ".join(exc.problems) + ".", tone="error")]
        await signal_flags.save_settings(s, workspace_id=me.workspace_id,
                                         settings={**unknown, **thresholds.to_settings()}, by=me.id, now=utcnow())
        log.info("signal threshold changed workspace=%s name=%s by=%s", me.workspace_id, name, me.id)
        shown = getattr(thresholds, name)
    return [Say(f"Saved for the whole workspace — {name}: {'none' if shown is None else shown}. Signals use it from "
                "their next check (once a working day).", tone="success")]


def _listing(stored: dict[str, Any], unknown: dict[str, Any]) -> str:
    try:
        current = Thresholds.from_settings(stored)
    except ThresholdError:
        current = Thresholds()  # unusable stored values: the defaults are what applies (logged where read)
    default = Thresholds()
    lines = ["Signal thresholds for this workspace (a rep is flagged to their manager at these; change one with "
             "/coach settings signals <name> <value>, or <name> default):"]
    for name, (low, high, meaning) in RANGES.items():
        value, base = getattr(current, name), getattr(default, name)
        mark = "" if value == base else f" (default {'none' if base is None else base})"
        lines.append(f"• {name} = {'none' if value is None else value}{mark} — {meaning}; {low} to {high}")
    for name in sorted(unknown):
        lines.append(f"• {name[:40]} = {str(unknown[name])[:40]} — ignored: this version of coachbot doesn't know "
                     f"this setting (renamed, or saved by another version); remove it with "
                     f"/coach settings signals {name[:40]} default")
    return "\n".join(lines)
