"""The architecture holds: import-linter's contracts (pyproject.toml), and modules one can hold in mind."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 4


def test_one_road_creates_people():
    # Everyone coachbot meets starts with the configured hours, days and zone: only bot/core/identity.py
    # may create a person, whichever part of the app meets them first.
    creators = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bot").rglob("*.py")
                      if "get_or_create_person(" in p.read_text())
    assert creators == ["bot/core/identity.py"]


LONGEST = 300  # lines: a module one can hold in mind


def test_every_module_of_the_app_is_small_enough_to_hold_in_mind():
    long = {str(p.relative_to(ROOT)): n for p in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "flows").rglob("*.py"),
                                                  *(ROOT / "storage").rglob("*.py")]
            if (n := len(p.read_text().splitlines())) >= LONGEST}
    assert not long, f"split these along a seam that shows: {long}"
