"""Charts as PNG bytes (matplotlib, headless): where a picture reads better than a table."""
from __future__ import annotations

import io

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
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)
