"""Word-of-mouth reports: what customers complain about, praise, and when it changed.

>>> from wom_sdk.report import build_report, read_results
>>> report = build_report(read_results("out.jsonl"))  # doctest: +SKIP
>>> report.write("report.html")                         # doctest: +SKIP

The input is streamed: memory holds counters and a few quotes, not the
insights, so a report on 100,000 reviews is made in seconds. The HTML is one
self-contained file (charts embedded as PNG, CSS inline, no network), and the
same input gives byte-identical output.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from ..io._results import RecordError, ResultRecord, coerce_record, read_results
from ._aggregate import Aggregator
from ._trend import Alert, TrendRule
from ._types import (
    AspectCluster,
    CategorySummary,
    ProductSummary,
    Quote,
    ReportData,
    SentimentSummary,
    Totals,
    WeekSummary,
)

__all__ = [
    "Alert",
    "AspectCluster",
    "CategorySummary",
    "EmbedFunction",
    "ProductSummary",
    "Quote",
    "RecordError",
    "Report",
    "ReportData",
    "ResultRecord",
    "SentimentSummary",
    "Totals",
    "TrendRule",
    "WeekSummary",
    "build_report",
    "read_results",
]

#: ``embed(texts) -> one vector per text``, e.g. a call to an ``/embeddings`` endpoint.
EmbedFunction = Callable[[list[str]], Sequence[Sequence[float]]]

DEFAULT_TITLE = "Word-of-mouth report"


class Report:
    """A finished report: the numbers (``.data`` and shortcuts) and its renderings."""

    def __init__(
        self,
        data: ReportData,
        *,
        title: str = DEFAULT_TITLE,
        font: str | os.PathLike[str] | None = None,
    ) -> None:
        self.data = data
        self.title = title
        self.font = font
        self._charts: dict[str, str] | None = None
        self._font_notes: list[str] = []

    @property
    def totals(self) -> Totals:
        return self.data.totals

    @property
    def sentiment(self) -> SentimentSummary:
        return self.data.sentiment

    @property
    def categories(self) -> tuple[CategorySummary, ...]:
        """Complaint themes, most complained about first."""
        return self.data.categories

    @property
    def products(self) -> tuple[ProductSummary, ...]:
        return self.data.products

    @property
    def weeks(self) -> tuple[WeekSummary, ...]:
        return self.data.weeks

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return self.data.alerts

    @property
    def praise(self) -> tuple[Quote, ...]:
        return self.data.praise

    def to_html(self) -> str:
        """One self-contained HTML page (needs matplotlib: the ``report`` extra)."""
        return self._render_html(fragment=False)

    def to_markdown(self) -> str:
        """The same content as Markdown, without images (no matplotlib needed)."""
        from ._markdown import render_markdown

        return render_markdown(self.data, title=self.title)

    def write(
        self, path: str | os.PathLike[str], format: Literal["html", "md"] | None = None
    ) -> Path:
        """Write the report; ``format`` defaults to "md" for a ``.md`` path, else "html"."""
        target = Path(path)
        fmt = format or ("md" if target.suffix.lower() in {".md", ".markdown"} else "html")
        if fmt not in ("html", "md"):
            raise ValueError(f"format must be 'html' or 'md', not {fmt!r}")
        text = self.to_html() if fmt == "html" else self.to_markdown()
        # newline="\n": byte-identical files on every platform.
        target.write_text(text, encoding="utf-8", newline="\n")
        return target

    def _repr_html_(self) -> str:
        return self._render_html(fragment=True)

    def __repr__(self) -> str:
        t = self.data.totals
        return (
            f"Report({t.reviews} reviews, {t.analyzed} analyzed, "
            f"{len(self.data.categories)} complaint themes, {len(self.data.alerts)} alerts)"
        )

    def _render_html(self, *, fragment: bool) -> str:
        from ._html import render_html

        if self._charts is None:
            # Charts are the slow part; the page and the notebook fragment share them.
            from ._charts import render_charts
            from ._fonts import find_cjk_font, missing_font_note

            font = find_cjk_font(self.font)
            self._font_notes = [] if font is not None else [missing_font_note(self.font)]
            self._charts = render_charts(self.data, font)
        return render_html(
            self.data, self._charts, title=self.title, notes=self._font_notes, fragment=fragment
        )


def build_report(
    results: Iterable[Any] | str | os.PathLike[str],
    *,
    embed: EmbedFunction | None = None,
    trend_rule: TrendRule | None = None,
    title: str = DEFAULT_TITLE,
    font: str | os.PathLike[str] | None = None,
    quotes_per_category: int = 3,
    praise_quotes: int = 10,
    top_products: int = 20,
    cluster_threshold: float = 0.8,
    cluster_max_aspects: int = 100,
) -> Report:
    """Aggregate batch results into a ``Report``, in one streaming pass.

    Args:
        results: a path to a batch JSONL file (each id counted once, its last
            line winning; a cut last line skipped with a note), or an iterable of
            ``ResultRecord``, parsed JSONL dicts, batch result objects
            (``.insight`` / ``.error``), or bare ``ReviewInsight`` objects, each
            counted as given.
        embed: optional ``embed(texts) -> vectors``; when given, the most frequent
            complaint aspects are also grouped by cosine similarity. Without it
            nothing touches the network.
        trend_rule: the weekly alert rule's numbers (``TrendRule()`` by default).
        title: the report's heading.
        font: a font file for Chinese text in charts; else ``WOM_REPORT_FONT``,
            then system CJK fonts, then the one the ``report`` extra ships.
        quotes_per_category: representative quotes kept per complaint theme.
        praise_quotes: praise quotes listed for marketing.
        top_products: products shown in the per-product table.
        cluster_threshold: cosine similarity at which an aspect joins a cluster.
        cluster_max_aspects: how many of the most frequent aspects are embedded.
    """
    if isinstance(results, str | os.PathLike):
        results = read_results(results)
    aggregator = Aggregator(
        trend_rule=trend_rule,
        quotes_per_category=quotes_per_category,
        praise_quotes=praise_quotes,
        top_products=top_products,
    )
    for item in results:
        aggregator.add(coerce_record(item))
    data = aggregator.finish(
        embed=embed, cluster_threshold=cluster_threshold, cluster_max_aspects=cluster_max_aspects
    )
    # What reading the file skipped (a cut last line, repeated ids) is said in the report.
    skipped = tuple(getattr(results, "notes", ()))
    if skipped:
        data = dataclasses.replace(data, notes=(*skipped, *data.notes))
    return Report(data, title=title, font=font)
