"""The report's analyses beyond counting: drivers, competitors side by side, need segments.

``Aggregator`` counts and samples; for each analyzed review it hands this
module the themes it found (complaint categories, verbatim-praised aspects)
and the verbatim quotes it checked, so that every section agrees on what a
theme is and on which quotes may be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ..io._results import ResultRecord
from ..types import ReviewInsight
from ._compare import DEFAULT_FDR, DEFAULT_GROUPS, CompareAcc, Side, ThemeQuote
from ._drivers import DEFAULT_MIN_REVIEWS, DEFAULT_RESAMPLES, DriverAcc
from ._segments import SegmentAcc
from ._types import Comparison, DriverSummary, NeedsSummary, Quote

__all__ = ["AnalysisAcc", "AnalysisOptions"]


@dataclass(frozen=True)
class AnalysisOptions:
    """How drivers are measured and groups compared (``build_report``'s arguments)."""

    compare_by: str | None = None
    us: str | None = None
    compare_groups: int = DEFAULT_GROUPS
    fdr: float = DEFAULT_FDR
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0
    min_theme_reviews: int = DEFAULT_MIN_REVIEWS


class AnalysisAcc:
    """Drivers (always), the comparison (with ``compare_by``), need segments (when asked)."""

    def __init__(self, options: AnalysisOptions) -> None:
        self.options = options
        self.drivers = DriverAcc()
        self.compare = CompareAcc(options.compare_by, us=options.us) if options.compare_by else None
        self.segments = SegmentAcc()

    def side(self, record: ResultRecord) -> Side | None:
        """The record's comparison group (each record, analyzed or not, counted once)."""
        return self.compare.side(record) if self.compare is not None else None

    def add(
        self,
        record: ResultRecord,
        insight: ReviewInsight,
        side: Side | None,
        *,
        complaints: set[str],
        praise: set[str],
        quotes: list[ThemeQuote],
        verbatim: Callable[[str], bool],
        language: str,
    ) -> None:
        """One analyzed review, with the themes and verbatim quotes the aggregator found."""
        label, score = insight.sentiment.label, insight.sentiment.score
        self.drivers.add(record.rating, score, complaints, praise)
        if side is not None:
            CompareAcc.add_insight(side, label=label, score=score, rating=record.rating,
                                   complaints=complaints, praise=praise, quotes=quotes)
        if insight.needs is None:
            return
        needs: dict[str, tuple[str, Callable[[], Quote]]] = {}
        for need in insight.needs:
            if need.tag not in needs and verbatim(need.quote):
                needs[need.tag] = (need.quote, partial(
                    Quote, need.quote.strip(), need.tag, record.id, record.product, language))
        complaint_quotes = {theme: (text, make) for kind, theme, text, make in quotes
                            if kind == "complaint"}
        self.segments.add(needs=needs, label=label, score=score, rating=record.rating,
                          complaints=complaints, complaint_quotes=complaint_quotes)

    def finish(self) -> tuple[DriverSummary | None, Comparison | None, NeedsSummary | None]:
        o = self.options
        drivers = None
        if self.drivers.all.score:
            drivers = self.drivers.finish(resamples=o.resamples, seed=o.seed,
                                          min_reviews=o.min_theme_reviews)
        comparison = None
        if self.compare is not None:
            comparison = self.compare.finish(groups=o.compare_groups, fdr=o.fdr,
                                             resamples=o.resamples, seed=o.seed,
                                             min_reviews=o.min_theme_reviews)
        return drivers, comparison, self.segments.finish()
