"""The console's simulated clock is bounded: one command cannot make the demo run for hours."""
from __future__ import annotations

import time

from tests.bot.console.test_demo import run_demo
from tests.support.evidence import attempted


def test_moving_the_clock_years_ahead_is_refused_with_the_limit(tmp_path):
    began = time.monotonic()
    out = run_demo(tmp_path, ["/clock +9999w", "/clock +91d", "/whoami"])
    took = time.monotonic() - began
    refused = out.count("at most 90 days at a time") == 2 and took < 60
    attempted("console clock moved years ahead", refused)
    assert refused, (took, out[-600:])
