"""The report's charts: matplotlib (Agg, no pyplot), returned as PNG data URIs.

Imported only when a report is rendered to HTML, so ``import wom_sdk`` never
loads matplotlib. Figures are built with ``matplotlib.figure.Figure`` directly:
pyplot would keep global figure state and pick a GUI backend.

PNG output is byte-for-byte reproducible: Agg rasterizes deterministically and
the only variable metadata (the "Software" tag naming the matplotlib version)
is dropped.
"""

from __future__ import annotations

import base64
import io
import itertools
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._fonts import FontChoice
from ._types import ReportData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["COLORS", "integer_ticks", "png", "render_charts", "short", "style"]

COLORS = {
    "positive": "#2e9e6b",
    "negative": "#d1495b",
    "neutral": "#8d99ae",
    "mixed": "#edae49",
    "accent": "#3d5a80",
    "weighted": "#ee6c4d",
}
_DPI = 110
_LABEL_CHARS = 28


def render_charts(data: ReportData, font: FontChoice | None) -> dict[str, str]:
    """Chart id -> ``data:image/png;base64,...``; charts without data are left out."""
    charts: dict[str, str] = {}
    with _style(font):
        charts["sentiment"] = _sentiment(data)
        if data.categories:
            charts["categories"] = _categories(data)
        if data.top_aspects:
            charts["aspects"] = _bars(
                [a for a, _ in data.top_aspects],
                [c for _, c in data.top_aspects],
                title="Most frequent complaint aspects (normalized)",
                xlabel="complaints",
            )
        if len(data.products) > 1:
            products = [p for p in data.products if p.negative_share is not None][:15]
            charts["products"] = _bars(
                [p.product for p in products],
                [100.0 * (p.negative_share or 0.0) for p in products],
                title="Share of negative reviews per product (%)",
                xlabel="% negative",
                color=COLORS["negative"],
                counts=False,
            )
        if len(data.weeks) > 1:
            charts["weeks"] = _weeks(data)
    return charts


@contextmanager
def _style(font: FontChoice | None) -> Iterator[None]:
    import matplotlib

    # Any-keyed: matplotlib types rc keys as a Literal of every known name.
    rc: dict[Any, Any] = {
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "axes.titlesize": 10,
        "svg.hashsalt": "wom-sdk",
        "path.simplify": True,
    }
    if font is not None:
        # DejaVu Sans stays as a fallback for symbols some CJK fonts lack.
        rc["font.family"] = [font.family, "DejaVu Sans"]
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        if font is None:
            # The report already says no CJK font was found; one warning per
            # missing glyph would only bury the user's console.
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from font")
        yield


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _integer_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    # Counts are whole reviews: "0.25 complaints" ticks read as a bug.
    axis.set_major_locator(MaxNLocator(integer=True))


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _sentiment(data: ReportData) -> str:
    from matplotlib.figure import Figure

    s = data.sentiment
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 2])
    labels = list(s.label_counts)
    counts = [s.label_counts[label] for label in labels]
    left.bar(labels, counts, color=[COLORS.get(label, COLORS["accent"]) for label in labels])
    left.set_title("Sentiment labels")
    _integer_ticks(left.yaxis)
    left.set_ylabel("reviews")
    for i, n in enumerate(counts):
        left.annotate(f"{n:,}", (i, n), ha="center", va="bottom", fontsize=8)

    edges = s.bin_edges
    centers = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    width = edges[1] - edges[0]
    colors = [
        COLORS["negative"] if c < -0.2 else COLORS["positive"] if c > 0.2 else COLORS["neutral"]
        for c in centers
    ]
    right.bar(centers, s.histogram, width=width * 0.92, color=colors)
    right.set_xlim(-1, 1)
    _integer_ticks(right.yaxis)
    right.set_title("Sentiment score histogram (-1 very negative … +1 very positive)")
    right.set_xlabel("score")
    right.set_ylabel("reviews")
    if s.mean_score is not None:
        right.axvline(s.mean_score, color="#333333", linestyle="--", linewidth=1)
        right.annotate(
            f"mean {s.mean_score:+.2f}",
            (s.mean_score, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            fontsize=8,
        )
    return _png(fig)


def _categories(data: ReportData) -> str:
    from matplotlib.figure import Figure

    cats = data.categories[:12]
    names = [_short(c.category) for c in cats][::-1]
    fig = Figure(figsize=(9, 0.5 + 0.32 * len(cats)), layout="constrained")
    ax = fig.subplots()
    ys = list(range(len(cats)))
    ax.barh(
        [y + 0.2 for y in ys],
        [c.mentions for c in cats][::-1],
        height=0.4,
        color=COLORS["accent"],
        label="complaints",
    )
    ax.barh(
        [y - 0.2 for y in ys],
        [c.weighted for c in cats][::-1],
        height=0.4,
        color=COLORS["weighted"],
        label="severity-weighted (low 1, medium 2, high 3)",
    )
    ax.set_yticks(ys, names)
    ax.set_title("Complaint themes")
    _integer_ticks(ax.xaxis)
    ax.legend(loc="lower right", frameon=False)
    return _png(fig)


def _bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    color: str = COLORS["accent"],
    counts: bool = True,
) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 0.5 + 0.3 * len(labels)), layout="constrained")
    ax = fig.subplots()
    ys = list(range(len(labels)))
    ax.barh(ys, list(values)[::-1], color=color, height=0.6)
    ax.set_yticks(ys, [_short(label) for label in labels][::-1])
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    if counts:
        _integer_ticks(ax.xaxis)
    return _png(fig)


def _weeks(data: ReportData) -> str:
    from matplotlib.figure import Figure

    weeks = data.weeks
    xs = list(range(len(weeks)))
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.subplots()
    volume = ax.twinx()
    volume.bar(xs, [w.analyzed for w in weeks], color="#d9e2ec", width=0.7, zorder=0)
    volume.set_ylabel("analyzed reviews")
    _integer_ticks(volume.yaxis)
    volume.spines["right"].set_visible(True)
    ax.set_zorder(volume.get_zorder() + 1)
    ax.patch.set_visible(False)

    def pct(values: Sequence[float | None]) -> list[float]:
        return [100.0 * v if v is not None else float("nan") for v in values]

    ax.plot(
        xs,
        pct([w.negative_share for w in weeks]),
        color=COLORS["negative"],
        marker="o",
        linewidth=2,
        label="negative reviews",
    )
    palette = ["#3d5a80", "#98c1d9", "#ee6c4d", "#6a4c93"]
    for color, cat in zip(palette, data.categories[:4], strict=False):
        shares = [
            w.categories.get(cat.category, 0) / w.analyzed if w.analyzed else None for w in weeks
        ]
        ax.plot(xs, pct(shares), color=color, linewidth=1.2, marker=".", label=_short(cat.category))
    index = {w.week: i for i, w in enumerate(weeks)}
    alert_x = sorted({index[a.week] for a in data.alerts if a.week in index})
    for x in alert_x:
        ax.axvline(x, color=COLORS["negative"], alpha=0.25, linewidth=6, zorder=0)
    ax.set_xticks(xs, [w.label for w in weeks], rotation=45, ha="right")
    ax.set_ylabel("% of analyzed reviews")
    ax.set_ylim(bottom=0)
    ax.set_title(
        "Weekly share of negative reviews and top complaint themes"
        + (" (shaded: alert weeks)" if alert_x else "")
    )
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=5)
    return _png(fig)


#: The building blocks, for the modules that draw more charts (``_charts_analysis``).
integer_ticks, png, short, style = _integer_ticks, _png, _short, _style
