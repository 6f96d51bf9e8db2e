"""The report's data: plain, frozen results of the aggregation (no insight objects).

``Aggregator.finish`` builds a ``ReportData``; the renderers and users of
``Report`` read it. Kept apart from the aggregation so the shapes are easy to
find and the aggregation module stays about counting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ._trend import Alert, TrendRule, week_label

__all__ = [
    "AspectCluster",
    "CategorySummary",
    "ProductSummary",
    "Quote",
    "ReportData",
    "SentimentSummary",
    "Totals",
    "WeekSummary",
]


@dataclass(frozen=True)
class Quote:
    """A verbatim quote from one review."""

    text: str
    aspect: str
    review_id: str | None
    product: str | None
    language: str | None
    severity: str | None = None


@dataclass(frozen=True)
class Totals:
    """Counts over all records."""

    reviews: int
    analyzed: int
    failed: int
    failed_by_kind: dict[str, int]
    languages: dict[str, int]
    first_date: dt.date | None
    last_date: dt.date | None
    dated: int
    bad_dates: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    with_warnings: int
    truncated: int
    quotes_checked: int
    quotes_not_verbatim: int


@dataclass(frozen=True)
class SentimentSummary:
    """Sentiment labels, score histogram, and ratings when the input has them."""

    label_counts: dict[str, int]
    histogram: tuple[int, ...]
    bin_edges: tuple[float, ...]
    mean_score: float | None
    negative_share: float | None
    rating_counts: dict[str, int]
    mean_rating: float | None
    rating_mismatches: int


@dataclass(frozen=True)
class CategorySummary:
    """One complaint theme (= category): volume, severity, top aspects, quotes."""

    category: str
    mentions: int
    reviews: int
    weighted: int
    share: float
    severity_counts: dict[str, int]
    top_aspects: tuple[tuple[str, int], ...]
    quotes: tuple[Quote, ...]
    rank_by_count: int
    rank_by_weight: int
    aspects_approximate: bool


@dataclass(frozen=True)
class ProductSummary:
    """The headline numbers of one product."""

    product: str
    reviews: int
    analyzed: int
    failed: int
    mean_score: float | None
    negative_share: float | None
    complaints: int
    top_categories: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class WeekSummary:
    """One ISO week (keyed by its Monday)."""

    week: dt.date
    reviews: int
    analyzed: int
    negative: int
    mean_score: float | None
    categories: dict[str, int]

    @property
    def label(self) -> str:
        return week_label(self.week)

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.analyzed if self.analyzed else None


@dataclass(frozen=True)
class AspectCluster:
    """Complaint aspects grouped by embedding similarity (only with ``embed=``)."""

    label: str
    count: int
    aspects: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReportData:
    """Everything the renderers need; plain data, no insight objects."""

    totals: Totals
    sentiment: SentimentSummary
    categories: tuple[CategorySummary, ...]
    top_aspects: tuple[tuple[str, int], ...]
    products: tuple[ProductSummary, ...]
    products_total: int
    weeks: tuple[WeekSummary, ...]
    alerts: tuple[Alert, ...]
    trend_rule: TrendRule
    praise: tuple[Quote, ...]
    clusters: tuple[AspectCluster, ...] | None
    notes: tuple[str, ...]
