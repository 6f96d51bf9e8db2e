"""The statistics of the report, in pure Python: a seeded bootstrap and proportion tests.

No numpy: the report runs without the ``report`` extra (Markdown needs no
matplotlib), and results must not depend on which numeric library is
installed. Everything here is deterministic given its inputs and seed.

- ``bootstrap_difference``: a percentile interval for a difference of two
  means, resampling each group with replacement at its own size (the
  two-sample bootstrap of Efron & Tibshirani, *An Introduction to the
  Bootstrap*, 1993, ch. 8). The groups are given as counts per distinct value
  ("cells"), so a resample of a group of n reviews is one multinomial draw
  over its cells, not n draws: the cost is resamples x cells, whatever n is.
- ``binomial``: the draw behind that multinomial, exact: Devroye's geometric
  method for small means and Hörmann's BTRS (transformed rejection with
  squeeze, 1993) otherwise, after CPython's ``random.binomialvariate``
  (Lib/random.py, new in 3.12, whose comment notes the paper's missing
  ``log(v)``); written out here so that every Python version, 3.11 included,
  draws the same numbers from the same seed.
- ``proportion_test``: is a share different in two groups? The two-proportion
  z-test (pooled) when every expected count is at least 5 (the usual rule for
  the normal approximation), else Fisher's exact test (two-sided: the tables
  at most as likely as the one seen, as R's ``fisher.test`` sums them).
- ``benjamini_hochberg``: the false discovery rate control over many tests.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "MICRO",
    "Cells",
    "Tally",
    "benjamini_hochberg",
    "binomial",
    "bootstrap_difference",
    "fisher_exact",
    "micro",
    "micro_mean",
    "multinomial",
    "percentile",
    "proportion_test",
    "two_proportion_z",
]

MICRO = 1_000_000


def micro(value: float) -> int:
    """Scores and ratings are summed as integers: float sums depend on the order of
    the input, and the report must not (same reviews, same numbers, any order)."""
    return round(value * MICRO)


def micro_mean(total: int, n: int) -> float | None:
    """The mean of ``n`` values summed by ``micro`` (None for none)."""
    return total / MICRO / n if n else None


@dataclass
class Tally:
    """Sentiment labels, scores and ratings of a group of analyzed reviews, order-free."""

    analyzed: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    negative: int = 0
    score_sum: int = 0  # micro units
    rating_sum: int = 0
    rating_n: int = 0

    def add(self, label: str, score: float, rating: float | None) -> None:
        self.analyzed += 1
        self.labels[label] += 1
        self.negative += label == "negative"
        self.score_sum += micro(score)
        if rating is not None:
            self.rating_sum += micro(rating)
            self.rating_n += 1

    def label_counts(self) -> dict[str, int]:
        """Most frequent first."""
        return dict(sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def mean_score(self) -> float | None:
        return micro_mean(self.score_sum, self.analyzed)

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.analyzed if self.analyzed else None

    @property
    def mean_rating(self) -> float | None:
        return micro_mean(self.rating_sum, self.rating_n)


#: A group of values as (value, count) pairs, values distinct.
Cells = Sequence[tuple[float, int]]

# Below this many reviews a group is resampled draw by draw: cheaper than one
# binomial per cell, and exact all the same.
_DIRECT_MAX = 24
_FISHER_TOLERANCE = 1 + 1e-7


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A draw from Binomial(n, p), exact, from ``rng`` alone."""
    if n < 0 or not 0.0 <= p <= 1.0:
        raise ValueError(f"binomial needs n >= 0 and 0 <= p <= 1, got n={n}, p={p}")
    return _binomial(rng.random, n, p)


def _binomial(random_: Callable[[], float], n: int, p: float) -> int:
    if p <= 0.0 or n == 0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return int(random_() < p)
    flip = p > 0.5
    if flip:
        p = 1.0 - p
    if n * p < 10.0:
        # Devroye (1986), ch. X.4: count the geometric gaps that fit in n trials.
        k = y = 0
        c = math.log(1.0 - p)
        if c:
            while True:
                y += math.floor(math.log(random_()) / c) + 1
                if y > n:
                    break
                k += 1
        return n - k if flip else k
    # Hörmann (1993), "The generation of binomial random variates", algorithm BTRS.
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    accept: tuple[float, float, int, float] | None = None
    while True:
        u = random_() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = random_()
        if us >= 0.07 and v <= vr:
            return n - k if flip else k
        if accept is None:  # the slow test's constants, set up once per draw at most
            m = math.floor((n + 1) * p)
            accept = ((2.83 + 5.1 / b) * spq, math.log(p / (1.0 - p)), m,
                      math.lgamma(m + 1) + math.lgamma(n - m + 1))
        alpha, lpq, m, h = accept
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return n - k if flip else k


def multinomial(rng: random.Random, n: int, counts: Sequence[int]) -> list[int]:
    """A draw of ``n`` items over cells weighted by ``counts``: one binomial per cell."""
    return _Group([(0.0, c) for c in counts]).draw(rng.random, n)


class _Group:
    """One group's cells, set up for resampling: each cell's probability given the
    cells before it took their share (the sequential-binomial form of a multinomial)."""

    def __init__(self, cells: Cells) -> None:
        self.values = [v for v, _ in cells]
        counts = [c for _, c in cells]
        self.n = sum(counts)
        remaining = self.n
        self.conditional = []
        for count in counts:
            self.conditional.append(count / remaining if remaining > 0 else 0.0)
            remaining -= count
        cum: list[int] = []
        for count in counts:
            cum.append((cum[-1] if cum else 0) + count)
        self.cum = cum

    def draw(self, random_: Callable[[], float], n: int) -> list[int]:
        out = []
        for p in self.conditional:
            k = _binomial(random_, n, p) if n else 0
            out.append(k)
            n -= k
        return out

    def resampled_mean(self, rng: random.Random) -> float:
        n = self.n
        if n <= _DIRECT_MAX:
            return sum(rng.choices(self.values, cum_weights=self.cum, k=n)) / n
        drawn = self.draw(rng.random, n)
        return sum(v * k for v, k in zip(self.values, drawn, strict=True) if k) / n


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) with linear interpolation (numpy's default, type 7)."""
    if not sorted_values:
        raise ValueError("percentile of nothing")
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    frac = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * frac


def bootstrap_difference(
    group: Cells, rest: Cells, *, resamples: int, seed: str, level: float = 0.95
) -> tuple[float, float]:
    """A percentile interval for mean(group) - mean(rest); each group resampled at its size.

    ``seed`` is any string (Python's ``random.Random`` hashes it with SHA-512):
    the report derives one per theme, so that adding a theme to the data does
    not move the other themes' intervals.
    """
    first, second = _Group(group), _Group(rest)
    if first.n == 0 or second.n == 0 or resamples < 1:
        raise ValueError("both groups need reviews, and resamples must be at least 1")
    rng = random.Random(seed)
    diffs = sorted(first.resampled_mean(rng) - second.resampled_mean(rng)
                   for _ in range(resamples))
    tail = (1.0 - level) / 2
    return percentile(diffs, tail), percentile(diffs, 1.0 - tail)


def _normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """The pooled two-proportion z statistic and its two-sided p-value."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, _normal_two_sided(z)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test of the table [[a, b], [c, d]], two-sided."""
    row1, col1, n = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (n - row1)), min(row1, col1)

    def log_p(x: int) -> float:  # hypergeometric, in logs: no overflow at 100,000 reviews
        return (_log_choose(row1, x) + _log_choose(n - row1, col1 - x)) - _log_choose(n, col1)

    observed = log_p(a)
    limit = observed + math.log(_FISHER_TOLERANCE)
    total = sum(math.exp(lp) for x in range(low, high + 1) if (lp := log_p(x)) <= limit)
    return min(1.0, total)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def proportion_test(
    x1: int, n1: int, x2: int, n2: int
) -> tuple[float, Literal["z-test", "Fisher"]]:
    """The p-value of "the share x1/n1 differs from x2/n2", and which test gave it."""
    pooled = (x1 + x2) / (n1 + n2)
    expected = (n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if min(expected) >= 5:
        return two_proportion_z(x1, n1, x2, n2)[1], "z-test"
    return fisher_exact(x1, n1 - x1, x2, n2 - x2), "Fisher"


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values: a test is a discovery at false discovery
    rate q when its adjusted value is at most q (Benjamini & Hochberg 1995, step-up)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, pvalues[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted
