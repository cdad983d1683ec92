"""The weekly pulse in the console demo: a rep with a confirmed manager (no plan) is asked, taps a number,
and after "6 or more…" types the exact one."""
from __future__ import annotations

from tests.bot.console.test_demo import CONFIRM, run_demo, stored


def test_the_pulse_takes_a_tap_or_a_typed_number(tmp_path):
    out = run_demo(tmp_path, CONFIRM + ["/clock +7d", "/tap g", "/tap g 700", "/tap g 12", "/tap c"])
    assert "to @alex: Pipeline pulse: how many new opportunities did you open this week?" in out
    assert "[a] 0  [b] 1  [c] 2  [d] 3  [e] 4  [f] 5  [g] 6 or more…" in out
    assert "Type /tap g and the number, e.g. /tap g 7." in out
    assert "whole number from 0 to 500" in out  # 700: refused, nothing recorded
    assert "Noted: 12 new opportunities" in out
    assert "Noted: 2 new opportunities" in out  # answering again replaces the answer
    assert [row[0] for row in stored(tmp_path, "SELECT count FROM opportunity_counts WHERE source = 'pulse'")] == [2]
