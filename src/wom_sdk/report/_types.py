"""The report's data: plain, frozen results of the aggregation (no insight objects).

``Aggregator.finish`` builds a ``ReportData``; the renderers and users of
``Report`` read it. Kept apart from the aggregation so the shapes are easy to
find and the aggregation module stays about counting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from ..types import NeedKind
from ._trend import Alert, TrendRule, week_label

__all__ = [
    "AspectCluster",
    "CategorySummary",
    "Comparison",
    "Driver",
    "DriverSummary",
    "GroupSummary",
    "NeedSegment",
    "NeedsSummary",
    "Outcome",
    "ProductSummary",
    "Quote",
    "ReportData",
    "SentimentSummary",
    "ThemeDifference",
    "ThemeKind",
    "Totals",
    "WeekSummary",
]

#: What drivers measure: star ratings, or sentiment scores.
Outcome = Literal["rating", "score"]
ThemeKind = Literal["complaint", "praise"]


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
class Driver:
    """One theme's frequency and impact on the outcome (a row of ``drivers()``)."""

    theme: str
    kind: ThemeKind
    #: "rating" (stars) or "score" (sentiment, -1..1, to one decimal)
    outcome: Outcome
    #: reviews that mention the theme, and their share of the reviews measured
    reviews: int
    share: float
    mean_with: float
    mean_without: float
    #: mean_with - mean_without, with its bootstrap 95% interval
    impact: float
    ci_low: float
    ci_high: float
    #: impact x share: how far the theme moves the overall mean
    priority: float
    #: 1 = fix first (complaints) / most valuable (praise)
    rank: int
    #: counts may be low: the theme was pruned from a large vocabulary once
    approximate: bool = False

    @property
    def significant(self) -> bool:
        """Whether the interval excludes 0."""
        return self.ci_low > 0 or self.ci_high < 0


@dataclass(frozen=True)
class DriverSummary:
    """The drivers of one set of reviews, and how they were measured."""

    outcome: Outcome
    #: reviews with the outcome (analyzed, and rated when the outcome is "rating")
    reviews: int
    mean: float | None
    rows: tuple[Driver, ...]
    #: themes seen but not measured: too few reviews, or beyond the rows shown
    skipped: int
    resamples: int
    seed: int
    min_reviews: int

    @property
    def complaints(self) -> tuple[Driver, ...]:
        """Complaint themes, fix first."""
        return tuple(d for d in self.rows if d.kind == "complaint")

    @property
    def praise(self) -> tuple[Driver, ...]:
        return tuple(d for d in self.rows if d.kind == "praise")


@dataclass(frozen=True)
class GroupSummary:
    """One group's headline numbers."""

    name: str
    is_us: bool
    reviews: int
    analyzed: int
    label_counts: dict[str, int]
    mean_score: float | None
    negative_share: float | None
    mean_rating: float | None
    #: reviews per complaint theme
    complaints: dict[str, int]
    #: (theme, reviews, share of analyzed reviews), most mentioned first
    top_complaints: tuple[tuple[str, int, float], ...]
    top_praise: tuple[tuple[str, int, float], ...]
    #: the complaint themes that pull this group's outcome down most
    drivers: DriverSummary


@dataclass(frozen=True)
class ThemeDifference:
    """A theme whose share differs significantly between us and one other group."""

    theme: str
    kind: ThemeKind
    them: str
    us_reviews: int
    us_share: float
    them_reviews: int
    them_share: float
    p_value: float
    #: Benjamini-Hochberg adjusted p-value over every test of the comparison
    q_value: float
    test: Literal["z-test", "Fisher"]
    #: who does better on this theme: fewer complaints, or more praise
    better: Literal["us", "them"]
    quote_us: Quote | None
    quote_them: Quote | None


@dataclass(frozen=True)
class Comparison:
    """The groups of ``by`` side by side, and the significant differences."""

    by: str
    us: str | None
    groups: tuple[GroupSummary, ...]
    #: significant differences (adjusted p <= ``fdr``), the largest gap in share first
    differences: tuple[ThemeDifference, ...]
    tested: int
    fdr: float
    #: reviews without a value for ``by``; groups not shown
    missing: int
    hidden_groups: int
    #: the extra columns seen, to say what exists when ``by`` matched nothing
    columns_seen: tuple[str, ...]

    @property
    def they_beat_us(self) -> tuple[ThemeDifference, ...]:
        return tuple(d for d in self.differences if d.better == "them")

    @property
    def we_beat_them(self) -> tuple[ThemeDifference, ...]:
        return tuple(d for d in self.differences if d.better == "us")


@dataclass(frozen=True)
class NeedSegment:
    """The reviews that state one need tag."""

    tag: str
    kind: NeedKind
    reviews: int
    #: of the reviews asked about needs
    share: float
    label_counts: dict[str, int]
    negative_share: float
    mean_score: float
    mean_rating: float | None
    #: (theme, reviews in the segment, share in the segment, share among all asked)
    top_complaints: tuple[tuple[str, int, float, float], ...]
    #: what the reviewers said about the need, verbatim
    quotes: tuple[Quote, ...]
    #: a verbatim complaint of the segment's most frequent theme
    complaint_quote: Quote | None


@dataclass(frozen=True)
class NeedsSummary:
    """Every segment, most reviews first."""

    #: reviews analyzed with the needs section; of them, those that state a need
    asked: int
    stated: int
    segments: tuple[NeedSegment, ...]


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
    #: what drives the rating (None: nothing analyzed)
    drivers: DriverSummary | None = None
    #: groups side by side (only with ``compare_by``)
    comparison: Comparison | None = None
    #: need segments (only when reviews were analyzed with ``include=("needs",)``)
    needs: NeedsSummary | None = None
