"""Competitors side by side: the report's numbers per value of a column (brand, shop, ...).

``compare_by`` names a field every result line may carry: ``product``, or a
column kept in ``extra`` by ``wom analyze`` -- by its name in the file
(``品牌``) or by its role (``brand`` finds ``品牌``, ``Brand``, ``brand_name``:
the one column rule of ``io._columns``). Each value is a group; "us" is the
group named by ``us``, else the one with the most reviews.

For every complaint theme and praised aspect, each other group's share of
reviews mentioning it is tested against ours: the two-proportion z-test when
every expected count is at least 5, else Fisher's exact test
(``_stats.proportion_test``). With dozens of themes and several competitors,
some p-values fall under 0.05 by chance alone; the Benjamini-Hochberg
procedure keeps the expected share of false findings among those reported at
``fdr`` (5% by default). It is preferred to Bonferroni/Holm, which bound the
chance of even one false finding and, over this many tests, would hide most
real differences. A difference is where they beat us (fewer complaints, or
more praise, of a theme) or where we beat them, with a verbatim quote from
each side.

Memory: per group, counters per theme and one quote per theme; groups past
``_MAX_GROUPS`` are counted as one "(other groups)".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .._exceptions import InputError
from ..io._columns import find_column, group_role, normalize_name
from ..io._readers import cell_text
from ..io._results import ResultRecord
from ._drivers import DriverAcc
from ._sampling import QuoteSample, TopCounter, quote_key
from ._stats import Tally, benjamini_hochberg, proportion_test
from ._types import Comparison, GroupSummary, Quote, ThemeDifference, ThemeKind

__all__ = [
    "DEFAULT_FDR",
    "DEFAULT_GROUPS",
    "CompareAcc",
    "Side",
    "ThemeQuote",
]

DEFAULT_FDR = 0.05
#: Groups shown, us included; the others are counted.
DEFAULT_GROUPS = 6
#: Reviews (in both groups together) a theme needs to be tested.
MIN_TESTED = 5
_MAX_GROUPS = 30
_OTHER_GROUPS = "(other groups)"
_SHOWN_THEMES = 5


@dataclass
class Side:
    reviews: int = 0
    tally: Tally = field(default_factory=Tally)
    complaints: Counter[str] = field(default_factory=Counter)
    praise: TopCounter = field(default_factory=lambda: TopCounter(300))
    quotes: dict[tuple[ThemeKind, str], QuoteSample] = field(default_factory=dict)
    drivers: DriverAcc = field(default_factory=DriverAcc)


#: (theme kind, theme, the quote's text, a Quote maker): one verbatim quote of a review.
ThemeQuote = tuple[ThemeKind, str, str, Callable[[], Quote]]


class GroupKey:
    """``record -> group value``: ``product``, or the ``extra`` column ``by`` means."""

    def __init__(self, by: str) -> None:
        self.by = by
        self._norm = normalize_name(by)
        self._role = group_role(by)
        self._columns: dict[tuple[str, ...], str | None] = {}
        self.seen: dict[str, None] = {}

    def __call__(self, record: ResultRecord) -> str | None:
        if self._norm == "product":
            return cell_text(record.product)
        keys = tuple(record.extra)
        if keys not in self._columns:
            self._columns[keys] = self._resolve(keys)
            if len(self.seen) < 50:
                self.seen.update(dict.fromkeys(keys))
        column = self._columns[keys]
        return cell_text(record.extra.get(column)) if column is not None else None

    def _resolve(self, keys: tuple[str, ...]) -> str | None:
        exact = next((k for k in keys if normalize_name(k) == self._norm), None)
        if exact is not None or self._role is None:
            return exact
        return find_column(keys, self._role)


class CompareAcc:
    """``side(record)`` for every record, ``add_insight`` for the analyzed ones; ``finish``
    compares the groups."""

    def __init__(self, by: str, *, us: str | None = None) -> None:
        self.key = GroupKey(by)
        self.us = us
        self.sides: dict[str, Side] = {}
        self.missing = 0

    def side(self, record: ResultRecord) -> Side | None:
        """The record's group (counted as a review), or None when it has no value."""
        value = self.key(record)
        if value is None:
            self.missing += 1
            return None
        side = self.sides.get(value)
        if side is None:
            if len(self.sides) >= _MAX_GROUPS and value != self.us:
                value = _OTHER_GROUPS
            side = self.sides.setdefault(value, Side())
        side.reviews += 1
        return side

    @staticmethod
    def add_insight(
        side: Side,
        *,
        label: str,
        score: float,
        rating: float | None,
        complaints: set[str],
        praise: set[str],
        quotes: list[ThemeQuote],
    ) -> None:
        """Count one analyzed review of ``side``."""
        side.tally.add(label, score, rating)
        side.complaints.update(complaints)
        for theme in praise:
            side.praise.add(theme)
        side.drivers.add(rating, score, complaints, set())
        for kind, theme, text, make in quotes:
            sample = side.quotes.setdefault((kind, theme), QuoteSample(1))
            sample.offer(quote_key(text, 0), make)
        if len(side.quotes) > 2 * (side.praise.capacity + 200):
            side.quotes = {k: v for k, v in side.quotes.items()
                           if k[0] == "complaint" or k[1] in side.praise.counts}

    def finish(
        self, *, groups: int, fdr: float, resamples: int, seed: int, min_reviews: int
    ) -> Comparison:
        by_size = sorted(self.sides, key=lambda g: (g == _OTHER_GROUPS, -self.sides[g].reviews, g))
        if self.us is not None and self.us not in self.sides:
            listing = ", ".join(repr(g) for g in by_size[:20]) or "(none)"
            raise InputError(f"--us {self.us!r} is not a value of {self.key.by!r}; "
                             f"values: {listing}")
        us = self.us if self.us is not None else next(
            (g for g in by_size if g != _OTHER_GROUPS), None)
        shown = ([us] if us is not None else []) + [g for g in by_size if g != us][: groups - 1]
        summaries = tuple(self._summary(g, g == us, resamples, seed, min_reviews) for g in shown)
        others = [g for g in shown if g not in (us, _OTHER_GROUPS)]
        differences, tested = self._differences(us, others, fdr)
        return Comparison(
            by=self.key.by, us=us, groups=summaries, differences=differences, tested=tested,
            fdr=fdr, missing=self.missing, hidden_groups=len(self.sides) - len(shown),
            columns_seen=tuple(self.key.seen),
        )

    def _summary(
        self, name: str, is_us: bool, resamples: int, seed: int, min_reviews: int
    ) -> GroupSummary:
        s = self.sides[name]
        t = s.tally
        n = t.analyzed

        def top(counts: list[tuple[str, int]]) -> tuple[tuple[str, int, float], ...]:
            return tuple((t, c, c / n) for t, c in counts[:_SHOWN_THEMES]) if n else ()

        return GroupSummary(
            name=name, is_us=is_us, reviews=s.reviews, analyzed=n,
            label_counts=t.label_counts(), mean_score=t.mean_score,
            negative_share=t.negative_share, mean_rating=t.mean_rating,
            complaints=dict(sorted(s.complaints.items(), key=lambda kv: (-kv[1], kv[0]))),
            top_complaints=top(sorted(s.complaints.items(), key=lambda kv: (-kv[1], kv[0]))),
            top_praise=top(s.praise.most_common()),
            drivers=s.drivers.finish(resamples=resamples, seed=seed, min_reviews=min_reviews,
                                     max_rows=3),
        )

    def _differences(
        self, us: str | None, others: list[str], fdr: float
    ) -> tuple[tuple[ThemeDifference, ...], int]:
        if us is None:
            return (), 0
        ours = self.sides[us]
        tests: list[tuple[ThemeKind, str, str, int, int, float, Literal["z-test", "Fisher"]]] = []
        for them in others:
            theirs = self.sides[them]
            n_us, n_them = ours.tally.analyzed, theirs.tally.analyzed
            if not n_us or not n_them:
                continue
            for kind, mine, other in (("complaint", ours.complaints, theirs.complaints),
                                      ("praise", ours.praise.counts, theirs.praise.counts)):
                for theme in sorted(set(mine) | set(other)):
                    a, b = mine.get(theme, 0), other.get(theme, 0)
                    if a + b < MIN_TESTED:
                        continue
                    p, test = proportion_test(a, n_us, b, n_them)
                    tests.append((kind, theme, them, a, b, p, test))  # type: ignore[arg-type]
        adjusted = benjamini_hochberg([t[5] for t in tests])
        found = []
        for (kind, theme, them, a, b, p, test), q in zip(tests, adjusted, strict=True):
            if q > fdr:
                continue
            theirs = self.sides[them]
            us_share, them_share = a / ours.tally.analyzed, b / theirs.tally.analyzed
            fewer_of_ours = us_share < them_share
            better: Literal["us", "them"] = (
                "us" if fewer_of_ours == (kind == "complaint") else "them")
            found.append(ThemeDifference(
                theme=theme, kind=kind, them=them, us_reviews=a, us_share=us_share,
                them_reviews=b, them_share=them_share, p_value=p, q_value=q,
                test=test,
                better=better, quote_us=_first(ours, kind, theme),
                quote_them=_first(theirs, kind, theme),
            ))
        # The largest gaps first: the ones worth acting on.
        found.sort(key=lambda d: (-abs(d.us_share - d.them_share), d.q_value, d.them, d.kind,
                                  d.theme))
        return tuple(found), len(tests)


def _first(side: Side, kind: ThemeKind, theme: str) -> Quote | None:
    sample = side.quotes.get((kind, theme))
    return sample.items[0][1] if sample is not None and sample.items else None
