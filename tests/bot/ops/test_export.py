"""`coachbot export retros` as a user runs it: a CSV they can open in a spreadsheet."""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from tests.bot.console.test_demo import run_demo

COACHBOT = Path(sys.executable).with_name("coachbot")


def export(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "DATABASE_URL"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'coachbot.db'}"
    cmd = [str(COACHBOT)] if COACHBOT.exists() else [sys.executable, "-m", "bot"]
    return subprocess.run([*cmd, "export", "retros", *args], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=120)


def test_export_retros_as_csv(tmp_path):
    run_demo(tmp_path, [
        "/coach team add @alex", "/as @alex", "/coach team accept", "/as @sam", "/coach lost =HYPERLINK(evil) 12k @alex", "/coach lost Globex @alex",
        "/as @alex", "/coach retro", "1", "", "1", "2", "1", "Proposal", "", "2", "3",
        "I will confirm the budget before the proposal", "", "",
    ])
    done = export(tmp_path, "--since", "2020-01-01")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["deal"] for r in rows] == ["'=HYPERLINK(evil)", "Globex"]  # a formula is neutralised
    first = rows[0]
    assert (first["amount"], first["rep"], first["manager"], first["status"], first["primary_reason"]) == \
        ("12000.00", "Alex", "Sam", "done", "Price")
    assert rows[1]["status"] == "pending" and rows[1]["primary_reason"] == ""
    out = tmp_path / "retros.csv"
    assert export(tmp_path, "--since", "2020-01-01", "-o", str(out)).returncode == 0
    assert out.read_text().startswith("retrospective_id,lost_on,deal")
    assert "2 retrospectives" in export(tmp_path, "--since", "2020-01-01", "-o", str(out)).stderr


def test_export_refuses_bad_arguments_with_a_reason(tmp_path):
    bad_date = export(tmp_path, "--since", "last year")
    assert bad_date.returncode == 2 and "--since must be a date" in bad_date.stderr
    bad_format = export(tmp_path, "--since", "2026-01-01", "--format", "xlsx")
    assert bad_format.returncode == 2 and "only csv" in bad_format.stderr
    unknown = export(tmp_path, "--since", "2026-01-01", "--workspace", "slack:T404")
    assert unknown.returncode == 2 and "no retrospectives in workspace slack:T404" in unknown.stderr
