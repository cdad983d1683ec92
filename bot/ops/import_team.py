"""`coachbot import-team FILE.csv`: confirmed reporting lines from the organisation's own data.

Columns: workspace (Slack team id, Teams tenant id, or "demo"), rep and manager (each a platform user
id or an email coachbot knows), and optionally platform (slack, teams, console) when one workspace id
is used on several platforms. Every row is checked before anything is written: one bad row and
nothing is imported, and each problem is reported with its line number and reason.
"""
from __future__ import annotations

import csv
import io
import logging
from datetime import datetime

from sqlalchemy import func, or_, select

from storage import lines
from storage.db import Database
from storage.models import Person, Workspace

log = logging.getLogger("coachbot.lines")
REQUIRED = ("workspace", "rep", "manager")
MAX_ROWS = 100_000


class ImportRefused(Exception):
    """The file can't be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Rollback(Exception):
    pass


async def _workspace(s, ident: str, platform: str) -> Workspace | str:
    q = select(Workspace).where(Workspace.external_id == ident)
    if platform:
        q = q.where(Workspace.platform == platform)
    found = list((await s.execute(q)).scalars())
    if len(found) == 1:
        return found[0]
    if not found:
        return f"no workspace “{ident}”{' on ' + platform if platform else ''} has used coachbot"
    return f"workspace “{ident}” exists on several platforms; add a platform column"


async def _person(s, ws: Workspace, ident: str, role: str) -> Person | str:
    q = select(Person).where(Person.workspace_id == ws.id, or_(Person.platform_user_id == ident,
                                                              func.lower(Person.email) == ident.lower()))
    found = list((await s.execute(q)).scalars())
    if len(found) == 1:
        return found[0]
    if not found:
        return f"the {role} “{ident}” hasn't used coachbot in that workspace yet (no such user id or email)"
    return f"the {role} “{ident}” matches several people; use their user id"


async def import_team(db: Database, text: str, *, now: datetime) -> int:
    """Confirm every line of the CSV, all or nothing; the number of lines that changed."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRefused([f"line 1: the header needs the columns {', '.join(REQUIRED)} (missing: "
                             f"{', '.join(missing)})"])
    reader.fieldnames = header
    problems: list[str] = []
    changed = 0
    try:
        async with db.session() as s:
            for number, row in enumerate(reader, start=2):
                if number > MAX_ROWS:
                    raise ImportRefused([f"line {number}: more than {MAX_ROWS - 1} rows; split the file"])
                why = await _apply(s, {k: (v or "").strip() for k, v in row.items() if k}, now)
                if isinstance(why, str):
                    problems.append(f"line {number}: {why}")
                else:
                    changed += why
            if problems:
                raise _Rollback()
    except _Rollback:
        raise ImportRefused(problems) from None
    return changed


async def _apply(s, row: dict[str, str], now: datetime) -> int | str:
    for column in REQUIRED:
        if not row.get(column):
            return f"the {column} is empty"
    ws = await _workspace(s, row["workspace"], row.get("platform", "").lower())
    if isinstance(ws, str):
        return ws
    rep = await _person(s, ws, row["rep"], "rep")
    manager = await _person(s, ws, row["manager"], "manager")
    for found in (rep, manager):
        if isinstance(found, str):
            return found
    if rep.id == manager.id:
        return f"{row['rep']} can't be their own manager"
    if rep.manager_id == manager.id:
        return 0
    if await lines.manages(s, boss=rep, person=manager):
        return f"{row['manager']} reports to {row['rep']} (directly or further up), so this would make a cycle"
    old = await lines.confirm(s, rep=rep, manager=manager, by=None, how="import", now=now)
    log.info("reporting line changed workspace=%s rep=%s from=%s to=%s by=None how=import", rep.workspace_id,
             rep.id, old, manager.id)
    return 1
