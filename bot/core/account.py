"""A person's own settings: time zone, working hours and days, pause and resume; and their home view."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core import workspace_settings
from bot.core.clock import parse_duration
from bot.core.commands import Command, PersonRef, usage_line
from bot.core.identity import Actor, NewPerson, effective_tz, person_for, zone_of
from bot.core.views import Home, RepStatus, SettingsView, Unfinished
from flows.cadence import DAY_CODES as DAYS
from flows.dates import format_day, known_zone, parse_date
from flows.engine import FlowState
from flows.outputs import Say
from storage import checkins, nudges, people, retros, sessions, talks
from storage.crypto import NotesCipher
from storage.db import Database
from storage.models import Person

MAX_PAUSE = timedelta(days=90)


class AccountService:
    def __init__(self, db: Database, cipher: NotesCipher, clock, *, defaults: NewPerson):
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.defaults = defaults

    async def remember_chat(self, actor: Actor, ref: str) -> bool:
        """Store how to reach the actor in a private chat later (Teams' conversation reference); True when
        the actor could not be reached before (the chat is new, or the app was added again)."""
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            if me.chat_ref is None and await people.open_chat(s, person_id=me.id, ref=ref):
                return True
            await people.set_chat_ref(s, person=me, ref=ref)
            return False

    async def note_zone(self, actor: Actor, tz: str) -> None:
        """The time zone a person's client reports (Teams' localTimezone), kept when it is a real zone."""
        if known_zone(tz) is None:
            return
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            if me.tz != tz:
                me.tz = tz
                s.add(me)

    async def chat_of(self, actor: Actor) -> str | None:
        """The stored private-chat reference of a person, if they have ever chatted with the bot."""
        async with self.db.session() as s:
            known = await people.find_person(s, platform=actor.platform, workspace=actor.workspace, user=actor.user)
            return known.chat_ref if known else None

    async def people_named(self, actor: Actor, name: str) -> list[PersonRef]:
        """People of the actor's own workspace called `name` (full or first name), never the actor."""
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            found = await people.matching_name(s, workspace_id=me.workspace_id, name=name, exclude=me.id)
            return [PersonRef(p.platform_user_id, p.name) for p in found]

    async def settings(self, actor: Actor) -> SettingsView:
        """The actor's current settings."""
        async with self.db.session() as s:
            return _view(await person_for(s, actor, self.defaults))

    async def update_settings(
        self, actor: Actor, *, tz: str | None = None, clear_tz: bool = False, work_start: str | None = None,
        work_end: str | None = None, work_days: list[str] | None = None, fewer_messages: bool | None = None,
    ) -> dict[str, str]:
        """Validate and store new settings; returns problems by field name (empty when saved)."""
        errors: dict[str, str] = {}
        if tz and known_zone(tz.strip()) is None:
            errors["tz"] = f"“{tz[:60]}” isn't a time zone I know. Use a name like Europe/Berlin or America/New_York."
        start, end = work_start, work_end
        if start and end and _minutes(start) >= _minutes(end):
            errors["work_end"] = f"The working day has to end after it starts ({start} → {end})."
        if work_days is not None:
            bad = [d for d in work_days if d not in DAYS]
            if bad or not work_days:
                errors["work_days"] = "Pick at least one working day."
        if errors:
            return errors
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            if clear_tz:
                me.tz_override = None
            elif tz:
                me.tz_override = tz.strip()
            me.work_start = start or me.work_start
            me.work_end = end or me.work_end
            if work_days is not None:
                me.work_days = ",".join(d for d in DAYS if d in work_days)
            if fewer_messages is not None:
                me.fewer_messages = fewer_messages
            s.add(me)
        return {}

    async def settings_command(self, actor: Actor, cmd: Command, channel: str | None = None) -> list:
        """`settings` shows them; `settings tz|hours|days <value>` changes one (for text-only clients)."""
        if not cmd.args:
            return [await self.settings(actor)]
        field, value = cmd.args[0].lower(), " ".join(cmd.args[1:])
        if field in ("tz", "timezone") and value:
            errors = await self.update_settings(actor, tz=value) if value != "auto" else \
                await self.update_settings(actor, clear_tz=True)
        elif field == "hours" and "-" in value:
            start, _, end = value.partition("-")
            try:
                errors = await self.update_settings(actor, work_start=_clock(start), work_end=_clock(end))
            except ValueError as exc:
                errors = {"hours": str(exc)}
        elif field == "days" and value:
            errors = await self.update_settings(actor, work_days=_days(value))
        elif field == "fewer" and value.lower() in ("on", "off"):
            errors = await self.update_settings(actor, fewer_messages=value.lower() == "on")
        elif field in workspace_settings.FIELDS and (value or field == "signals"):
            return await workspace_settings.change(self.db, self.defaults, actor, field, value, now=self.clock.now())
        else:
            return [Say("Usage: /coach settings — or change one: /coach settings tz Europe/Berlin · "
                        "/coach settings hours 08:30-17:00 · /coach settings days sun-thu · "
                        "/coach settings fewer on|off (one scheduled message a day) (workspace admins also: "
                        "/coach settings checkin-days 1,3,7,14 · /coach settings holidays 2026-12-24,2026-12-25 · "
                        "/coach settings signals falling_weeks 3 · /coach settings crm-new-deals on)",
                        tone="error")]
        if errors:
            return [Say(" ".join(errors.values()), tone="error")]
        return [Say("Saved.", tone="success"), await self.settings(actor)]

    async def pause(self, actor: Actor, cmd: Command, channel: str | None = None) -> list:
        """Stop nudges for a while: `pause 2w`, `pause 3d`, `pause until 2026-12-10`."""
        now = self.clock.now()
        text = " ".join(cmd.args).strip()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            until = _pause_until(text, now, zone_of(me))
            if until is None:
                return [Say(f"I couldn't read “{text}” as a pause. {usage_line('pause')}", tone="error")]
            if until - now > MAX_PAUSE:
                return [Say("A pause can last 90 days at most; for longer, ask your admin to opt you out.", tone="error")]
            me.paused_until = until
            s.add(me)
            local = until.astimezone(zone_of(me))
        return [Say(f"Paused until {format_day(local.date())} {local:%H:%M}. I won't nudge you before then; "
                    "/coach resume turns nudges back on early.", tone="success")]

    async def resume(self, actor: Actor, cmd: Command, channel: str | None = None) -> list:
        """Turn nudges back on."""
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            was = me.paused_until
            me.paused_until = None
            s.add(me)
        if was is None or was <= self.clock.now():
            return [Say("You weren't paused — nudges are on.")]
        return [Say("Welcome back — nudges are on again.", tone="success")]

    async def home(self, actor: Actor) -> Home:
        """The data for a person's home tab."""
        now = self.clock.now()
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            plans = await talks.open_plans(s, self.cipher, viewer=me)
            reps = await people.reps_of(s, manager=me)
            last_check = await checkins.last_checkins(s, workspace_id=me.workspace_id, rep_ids=[r.id for r in reps])
            last_talk = {p.rep_id: p.created_at for p in plans if p.manager_id == me.id}
            open_reps = {p.rep_id for p in plans if p.manager_id == me.id}
            statuses = tuple(
                RepStatus(r.id, r.platform_user_id, r.name, _latest(last_check.get(r.id), last_talk.get(r.id)),
                          r.id in open_reps)
                for r in reps
            )
            unfinished = []
            for row in await sessions.active_sessions(s, workspace_id=me.workspace_id, user_id=me.id):
                state = FlowState.from_dict(sessions.load_state(self.cipher, row))
                unfinished.append(Unfinished(row.id, row.flow, str(state.params.get("rep") or state.params.get("manager")
                                                                     or ""), row.step, row.updated_at))
            today = now.astimezone(zone_of(me)).date()
            waiting = tuple((r.id, r.deal_name) for r in await retros.pending_for(s, rep=me))
            followups = tuple(await retros.open_followups(s, self.cipher, person=me))
            upcoming = await nudges.next_due(s, recipient_id=me.id, kind="checkin_rep")
            return Home(
                viewer_id=me.id, name=me.name, today=today,
                leading=tuple(p for p in plans if p.manager_id == me.id),
                own=tuple(p for p in plans if p.rep_id == me.id),
                reps=statuses, unfinished=tuple(unfinished), waiting_retros=waiting, followups=followups,
                next_checkin=upcoming.astimezone(zone_of(me)) if upcoming else None,
            )


def _view(p: Person) -> SettingsView:
    return SettingsView(tz=effective_tz(p), profile_tz=p.tz, tz_override=p.tz_override, work_start=p.work_start,
                        work_end=p.work_end, work_days=tuple(p.work_days.split(",")), paused_until=p.paused_until,
                        fewer_messages=p.fewer_messages)


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _clock(text: str) -> str:
    text = text.strip()
    h, _, m = text.partition(":")
    digits = h.isascii() and m.isascii() and h.isdigit() and (m.isdigit() or m == "")  # not '²', which int() refuses
    if not (digits and 0 <= int(h) < 24 and 0 <= int(m or 0) < 60):
        raise ValueError(f"“{text}” isn't a time like 08:30.")
    return f"{int(h):02d}:{int(m or 0):02d}"


def _days(text: str) -> list[str]:
    text = text.lower().replace(" ", "")
    if "-" in text and "," not in text:
        a, _, b = text.partition("-")
        if a[:3] in DAYS and b[:3] in DAYS:
            i, j = DAYS.index(a[:3]), DAYS.index(b[:3])
            return [DAYS[(i + k) % 7] for k in range((j - i) % 7 + 1)]
    return [d[:3] for d in text.split(",") if d]


def _pause_until(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    text = text.removeprefix("until").removeprefix("for").strip()
    if not text:
        return None
    delta = parse_duration(text)
    if delta is not None:
        return now + delta
    day = parse_date(text, now.astimezone(tz).date())
    if day is None or day <= now.astimezone(tz).date():
        return None
    return datetime.combine(day, time(0, 0), tz).astimezone(now.tzinfo)
