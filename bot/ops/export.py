"""CSV exports for analysis in a spreadsheet."""
from __future__ import annotations

import csv
import io
from datetime import date

from flows.retro import REASON_LABELS
from storage import retros
from storage.db import Database

RETRO_COLUMNS = ["retrospective_id", "lost_on", "deal", "amount", "rep", "manager", "status", "primary_reason",
                 "secondary_reasons", "shared_with", "source", "completed_at"]


class ExportError(ValueError):
    """The export can't run as asked; the message says what to change."""


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet won't run as a formula (deal names come from users and CRMs)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def retros_csv(db: Database, *, since: date, workspace: str | None = None) -> str:
    """All retrospectives lost since `since` in one workspace ("slack:T123"; optional when there is one)."""
    async with db.session() as s:
        spaces = await retros.workspaces_with_retros(s)
        if workspace:
            platform, _, external = workspace.partition(":")
            chosen = [w for w in spaces if w.platform == platform and w.external_id == external]
            if not chosen:
                raise ExportError(f"no retrospectives in workspace {workspace}; known: "
                                  + (", ".join(f"{w.platform}:{w.external_id}" for w in spaces) or "none"))
        elif len(spaces) > 1:
            raise ExportError("several workspaces have retrospectives; pick one with --workspace: "
                              + ", ".join(f"{w.platform}:{w.external_id}" for w in spaces))
        else:
            chosen = spaces
        rows = await retros.export_rows(s, workspace_id=chosen[0].id, since=since) if chosen else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RETRO_COLUMNS)
    for r, rep, manager in rows:
        writer.writerow([safe_cell(v) for v in (
            r.id, r.lost_on.isoformat(), r.deal_name, f"{r.amount:.2f}" if r.amount is not None else "", rep, manager,
            r.status, REASON_LABELS.get(r.primary_reason or "", ""),
            "; ".join(REASON_LABELS.get(x, x) for x in r.secondary_reasons.split(",") if x),
            r.share_scope if r.status == "done" else "", r.source,
            r.completed_at.isoformat() if r.completed_at else "")])
    return out.getvalue()
