"""Texts written once: plans, settings and a team, as neutral lines each transport formats its way.

A line keeps the person's words apart from the markup, so Slack (mrkdwn), Teams (markdown) and the
console each escape and emphasise them once, in their own formatter, and say the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.views import Plans, SettingsView, Team
from flows.dates import format_day

DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}


@dataclass(frozen=True)
class Line:
    """One line: an emphasised `label`, the `text` after it, what kind of line it is, and optionally a
    warning `flag` after the text and `commands` to type, shown the way the transport takes commands."""

    text: str = ""
    label: str = ""
    kind: str = "info"  # "heading" | "field" (label: value) | "item" (a bullet) | "info" | "hint"
    flag: str = ""
    commands: tuple[str, ...] = ()  # e.g. ("talk @name",): "/coach talk @name" where commands are slash commands


def plans_lines(p: Plans) -> list[Line]:
    """Open plans: what the viewer said they would check, then each plan with its items and overdue marks."""
    lines = followup_lines(p.followups)
    if not p.plans:
        return lines + [Line("No open plans. Start one with", commands=("talk @name",))]
    for plan in p.plans:
        lines += plan_lines(plan, p.viewer_id, p.today)
    return lines


def followup_lines(followups) -> list[Line]:
    """What a person said they would check, with the dates they gave (nothing when there is nothing)."""
    if not followups:
        return []
    return [Line(label="To check", kind="heading")] + [
        Line(text + (f" (by {format_day(due)})" if due else ""), kind="item") for text, due in followups]


def plan_lines(plan, viewer_id: int, today: date) -> list[Line]:
    """One plan: who it is with, when it is reviewed, and each item with its due date."""
    head = f"Plan with {plan.rep_name}" if plan.manager_id == viewer_id else f"Your plan with {plan.manager_name}"
    lines = [Line(f"— review {format_day(plan.review_on)}", label=head, kind="heading")]
    overdue = {i.id for i in plan.overdue(today)}
    for item in plan.items:
        due = f"due {format_day(item.due_on)}" if item.due_on else "no date"
        lines.append(Line(f"{item.owner_name}: {item.text} ({due})", kind="item",
                          flag="overdue" if item.id in overdue else ""))
    return lines


def settings_lines(v: SettingsView, *, how_to_change: bool = True) -> list[Line]:
    """A person's delivery settings; `how_to_change` adds how to change them by typing (where there
    is no form for it)."""
    source = "your choice" if v.tz_override else "from your profile"
    lines = [Line(f"{v.tz} ({source})", label="Time zone", kind="field"),
             Line(f"{v.work_start}–{v.work_end}", label="Working hours", kind="field"),
             Line(", ".join(DAY_NAMES[d][:3] for d in v.work_days if d in DAY_NAMES), label="Working days",
                  kind="field")]
    lines.append(Line("fewer: one a day, in the morning" if v.fewer_messages else
                      "up to one in the morning and one in the afternoon", label="Scheduled messages", kind="field"))
    if v.paused_until:
        lines.append(Line(f"{v.paused_until:%Y-%m-%d %H:%M} UTC", label="Paused until", kind="field"))
    if how_to_change:
        lines.append(Line("Change them by typing, e.g.", kind="hint", commands=(
            "settings tz Europe/Berlin", "settings hours 08:30-17:00", "settings days sun,mon,tue,wed,thu",
            "settings fewer on")))
    return lines


def team_lines(t: Team) -> list[Line]:
    """Who reports to a manager (confirmed and pending), whom they report to, and who is waiting for them."""
    lines: list[Line] = []
    if t.my_manager:
        lines.append(Line(f"{t.my_manager} (confirmed)", label="Your manager", kind="field"))
    for name in t.invited_by:
        lines.append(Line(f"{name} (pending: waiting for you) — answer with", label="Your manager", kind="field",
                          commands=("team accept", "team decline")))
    if t.reps:
        lines += [Line(label=f"Your team ({len(t.reps)}):", kind="heading")] + [Line(r, kind="item") for r in t.reps]
    if t.pending:
        lines += [Line(label=f"Invited, not yet accepted ({len(t.pending)}):", kind="heading")]
        lines += [Line(f"{r} (pending)", kind="item") for r in t.pending]
    if not t.reps and not t.pending:
        lines.append(Line("Nobody is on your team yet. Invite reps with", commands=("team add @alex @jo",)))
    return lines


def yes_no(value: Any) -> str | None:
    """A stored yes/no answer as "yes" or "no" (None when it is neither)."""
    if value is True or (isinstance(value, str) and value.lower() in ("yes", "y", "true")):
        return "yes"
    if value is False or (isinstance(value, str) and value.lower() in ("no", "n", "false")):
        return "no"
    return None


def iso_date(value: Any) -> str | None:
    """A stored date answer as YYYY-MM-DD (None when it is not a real date)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None
