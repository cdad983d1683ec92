"""Reading the file of `coachbot import-team FILE.csv`: reporting lines from the organisation's own data.

Columns: workspace (Slack team id, Teams tenant id, or "demo"), rep and manager (each a platform user
id or an email coachbot knows), optionally platform (slack, teams, console) when one workspace id is
used on several platforms, and rep_name / manager_name: the name to show for someone coachbot hasn't
met yet (until the platform says who they are). Here the file is only read and each row checked for
what it says on its own; bot.core.org_lines confirms the lines, all or nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

REQUIRED = ("workspace", "rep", "manager")
MAX_ROWS = 100_000
NAME_MAX = 200  # people.name


class ImportRefused(Exception):
    """The file can't be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Row:
    """One row of the file, trimmed, with its line number."""

    number: int
    workspace: str
    platform: str
    rep: str
    manager: str
    rep_name: str = ""
    manager_name: str = ""


def read_rows(text: str) -> tuple[list[Row], list[tuple[int, str]]]:
    """The rows of the file and the problems of single rows (line number, reason); ImportRefused when
    the file as a whole can't be read (no such columns, too many rows)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused([f"line 1: the header needs the columns {', '.join(REQUIRED)} (missing: "
                             f"{', '.join(missing)})"])
    reader.fieldnames = header
    rows: list[Row] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(reader, start=2):
        if number > MAX_ROWS:
            raise ImportRefused([f"line {number}: more than {MAX_ROWS - 1} rows; split the file"])
        row = {k: (v or "").strip() if isinstance(v, str) else "" for k, v in raw.items() if k}
        empty = next((c for c in REQUIRED if not row.get(c)), None)
        if empty:
            problems.append((number, f"the {empty} is empty"))
            continue
        long = next((c for c in ("rep_name", "manager_name") if len(row.get(c, "")) > NAME_MAX), None)
        if long:
            problems.append((number, f"the {long} is longer than {NAME_MAX} characters"))
            continue
        rows.append(Row(number, row["workspace"], row.get("platform", "").lower(), row["rep"], row["manager"],
                        row.get("rep_name", ""), row.get("manager_name", "")))
    return rows, problems
