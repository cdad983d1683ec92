"""Steps 4-6: options explored, the action plan (owners and due dates) and the review date."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flows.coaching.phrases import split_items
from flows.dates import MAX_AHEAD_DAYS, MAX_AHEAD_WEEKS, find_date, format_day, next_workday
from flows.outputs import Feedback

MAX_ITEMS = 12
MAX_ITEM_CHARS = 300
REVIEW_TOO_FAR_DAYS = 42
VAGUE = re.compile(r"\b(?:try to|try and|more|better|harder|improve|work on|step up|focus on)\b", re.IGNORECASE)


def parse_plan(text: str, today: date, rep: str, manager: str = "") -> tuple[list[dict[str, Any]], list[Feedback]]:
    """Action items from one line each: who owns it ("me:", "I will", "Alex:") and when it is due."""
    items: list[dict[str, Any]] = []
    errors: list[Feedback] = []
    lines = split_items(text)
    if len(lines) > MAX_ITEMS:
        errors.append(Feedback("error", "too_many", f"That is {len(lines)} items; keep the plan to {MAX_ITEMS} "
                               "or fewer so it can actually be followed up."))
        return [], errors
    for line in lines:
        owner, body = _owner(line, rep, manager)
        if len(body) > MAX_ITEM_CHARS:
            errors.append(Feedback("error", "item_too_long", f"“{body[:40]}…” is {len(body)} characters; keep each "
                                   f"item under {MAX_ITEM_CHARS}.", body[:40]))
            continue
        due, phrase = find_date(body, today)
        if due is not None and due < today:
            errors.append(Feedback("error", "past_due", f"“{phrase}” in “{body}” is already past "
                                   f"({format_day(due)}). Pick a date from today on.", phrase))
        elif due is not None and (due - today).days > MAX_AHEAD_DAYS:
            errors.append(Feedback("error", "due_too_far", f"“{phrase}” in “{body}” is {format_day(due)}, more than "
                                   f"{MAX_AHEAD_WEEKS} weeks away. Plan items have to fall within "
                                   f"{MAX_AHEAD_WEEKS} weeks (by {format_day(today + timedelta(days=MAX_AHEAD_DAYS))}); "
                                   "split a longer goal into a first step you can check.", phrase))
        items.append({"owner": owner, "text": body, "due": due.isoformat() if due else None, "due_phrase": phrase})
    if not items and not errors:
        errors.append(Feedback("error", "empty", "Write at least one action item, one per line."))
    return items, errors


def check_plan(items: list[dict[str, Any]], rep: str) -> list[Feedback]:
    """Hints for items without dates, vague items, and a plan where only one side commits (a weekly
    target line is not an action item, so it is left out of these checks)."""
    hints: list[Feedback] = []
    items = [i for i in items if "target" not in i]
    for item in items:
        if not item["due"]:
            hints.append(Feedback("hint", "no_date", f"“{item['text']}” has no date. When will it be done — "
                                  "“by Friday”, “in 2 weeks”, “2026-12-04”?", item["text"]))
        vague = VAGUE.search(item["text"])
        if vague and not re.search(r"\d", item["text"]):
            hints.append(Feedback("hint", "vague", f"“{vague.group(0)}” in “{item['text']}” is hard to check at "
                                  "the review. Say what and how much (e.g. “book 5 discovery calls”).", item["text"]))
    owners = {i["owner"] for i in items}
    if items and "manager" not in owners:
        hints.append(Feedback("hint", "no_manager_item", f"Every item here is for {rep}. The plan runs both ways: "
                              f"what will you do to help? Add a line like “me: sit in on two of {rep}'s calls by Friday”."))
    if items and "rep" not in owners:
        hints.append(Feedback("hint", "no_rep_item", f"Every item here is yours. What has {rep} agreed to do? "
                              f"Add a line like “{rep}: plan 20 prospecting calls for next week”."))
    return hints


def check_options(text: str, rep: str) -> list[Feedback]:
    """Hint when only one option was written down (exploring together usually finds more)."""
    options = [o for item in split_items(text) for o in re.split(r"\bor\b", item) if o.strip()]
    if len(options) < 2:
        return [Feedback("hint", "one_option", f"Only one option is written down. Exploring together usually "
                         f"turns up two or three — what did {rep} suggest, and what else could help?")]
    return []


def suggest_review(today: date) -> date:
    """The default review date: two weeks out, moved to a working day."""
    return next_workday(today + timedelta(days=14))


def check_review(review: date, today: date, items: list[dict[str, Any]]) -> list[Feedback]:
    """An error for a review that isn't in the future or is over 26 weeks away; hints when it precedes
    due items or is far off."""
    if review <= today:
        return [Feedback("error", "not_future", f"The review date has to be after today ({format_day(today)}); "
                         f"{format_day(review)} isn't. Two weeks out ({format_day(suggest_review(today))}) is a good default.")]
    if (review - today).days > MAX_AHEAD_DAYS:
        return [Feedback("error", "review_too_far", f"{format_day(review)} is more than {MAX_AHEAD_WEEKS} weeks away. "
                         f"The review has to be within {MAX_AHEAD_WEEKS} weeks, by "
                         f"{format_day(today + timedelta(days=MAX_AHEAD_DAYS))}; two to four weeks works best.")]
    hints = []
    later = [i for i in items if i.get("due") and date.fromisoformat(i["due"]) > review]
    for item in later:
        hints.append(Feedback("hint", "review_before_due", f"The review ({format_day(review)}) comes before "
                              f"“{item['text']}” is due ({format_day(item['due'])}). Review after it, or bring the item forward.",
                              item["text"]))
    if (review - today).days > REVIEW_TOO_FAR_DAYS:
        hints.append(Feedback("hint", "review_far", f"{format_day(review)} is {(review - today).days} days away. "
                              "Momentum fades fast after a hard talk; a review within two to four weeks keeps it alive."))
    return hints


def _owner(line: str, rep: str, manager: str) -> tuple[str, str]:
    rep_names = {n.lower() for n in (rep, rep.lstrip("@"), rep.split()[0] if rep.split() else rep) if n}
    m = re.match(r"^\s*(@?[\w.\-]+)\s*[:\-–]\s+(.*)$", line, re.DOTALL)
    if m:
        who = m.group(1).lower().lstrip("@")
        if who in ("me", "i", "manager", "mgr", "myself", manager.lower().lstrip("@")):
            return "manager", m.group(2).strip()
        if who in ("rep", "you") or who in rep_names:
            return "rep", m.group(2).strip()
    if re.match(r"^\s*(?:i|we)(?:'ll|’ll| will| am going to|'m going to| shall)\b", line, re.IGNORECASE):
        return "manager", line.strip()
    return "rep", line.strip()
