"""Charts of the analyses: drivers (frequency x impact) and groups side by side.

Same rules as ``_charts``: matplotlib's ``Figure`` without pyplot, PNG data
URIs with no variable metadata, the CJK font the report found.
"""

from __future__ import annotations

from typing import Any

from ._aggregate import SENTIMENT_LABELS
from ._charts import COLORS, integer_ticks, png, short, style
from ._fonts import FontChoice
from ._types import Comparison, DriverSummary, ReportData

__all__ = ["render_analysis_charts"]

_LABELLED = 10  # themes per kind named on the drivers chart
_THEMES_COMPARED = 6
_GROUP_COLORS = ("#3d5a80", "#ee6c4d", "#98c1d9", "#6a4c93", "#edae49", "#2e9e6b")


def render_analysis_charts(data: ReportData, font: FontChoice | None) -> dict[str, str]:
    """Chart id -> PNG data URI, for the sections ``_html_analysis`` renders."""
    charts: dict[str, str] = {}
    with style(font):
        if data.drivers is not None and data.drivers.rows:
            charts["drivers"] = _drivers(data.drivers)
        if data.comparison is not None and len(data.comparison.groups) > 1:
            charts["compare"] = _sentiment_by_group(data.comparison)
            themes = _compared_themes(data.comparison)
            if themes:
                charts["compare_themes"] = _themes_by_group(data.comparison, themes)
    return charts


def outcome_label(summary: DriverSummary) -> str:
    """What the drivers' y axis measures."""
    return "mean star rating" if summary.outcome == "rating" else "mean sentiment score"


def _drivers(summary: DriverSummary) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.6), layout="constrained")
    ax = fig.subplots()
    ax.axhline(0, color="#9aa5b1", linewidth=1)
    labelled: list[tuple[float, float, str]] = []
    for kind, color, label in (("complaint", COLORS["negative"], "complaint theme"),
                               ("praise", COLORS["positive"], "praised aspect")):
        rows = [d for d in summary.rows if d.kind == kind]
        if not rows:
            continue
        xs = [100.0 * d.share for d in rows]
        ys = [d.impact for d in rows]
        errors = [[d.impact - d.ci_low for d in rows], [d.ci_high - d.impact for d in rows]]
        ax.errorbar(xs, ys, yerr=errors, fmt="o", color=color, ecolor=color, alpha=0.85,
                    elinewidth=1, capsize=2, markersize=6, label=label)
        labelled += [(x, y, short(d.theme))
                     for d, x, y in list(zip(rows, xs, ys, strict=True))[:_LABELLED]]
    right = max(100.0 * d.share for d in summary.rows) * 1.1
    low = min(min(d.ci_low for d in summary.rows), 0.0)
    high = max(max(d.ci_high for d in summary.rows), 0.0)
    pad = (high - low) * 0.06 or 0.5
    ax.set_xlim(0, right)
    ax.set_ylim(low - pad, high + pad)
    _label_points(ax, labelled, right, low - pad, high + pad)
    ax.set_xlabel("share of reviews mentioning it (%)")
    ax.set_ylabel(f"impact: {outcome_label(summary)}\nwith it minus without it")
    ax.set_title(f"What drives the {'rating' if summary.outcome == 'rating' else 'score'}: "
                 "frequency x impact (bars: 95% bootstrap interval)")
    ax.legend(loc="best", frameon=False, fontsize=8)
    return png(fig)


# Where a label may go, in points from its point: right, then below, above, further.
_OFFSETS = ((5, 3), (5, -11), (5, 15), (-5, -11), (5, -23), (5, 27), (5, -35))


def _label_points(
    ax: Any, points: list[tuple[float, float, str]], right: float, bottom: float, top: float
) -> None:
    """Name each point where its label overlaps no earlier one (greedy, in axes fractions).

    Text sizes are estimated (8 pt, CJK twice as wide as Latin) rather than
    measured: measuring needs a renderer pass per label, and a rough box is
    enough to keep names of nearby themes apart.
    """
    taken: list[tuple[float, float, float, float]] = []
    width_px, height_px = 9 * 110 * 0.82, 4.6 * 110 * 0.75  # the axes, roughly, in pixels
    for x, y, text in sorted(points, key=lambda p: (p[0], p[1])):
        fx, fy = x / right, (y - bottom) / (top - bottom)
        chars = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
        w, h = chars * 5.2 / width_px, 12 / height_px
        for dx, dy in _OFFSETS:
            x0 = fx + dx * 1.53 / width_px - (w if dx < 0 else 0)
            y0 = fy + dy * 1.53 / height_px
            box = (x0, y0, x0 + w, y0 + h)
            if all(box[2] < t[0] or box[0] > t[2] or box[3] < t[1] or box[1] > t[3]
                   for t in taken):
                break
        taken.append(box)
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=8,
                    ha="right" if dx < 0 else "left")


def _group_name(comparison: Comparison, name: str) -> str:
    return short(name) + (" (us)" if name == comparison.us else "")


def _sentiment_by_group(comparison: Comparison) -> str:
    from matplotlib.figure import Figure

    groups = [g for g in comparison.groups if g.analyzed]
    fig = Figure(figsize=(9, 0.9 + 0.42 * len(groups)), layout="constrained")
    ax = fig.subplots()
    ys = list(range(len(groups)))[::-1]
    left = [0.0] * len(groups)
    for label in SENTIMENT_LABELS:
        shares = [100.0 * g.label_counts.get(label, 0) / g.analyzed for g in groups]
        ax.barh(ys, shares, left=left, height=0.6, color=COLORS[label], label=label)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    ax.set_yticks(ys, [_group_name(comparison, g.name) for g in groups])
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of analyzed reviews")
    ax.set_title(f"Sentiment by {comparison.by}")
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=4)
    return png(fig)


def _compared_themes(comparison: Comparison) -> list[str]:
    totals: dict[str, int] = {}
    for g in comparison.groups:
        for theme, reviews in g.complaints.items():
            totals[theme] = totals.get(theme, 0) + reviews
    return sorted(totals, key=lambda t: (-totals[t], t))[:_THEMES_COMPARED]


def _themes_by_group(comparison: Comparison, themes: list[str]) -> str:
    from matplotlib.figure import Figure

    groups = [g for g in comparison.groups if g.analyzed][: len(_GROUP_COLORS)]
    height = 0.8 / len(groups)
    fig = Figure(figsize=(9, 0.9 + 0.16 * len(themes) * len(groups) + 0.2 * len(themes)),
                 layout="constrained")
    ax = fig.subplots()
    base = list(range(len(themes)))[::-1]
    for i, (group, color) in enumerate(zip(groups, _GROUP_COLORS, strict=False)):
        ys = [y + 0.4 - height * (i + 0.5) for y in base]
        shares = [100.0 * group.complaints.get(t, 0) / group.analyzed for t in themes]
        ax.barh(ys, shares, height=height * 0.9,
                color=color, label=_group_name(comparison, group.name))
    ax.set_yticks(base, [short(t) for t in themes])
    ax.set_xlabel("% of the group's analyzed reviews")
    ax.set_title(f"Complaint themes by {comparison.by}")
    integer_ticks(ax.xaxis)
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=len(groups))
    return png(fig)
