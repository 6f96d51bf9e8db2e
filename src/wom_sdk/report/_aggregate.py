"""Streaming aggregation of batch results into the numbers a report shows.

Memory does not grow with the number of reviews: ``Aggregator.add`` keeps
counters, sums, a fixed histogram, and small bounded samples. Quotes are
chosen as "the k smallest by a hash of their text", which is deterministic and
independent of input order, needs no random state, and never holds more than
k quotes per category (``_sampling.QuoteSample``). Aspect vocabularies are
counted in ``_sampling.TopCounter``, which prunes to its most frequent keys
when it grows past a bound.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial

from ..io._results import ResultRecord
from ..text._textnorm import normalize_match_text, normalize_term, primary_language
from ..types import ReviewInsight, Usage
from ._analysis import AnalysisAcc, AnalysisOptions
from ._cluster import cluster_aspects
from ._compare import Side, ThemeQuote
from ._sampling import QuoteSample, TopCounter, quote_key
from ._stats import micro as _micro
from ._stats import micro_mean
from ._trend import Alert, TrendRule, WeekCount, detect_alerts, week_start
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
    "HISTOGRAM_BINS",
    "SENTIMENT_LABELS",
    "SEVERITY_WEIGHTS",
    "Aggregator",
    "aspect_theme",
    "verbatim_in",
]

SEVERITY_WEIGHTS: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
SENTIMENT_LABELS: tuple[str, ...] = ("positive", "negative", "neutral", "mixed")
HISTOGRAM_BINS = 20

# Bounds on vocabularies that real data can make large. Beyond them the
# report folds the rest into one bucket and says so: a report on a million
# reviews should not hold a million product names.
_MAX_CATEGORIES = 200
_MAX_PRODUCTS = 1000
_OVERFLOW_PRODUCT = "(other products)"
_OVERFLOW_CATEGORY = "other (overflow)"
_UNSPECIFIED_ASPECT = "(unspecified)"


def aspect_theme(aspect: str) -> str:
    """The theme an aspect is counted under: its normalized term (spelling variants merge)."""
    return normalize_term(aspect) or _UNSPECIFIED_ASPECT


def verbatim_in(quote: str, haystack: str) -> bool:
    """Whether ``quote`` is in a review whose ``normalize_match_text`` form is ``haystack``."""
    needle = normalize_match_text(quote)
    return bool(needle) and needle in haystack


@lru_cache(maxsize=4096)
def _parse_date(value: str) -> dt.date | None:
    text = value.strip()[:10].replace("/", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass
class _CategoryAcc:
    mentions: int = 0
    reviews: int = 0
    weighted: int = 0
    severity: Counter[str] = field(default_factory=Counter)
    aspects: TopCounter = field(default_factory=TopCounter)
    quotes: QuoteSample = field(default_factory=lambda: QuoteSample(3))


@dataclass
class _GroupAcc:
    """Per-product and per-week counters."""

    reviews: int = 0
    analyzed: int = 0
    negative: int = 0
    score_sum: int = 0  # in micro units (_stats.micro)
    complaints: int = 0
    categories: Counter[str] = field(default_factory=Counter)


class Aggregator:
    """Feed records with ``add``; ``finish`` returns the ``ReportData``."""

    def __init__(
        self,
        *,
        trend_rule: TrendRule | None = None,
        quotes_per_category: int = 3,
        praise_quotes: int = 10,
        top_products: int = 20,
        analysis: AnalysisOptions | None = None,
    ) -> None:
        self.trend_rule = trend_rule or TrendRule()
        self.analysis = AnalysisAcc(analysis or AnalysisOptions())
        self.quotes_per_category = quotes_per_category
        self.praise_quotes = praise_quotes
        self.top_products = top_products
        self.reviews = 0
        self.analyzed = 0
        self.failed_by_kind = TopCounter(capacity=50)
        self.languages: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.histogram = [0] * HISTOGRAM_BINS
        self.score_sum = 0  # sums in micro units: see _micro
        self.ratings: Counter[str] = Counter()
        self.rating_sum = 0
        self.rating_n = 0
        self.rating_mismatches = 0
        self.first_date: dt.date | None = None
        self.last_date: dt.date | None = None
        self.dated = 0
        self.bad_dates = 0
        self.requests = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.with_warnings = 0
        self.truncated = 0
        self.quotes_checked = 0
        self.quotes_not_verbatim = 0
        self.categories: dict[str, _CategoryAcc] = {}
        self.category_overflow = 0
        self.all_aspects = TopCounter()
        self.praise_counts = TopCounter()
        self.praise_best: dict[str, QuoteSample] = {}
        self.products: dict[str, _GroupAcc] = {}
        self.product_overflow = 0
        self.weeks: dict[dt.date, _GroupAcc] = {}

    # -- feeding -----------------------------------------------------------

    def add(self, record: ResultRecord) -> None:
        """Count one record."""
        self.reviews += 1
        insight = record.insight
        product = self._product(record.product)
        week = self._week(record.date)
        for group in (product, week):
            if group is not None:
                group.reviews += 1
        side = self.analysis.side(record)
        if record.rating is not None:
            self._add_rating(record.rating, insight)
        if insight is None:
            kind = record.error.kind if record.error is not None else "missing"
            self.failed_by_kind.add(kind or "error")
            if record.error is not None and record.error.usage is not None:
                self._add_usage(record.error.usage)  # failures were paid for too
            return
        self.analyzed += 1
        self._add_insight(record, insight, (product, week), side)

    def _add_rating(self, rating: float, insight: ReviewInsight | None) -> None:
        self.ratings[f"{rating:g}"] += 1
        self.rating_sum += _micro(rating)
        self.rating_n += 1
        # A 1-5 star rating that contradicts the model's label is worth a look:
        # either the review is sarcastic/mixed or the model is wrong.
        if insight is not None and (
            (rating <= 2 and insight.sentiment.label == "positive")
            or (rating >= 4 and insight.sentiment.label == "negative")
        ):
            self.rating_mismatches += 1

    def _add_usage(self, usage: Usage) -> None:
        self.requests += usage.requests
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens

    def _add_insight(
        self,
        record: ResultRecord,
        insight: ReviewInsight,
        groups: tuple[_GroupAcc | None, _GroupAcc | None],
        side: Side | None = None,
    ) -> None:
        sentiment = insight.sentiment
        language = primary_language(insight.language)
        self.languages[language] += 1
        self.labels[sentiment.label] += 1
        score = _micro(sentiment.score)
        self.score_sum += score
        # Rounded before flooring: -0.8 must land in [-0.8, -0.7), not one bin
        # lower because (-0.8 + 1) * 10 is 1.9999999999999996 in floating point.
        index = int(round((sentiment.score + 1.0) / 2.0 * HISTOGRAM_BINS, 9))
        self.histogram[min(max(index, 0), HISTOGRAM_BINS - 1)] += 1
        self._add_usage(insight.usage)
        self.with_warnings += bool(insight.warnings)
        self.truncated += insight.truncated
        negative = sentiment.label == "negative"
        for group in groups:
            if group is not None:
                group.analyzed += 1
                group.negative += negative
                group.score_sum += score
                group.complaints += len(insight.complaints)

        haystack = normalize_match_text(record.text) if record.text is not None else None
        seen: set[str] = set()
        praised: set[str] = set()
        quotes: list[ThemeQuote] = []  # the verbatim ones, for the analyses
        for complaint in insight.complaints:
            category = self._category(complaint.category)
            acc = self.categories[category]
            acc.mentions += 1
            acc.weighted += SEVERITY_WEIGHTS.get(complaint.severity, 2)
            acc.severity[complaint.severity] += 1
            aspect = aspect_theme(complaint.aspect)
            acc.aspects.add(aspect)
            self.all_aspects.add(aspect)
            seen.add(category)
            if self._verbatim(complaint.quote, haystack):
                make = partial(
                    Quote,
                    complaint.quote.strip(),
                    aspect,
                    record.id,
                    record.product,
                    language,
                    complaint.severity,
                )
                acc.quotes.offer(quote_key(complaint.quote, 0), make)
                quotes.append(("complaint", category, complaint.quote, make))
        for category in seen:
            self.categories[category].reviews += 1
            for group in groups:
                if group is not None:
                    group.categories[category] += 1

        for praise in insight.praise:
            if not self._verbatim(praise.quote, haystack):
                continue  # marketing gets only words a customer really wrote
            aspect = aspect_theme(praise.aspect)
            self.praise_counts.add(aspect)
            sample = self.praise_best.setdefault(aspect, QuoteSample(1))
            make = partial(Quote, praise.quote.strip(), aspect, record.id, record.product, language)
            sample.offer(quote_key(praise.quote, 0 if sentiment.label == "positive" else 1), make)
            praised.add(aspect)
            quotes.append(("praise", aspect, praise.quote, make))
        if len(self.praise_best) > 2 * self.praise_counts.capacity:
            # Keep quote samples only for aspects the counter still tracks.
            self.praise_best = {
                k: v for k, v in self.praise_best.items() if k in self.praise_counts.counts
            }
        self.analysis.add(record, insight, side, complaints=seen, praise=praised, quotes=quotes,
                          verbatim=partial(self._verbatim, haystack=haystack), language=language)

    def _verbatim(self, quote: str, haystack: str | None) -> bool:
        if haystack is None:
            return True  # no review text to check against (an insight given alone)
        self.quotes_checked += 1
        if verbatim_in(quote, haystack):
            return True
        self.quotes_not_verbatim += 1
        return False

    def _category(self, raw: str) -> str:
        name = raw.strip().lower() or "other"
        if name not in self.categories:
            if len(self.categories) >= _MAX_CATEGORIES:
                self.category_overflow += 1
                name = _OVERFLOW_CATEGORY
            self.categories.setdefault(
                name, _CategoryAcc(quotes=QuoteSample(self.quotes_per_category))
            )
        return name

    def _product(self, raw: str | None) -> _GroupAcc | None:
        if raw is None or not raw.strip():
            return None
        name = raw.strip()
        acc = self.products.get(name)
        if acc is None:
            if len(self.products) >= _MAX_PRODUCTS:
                self.product_overflow += 1
                name = _OVERFLOW_PRODUCT
            acc = self.products.setdefault(name, _GroupAcc())
        return acc

    def _week(self, raw: str | None) -> _GroupAcc | None:
        if raw is None or not raw.strip():
            return None
        day = _parse_date(raw)
        if day is None:
            self.bad_dates += 1
            return None
        self.dated += 1
        if self.first_date is None or day < self.first_date:
            self.first_date = day
        if self.last_date is None or day > self.last_date:
            self.last_date = day
        return self.weeks.setdefault(week_start(day), _GroupAcc())

    # -- results -----------------------------------------------------------

    def finish(
        self,
        *,
        embed: Callable[[list[str]], Sequence[Sequence[float]]] | None = None,
        cluster_threshold: float = 0.8,
        cluster_max_aspects: int = 100,
    ) -> ReportData:
        """Compute the summaries (and, with ``embed``, the aspect clusters)."""
        notes: list[str] = []
        clusters: tuple[AspectCluster, ...] | None = None
        if embed is not None:
            try:
                clusters = cluster_aspects(
                    self.all_aspects.most_common(cluster_max_aspects),
                    embed,
                    threshold=cluster_threshold,
                )
            except Exception as exc:  # a remote call: the rest of the report stands
                notes.append(f"Aspect clustering failed ({type(exc).__name__}: {exc}).")
        if self.category_overflow:
            notes.append(
                f"More than {_MAX_CATEGORIES} complaint categories: "
                f"{self.category_overflow} complaints counted as '{_OVERFLOW_CATEGORY}'."
            )
        if self.product_overflow:
            notes.append(
                f"More than {_MAX_PRODUCTS} products: {self.product_overflow} reviews counted "
                f"as '{_OVERFLOW_PRODUCT}'."
            )
        drivers, comparison, needs = self.analysis.finish()
        if comparison is not None and not comparison.groups:
            seen = ", ".join(comparison.columns_seen) or "none"
            notes.append(f"No review has a value for {comparison.by!r}, so there is no "
                         f"comparison; columns kept in the results: {seen}.")
        return ReportData(
            totals=self._totals(),
            sentiment=self._sentiment(),
            categories=self._categories(),
            top_aspects=tuple(self.all_aspects.most_common(15)),
            products=self._products(),
            products_total=len(self.products),
            weeks=self._weeks(),
            alerts=self._alerts(),
            trend_rule=self.trend_rule,
            praise=self._praise(),
            clusters=clusters,
            notes=tuple(notes),
            drivers=drivers,
            comparison=comparison,
            needs=needs,
        )

    def _totals(self) -> Totals:
        failed = dict(self.failed_by_kind.most_common())
        return Totals(
            reviews=self.reviews,
            analyzed=self.analyzed,
            failed=self.reviews - self.analyzed,
            failed_by_kind=failed,
            languages=dict(sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))),
            first_date=self.first_date,
            last_date=self.last_date,
            dated=self.dated,
            bad_dates=self.bad_dates,
            requests=self.requests,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            with_warnings=self.with_warnings,
            truncated=self.truncated,
            quotes_checked=self.quotes_checked,
            quotes_not_verbatim=self.quotes_not_verbatim,
        )

    def _sentiment(self) -> SentimentSummary:
        labels = {label: self.labels.get(label, 0) for label in SENTIMENT_LABELS}
        labels.update(sorted((k, v) for k, v in self.labels.items() if k not in labels))
        edges = tuple(round(-1.0 + 2.0 * i / HISTOGRAM_BINS, 6) for i in range(HISTOGRAM_BINS + 1))
        return SentimentSummary(
            label_counts=labels,
            histogram=tuple(self.histogram),
            bin_edges=edges,
            mean_score=micro_mean(self.score_sum, self.analyzed),
            negative_share=labels["negative"] / self.analyzed if self.analyzed else None,
            rating_counts=dict(sorted(self.ratings.items(), key=lambda kv: float(kv[0]))),
            mean_rating=micro_mean(self.rating_sum, self.rating_n),
            rating_mismatches=self.rating_mismatches,
        )

    def _categories(self) -> tuple[CategorySummary, ...]:
        by_count = sorted(self.categories, key=lambda c: (-self.categories[c].mentions, c))
        by_weight = sorted(self.categories, key=lambda c: (-self.categories[c].weighted, c))
        weight_rank = {c: i + 1 for i, c in enumerate(by_weight)}
        out = []
        for rank, name in enumerate(by_count, start=1):
            acc = self.categories[name]
            out.append(
                CategorySummary(
                    category=name,
                    mentions=acc.mentions,
                    reviews=acc.reviews,
                    weighted=acc.weighted,
                    share=acc.reviews / self.analyzed if self.analyzed else 0.0,
                    severity_counts={s: acc.severity.get(s, 0) for s in SEVERITY_WEIGHTS},
                    top_aspects=tuple(acc.aspects.most_common(5)),
                    quotes=acc.quotes.quotes(),
                    rank_by_count=rank,
                    rank_by_weight=weight_rank[name],
                    aspects_approximate=acc.aspects.approximate,
                )
            )
        return tuple(out)

    def _products(self) -> tuple[ProductSummary, ...]:
        names = sorted(self.products, key=lambda p: (-self.products[p].reviews, p))
        out = []
        for name in names[: self.top_products]:
            acc = self.products[name]
            out.append(
                ProductSummary(
                    product=name,
                    reviews=acc.reviews,
                    analyzed=acc.analyzed,
                    failed=acc.reviews - acc.analyzed,
                    mean_score=micro_mean(acc.score_sum, acc.analyzed),
                    negative_share=acc.negative / acc.analyzed if acc.analyzed else None,
                    complaints=acc.complaints,
                    top_categories=tuple(
                        sorted(acc.categories.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
                    ),
                )
            )
        return tuple(out)

    def _weeks(self) -> tuple[WeekSummary, ...]:
        return tuple(
            WeekSummary(
                week=week,
                reviews=acc.reviews,
                analyzed=acc.analyzed,
                negative=acc.negative,
                mean_score=micro_mean(acc.score_sum, acc.analyzed),
                categories=dict(sorted(acc.categories.items(), key=lambda kv: (-kv[1], kv[0]))),
            )
            for week, acc in sorted(self.weeks.items())
        )

    def _alerts(self) -> tuple[Alert, ...]:
        rule = self.trend_rule
        negative = {w: WeekCount(a.analyzed, a.negative) for w, a in self.weeks.items()}
        alerts = detect_alerts(negative, "negative share", rule)
        for category in sorted(self.categories):
            series = {
                w: WeekCount(a.analyzed, a.categories.get(category, 0))
                for w, a in self.weeks.items()
            }
            alerts.extend(detect_alerts(series, category, rule))
        # Newest first: the alert a reader acts on is this week's.
        alerts.sort(key=lambda a: (-a.week.toordinal(), a.metric != "negative share", a.metric))
        return tuple(alerts)

    def _praise(self) -> tuple[Quote, ...]:
        chosen: list[Quote] = []
        seen_text: set[str] = set()
        # One quote per aspect, most praised aspects first: diversity by construction.
        for aspect, _ in self.praise_counts.most_common():
            sample = self.praise_best.get(aspect)
            if sample is None or not sample.items:
                continue
            quote = sample.items[0][1]
            key = normalize_match_text(quote.text)
            if key in seen_text:
                continue
            seen_text.add(key)
            chosen.append(quote)
            if len(chosen) >= self.praise_quotes:
                break
        return tuple(chosen)
