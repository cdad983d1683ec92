"""When a decline becomes a flag: per-workspace thresholds with sensible defaults, validated."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

# name: (lowest, highest, what it means) — the ranges keep a typo from silencing or flooding a team.
RANGES: dict[str, tuple[int, int, str]] = {
    "falling_weeks": (2, 8, "weeks in a row that new opportunities fell"),
    "min_weekly_opportunities": (1, 1000, "the plan's target of new opportunities a week"),
    "below_target_weeks": (1, 8, "answered weeks in a row below that target"),
    "same_cause_losses": (2, 10, "lost deals with the same main reason"),
    "same_cause_window_weeks": (1, 13, "within this many weeks"),
    "stuck_answers": (1, 10, "“stuck” or “could use a hand” answers"),
    "stuck_window_weeks": (1, 8, "within this many weeks"),
    "overdue_actions": (1, 20, "the rep's actions past their due date"),
    "unanswered_checkins": (1, 10, "check-ins in a row with no answer"),
    "days_since_manager_checkin": (3, 90, "days without a check-in from the manager"),
    "manager_missed_commitments": (1, 10, "the manager's commitments to the rep past their due date"),
}
OPTIONAL = frozenset({"min_weekly_opportunities"})  # None: no target set


class ThresholdError(ValueError):
    """Workspace settings that cannot be used; `problems` names each one."""

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Thresholds:
    """The points at which a rep is flagged. At the threshold a flag is weak; one step past it, strong."""

    falling_weeks: int = 3
    min_weekly_opportunities: int | None = None
    below_target_weeks: int = 2
    same_cause_losses: int = 2
    same_cause_window_weeks: int = 2
    stuck_answers: int = 2
    stuck_window_weeks: int = 2
    overdue_actions: int = 2
    unanswered_checkins: int = 3
    days_since_manager_checkin: int = 14
    manager_missed_commitments: int = 1

    def __post_init__(self) -> None:
        problems = [p for f in fields(self) if (p := _problem(f.name, getattr(self, f.name)))]
        if problems:
            raise ThresholdError(problems)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "Thresholds":
        """Thresholds from a workspace's stored settings; missing keys keep their defaults."""
        if settings is None:
            return cls()
        if not isinstance(settings, Mapping):
            kind = type(settings).__name__
            raise ThresholdError([f"signal settings must be a mapping of names to numbers, not {kind}"])
        problems, values = [], {}
        for key, raw in settings.items():
            if key not in RANGES:
                problems.append(f"unknown signal setting {key!r} (known: {', '.join(RANGES)})")
                continue
            value = _number(raw)
            problem = _problem(key, value, raw)
            if problem:
                problems.append(problem)
            else:
                values[key] = value
        if problems:
            raise ThresholdError(problems)
        return cls(**values)

    def to_settings(self) -> dict[str, int | None]:
        """The values that differ from the defaults, ready to store."""
        default = Thresholds()
        return {f.name: value for f in fields(self)
                if (value := getattr(self, f.name)) != getattr(default, f.name)}


def _number(raw: Any) -> Any:
    # An admin's typed "3" is meant as 3; anything else is judged as it came.
    text = raw.strip() if isinstance(raw, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= 6:  # "²" is a digit to isdigit, not to int
        return int(text)
    return raw


def _problem(key: str, value: Any, raw: Any = None) -> str | None:
    low, high, meaning = RANGES[key]
    shown = value if raw is None else raw
    if value is None and key in OPTIONAL:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{key} ({meaning}) must be a whole number from {low} to {high}, not {shown!r}"
    if not low <= value <= high:
        return f"{key} ({meaning}) must be from {low} to {high}, not {value}"
    return None
