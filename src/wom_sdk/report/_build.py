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

from ..io._results import coerce_record, read_results
from ._aggregate import Aggregator
from ._analysis import AnalysisOptions
from ._compare import DEFAULT_FDR, DEFAULT_GROUPS
from ._drivers import DEFAULT_MIN_REVIEWS, DEFAULT_RESAMPLES
from ._trend import Alert, TrendRule
from ._types import (
    CategorySummary,
    Comparison,
    Driver,
    NeedsSummary,
    ProductSummary,
    Quote,
    ReportData,
    SentimentSummary,
    Totals,
    WeekSummary,
)

__all__ = ["DEFAULT_TITLE", "EmbedFunction", "Report", "build_report", "drivers"]

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

    @property
    def drivers(self) -> tuple[Driver, ...]:
        """What drives the rating: complaint themes fix first, then praise (``drivers()``)."""
        return self.data.drivers.rows if self.data.drivers is not None else ()

    @property
    def comparison(self) -> Comparison | None:
        """The groups of ``compare_by`` side by side (None without it)."""
        return self.data.comparison

    @property
    def needs(self) -> NeedsSummary | None:
        """Need segments (None when no review was analyzed with the needs section)."""
        return self.data.needs

    def to_html(self) -> str:
        """One self-contained HTML page (needs matplotlib: the ``report`` extra)."""
        return self._render_html(fragment=False)

    def to_markdown(self) -> str:
        """The same content as Markdown, without images (no matplotlib needed)."""
        from ._markdown import render_markdown
        from ._markdown_analysis import analysis_markdown

        return render_markdown(self.data, title=self.title, sections=analysis_markdown(self.data))

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
            from ._charts_analysis import render_analysis_charts
            from ._fonts import find_cjk_font, missing_font_note

            font = find_cjk_font(self.font)
            self._font_notes = [] if font is not None else [missing_font_note(self.font)]
            self._charts = {**render_charts(self.data, font),
                            **render_analysis_charts(self.data, font)}
        from ._html_analysis import analysis_sections

        return render_html(
            self.data, self._charts, title=self.title, notes=self._font_notes, fragment=fragment,
            sections=analysis_sections(self.data, self._charts),
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
    compare_by: str | None = None,
    us: str | None = None,
    compare_groups: int = DEFAULT_GROUPS,
    fdr: float = DEFAULT_FDR,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    min_theme_reviews: int = DEFAULT_MIN_REVIEWS,
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
        compare_by: compare groups of reviews side by side: ``"product"``, or a
            column kept in the results (``"brand"`` finds 品牌, Brand, ...).
        us: the group that is "us" in the comparison; default the largest.
        compare_groups: groups shown (us included); the rest are counted.
        fdr: the false discovery rate of the comparison's tests (Benjamini-Hochberg).
        resamples: bootstrap resamples of each driver's interval.
        seed: the bootstrap's seed (same seed, same intervals).
        min_theme_reviews: reviews a theme needs, with it and without it, to be a driver.
    """
    if isinstance(results, str | os.PathLike):
        results = read_results(results)
    options = AnalysisOptions(
        compare_by=compare_by, us=us, compare_groups=compare_groups, fdr=fdr,
        resamples=resamples, seed=seed, min_theme_reviews=min_theme_reviews,
    )
    aggregator = Aggregator(
        trend_rule=trend_rule,
        quotes_per_category=quotes_per_category,
        praise_quotes=praise_quotes,
        top_products=top_products,
        analysis=options,
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


def drivers(
    results: Iterable[Any] | str | os.PathLike[str],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    min_reviews: int = DEFAULT_MIN_REVIEWS,
) -> list[Driver]:
    """What drives the rating: each theme's frequency and impact, "fix first" order.

    One row per complaint theme (most harmful first), then per praised aspect
    (most valuable first): reviews with it, their share, the mean star rating
    (sentiment score when fewer than half the reviews are rated) with and
    without it, the difference with a bootstrap 95% interval, and
    ``priority = impact x share``. Rows are frozen dataclasses:
    ``pandas.DataFrame(drivers(results))`` makes a table of them.

    Args:
        results: as ``build_report`` takes them (a JSONL path, records, results).
        resamples: bootstrap resamples per interval (seeded: the same every run).
        seed: the bootstrap's seed.
        min_reviews: reviews a theme needs, with it and without it, to be measured.
    """
    report = build_report(results, resamples=resamples, seed=seed, min_theme_reviews=min_reviews)
    return list(report.drivers)
