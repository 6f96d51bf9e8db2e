"""Grounded selling points: what customers praise most, in their own words, with review ids.

Praise aspects are grouped into themes exactly as the report groups them
(``report._aggregate.aspect_theme``), and a quote counts only when it is
verbatim in its review (``verbatim_in``, the report's check). A point is
ranked by the number of **distinct reviews** that praise it (a review praising
the battery twice counts once), ties by name. Each point carries up to
``max_quotes`` quotes from distinct reviews, chosen as the report chooses them
(``_sampling.QuoteSample``: deterministic, independent of input order, praise
from positive reviews and quotes of a usable length first); a point with fewer
than ``min_quotes`` distinct quotes is left out (counted), because a marketer
needs several customers saying it. Reviews the review guard flags (an
injection attempt, personal data, a threat, a safety or medical claim) give no
quotes: those are not words to put on a product page.

One streaming pass; memory holds bounded counters and samples per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..io._columns import PRODUCT, normalize_name
from ..io._results import ResultRecord
from ..report._aggregate import aspect_theme, verbatim_in
from ..report._sampling import QuoteSample, SampleKey, TopCounter, quote_key
from ..report._types import Quote
from ..text._textnorm import normalize_match_text, primary_language
from ._source import Results, iter_records
from ._urgency import flags_of

__all__ = ["HighlightGroup", "HighlightPoint", "Highlights", "highlights"]

#: Themes tracked per group before the rarest are pruned (``TopCounter``).
_THEME_CAPACITY = 500
#: Groups kept (``--group-by``); the rest are counted as one.
_MAX_GROUPS = 1000
_OVERFLOW_GROUP = "(other groups)"


@dataclass(frozen=True)
class HighlightPoint:
    """One praised theme: how many distinct reviews praise it, and some of their words."""

    theme: str
    reviews: int
    #: of the group's analyzed reviews
    share: float
    #: verbatim, from distinct reviews, each with its review id
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class HighlightGroup:
    """The points of one group (a product, a brand, ...; ``name`` None: every review)."""

    name: str | None
    reviews: int
    analyzed: int
    #: reviews with at least one verbatim praise quote
    praising: int
    #: reviews whose praise is not used: the review guard flagged them (``_urgency.flags_of``)
    flagged: int
    points: tuple[HighlightPoint, ...]
    #: themes praised, but by fewer than ``min_quotes`` distinct quotes
    left_out: int
    #: theme counts were pruned (very many themes): counts are lower bounds
    approximate: bool


@dataclass(frozen=True)
class Highlights:
    """Every group's points; ``groups`` by number of reviews, largest first."""

    groups: tuple[HighlightGroup, ...]
    group_by: str | None
    records: int
    min_quotes: int
    max_quotes: int
    notes: tuple[str, ...] = field(default=())


@dataclass
class _GroupAcc:
    reviews: int = 0
    analyzed: int = 0
    praising: int = 0
    flagged: int = 0
    counts: TopCounter = field(default_factory=lambda: TopCounter(_THEME_CAPACITY))
    samples: dict[str, QuoteSample] = field(default_factory=dict)


def group_value(record: ResultRecord, column: str) -> str | None:
    """The record's value in ``column``: its product, or one of the input's other columns."""
    norm = normalize_name(column)
    if norm in PRODUCT.candidates:
        value: Any = record.product
    else:
        value = next((v for k, v in record.extra.items() if normalize_name(k) == norm), None)
    if value is None or not str(value).strip():
        return None
    return str(value).strip()


class _Collector:
    def __init__(self, group_by: str | None, max_quotes: int) -> None:
        self.group_by = group_by
        self.max_quotes = max_quotes
        self.groups: dict[str | None, _GroupAcc] = {}
        self.overflow = 0
        self.records = 0
        self.no_text = 0

    def _group(self, record: ResultRecord) -> _GroupAcc:
        name = None
        if self.group_by is not None:
            name = group_value(record, self.group_by) or f"(no {self.group_by})"
        acc = self.groups.get(name)
        if acc is None:
            if len(self.groups) >= _MAX_GROUPS:
                self.overflow += 1
                name = _OVERFLOW_GROUP
            acc = self.groups.setdefault(name, _GroupAcc())
        return acc

    def add(self, record: ResultRecord) -> None:
        self.records += 1
        acc = self._group(record)
        acc.reviews += 1
        insight = record.insight
        if insight is None:
            return
        acc.analyzed += 1
        if not insight.praise:
            return
        if not record.text:
            self.no_text += 1  # a quote that cannot be checked is not used in marketing
            return
        if flags_of(record):
            # An injection attempt, personal data, a threat or a safety claim: not
            # words to put on a product page, whatever the model called praise.
            acc.flagged += 1
            return
        haystack = normalize_match_text(record.text)
        penalty = 0 if insight.sentiment.label == "positive" else 1
        best: dict[str, tuple[SampleKey, str]] = {}
        for praise in insight.praise:
            if not verbatim_in(praise.quote, haystack):
                continue
            theme = aspect_theme(praise.aspect)
            key = quote_key(praise.quote, penalty)
            if theme not in best or key < best[theme][0]:
                best[theme] = (key, praise.quote.strip())
        if not best:
            return
        acc.praising += 1
        language = primary_language(insight.language)
        for theme, (key, text) in best.items():
            acc.counts.add(theme)
            sample = acc.samples.setdefault(theme, QuoteSample(self.max_quotes))
            sample.offer(key, partial(Quote, text, theme, record.id, record.product, language))
        if len(acc.samples) > 2 * _THEME_CAPACITY:
            acc.samples = {k: v for k, v in acc.samples.items() if k in acc.counts.counts}

    def finish(self, top: int, min_quotes: int) -> tuple[HighlightGroup, ...]:
        out = []
        for name, acc in self.groups.items():
            points: list[HighlightPoint] = []
            left_out = 0
            for theme, count in acc.counts.most_common():
                sample = acc.samples.get(theme)
                quotes = sample.quotes() if sample is not None else ()
                if len(quotes) < min_quotes:
                    left_out += 1
                    continue
                if len(points) < top:
                    share = count / acc.analyzed if acc.analyzed else 0.0
                    points.append(HighlightPoint(theme, count, share, quotes))
            out.append(HighlightGroup(name, acc.reviews, acc.analyzed, acc.praising,
                                      acc.flagged, tuple(points), left_out,
                                      acc.counts.approximate))
        out.sort(key=lambda g: (-g.reviews, g.name or ""))
        return tuple(out)


def highlights(
    results: Results,
    *,
    group_by: str | None = None,
    top: int = 10,
    min_quotes: int = 3,
    max_quotes: int = 5,
) -> Highlights:
    """The most praised points, with verbatim quotes and review ids, in one streaming pass.

    Args:
        results: a results JSONL path, or records as ``build_report`` takes them.
        group_by: ``"product"`` or another input column kept in the results
            (``brand``, ``shop``, ...): points per group. None: one group.
        top: points per group, most praised first.
        min_quotes: distinct verbatim quotes a point needs to be listed.
        max_quotes: quotes shown per point.
    """
    if not 1 <= min_quotes <= max_quotes:
        raise ValueError("need 1 <= min_quotes <= max_quotes")
    if top < 1:
        raise ValueError("top must be >= 1")
    collector = _Collector(group_by, max_quotes)
    for record in iter_records(results):
        collector.add(record)
    notes = []
    if collector.overflow:
        notes.append(f"More than {_MAX_GROUPS} groups: {collector.overflow} reviews counted "
                     f"as '{_OVERFLOW_GROUP}'.")
    if collector.no_text:
        notes.append(f"{collector.no_text} review(s) with praise but without their text: "
                     "their quotes cannot be checked and are not used.")
    return Highlights(collector.finish(top, min_quotes), group_by, collector.records,
                      min_quotes, max_quotes, tuple(notes))
