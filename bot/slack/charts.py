"""Charts as PNG bytes (matplotlib, headless): where a picture reads better than a table."""
from __future__ import annotations

import io

from typing import Sequence

from flows.prospecting import NO_ANSWER, Week
from flows.report import Report


def reasons_chart(report: Report) -> bytes:
    """Horizontal bars of each loss reason's share, this period against the previous one."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    reasons = list(reversed(report.reasons))
    labels = [r.label for r in reasons]
    now = [r.share * 100 for r in reasons]
    before = [r.previous_share * 100 for r in reasons]
    fig, ax = plt.subplots(figsize=(7, 0.5 * max(len(reasons), 2) + 1.2), dpi=120)
    try:
        ys = range(len(reasons))
        ax.barh([y + 0.2 for y in ys], now, height=0.4, color="#1f6feb", label=f"{report.period.label} ({report.total})")
        if report.previous_total:
            ax.barh([y - 0.2 for y in ys], before, height=0.4, color="#c9d1d9",
                    label=f"the period before ({report.previous_total})")
        ax.set_yticks(list(ys), labels)
        ax.set_xlabel("share of lost deals (%)")
        ax.set_xlim(0, max([*now, *before, 10]) * 1.15)
        for y, value in zip(ys, now):
            ax.text(value + 0.5, y + 0.2, f"{value:.0f}%", va="center", fontsize=8)
        ax.set_title("Why deals were lost", loc="left", fontsize=11)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        return _png(fig, ax)
    finally:
        plt.close(fig)


def target_chart(weeks: Sequence[Week], target: int) -> bytes:
    """Bars of new opportunities per week since the talk with the plan's weekly target as a line; a week
    with no answer gets no bar and a "—" (it is not a zero). The same numbers go out as text beside it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(max(3.2, 0.7 * len(weeks) + 1.6), 2.4), dpi=120)
    try:
        xs = range(len(weeks))
        counts = [w.count or 0 for w in weeks]
        colours = ["#1f6feb" if (w.count or 0) >= target else "#8c959f" for w in weeks]
        ax.bar(list(xs), counts, color=colours, width=0.6)
        ax.axhline(target, color="#cf222e", linewidth=1.2, linestyle="--", label=f"target {target} a week")
        for x, w in zip(xs, weeks):
            ax.text(x, (w.count or 0) + 0.1, NO_ANSWER if w.count is None else str(w.count), ha="center",
                    va="bottom", fontsize=8)
        ax.set_xticks(list(xs), [f"{w.start.day} {w.start:%b}" for w in weeks], fontsize=8)
        ax.set_ylim(0, max([*counts, target]) * 1.25 + 0.5)
        ax.set_title("New opportunities a week", loc="left", fontsize=10)
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        return _png(fig, ax)
    finally:
        plt.close(fig)


def _png(fig, ax) -> bytes:
    """The chart as PNG bytes, in the plain frame every chart here uses."""
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
