"""The report's statistics against textbook examples, hand-computed cases and scipy."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter

import pytest

from wom_sdk.report._stats import (
    benjamini_hochberg,
    binomial,
    bootstrap_difference,
    fisher_exact,
    multinomial,
    percentile,
    proportion_test,
    two_proportion_z,
)

scipy_stats = pytest.importorskip("scipy.stats")


# -- Fisher's exact test -------------------------------------------------------------------


def test_fisher_on_the_lady_tasting_tea() -> None:
    # Fisher (1935): 3 of 4 milk-first cups named right. The hypergeometric
    # probabilities of 0..4 right are 1, 16, 36, 16, 1 (/70); the two-sided
    # p-value sums those no likelier than 16/70: (1 + 16 + 16 + 1) / 70.
    assert fisher_exact(3, 1, 1, 3) == pytest.approx(34 / 70, abs=1e-12)
    assert fisher_exact(4, 0, 0, 4) == pytest.approx(2 / 70, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_fisher_agrees_with_scipy(seed: int) -> None:
    rng = random.Random(seed)
    a, b, c, d = (rng.randrange(0, 40) for _ in range(4))
    expected = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert fisher_exact(a, b, c, d) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_fisher_does_not_overflow_at_scale() -> None:
    p = fisher_exact(30_000, 70_000, 29_000, 71_000)
    expected = scipy_stats.fisher_exact([[30_000, 70_000], [29_000, 71_000]]).pvalue
    assert p == pytest.approx(expected, rel=1e-6)


# -- the two-proportion z-test ------------------------------------------------------------


def test_two_proportion_z_by_hand() -> None:
    # 45 of 100 against 30 of 100: pooled p = 75/200 = 0.375,
    # se = sqrt(0.375 * 0.625 * (1/100 + 1/100)) = 0.0684653, z = 0.15 / se = 2.19089,
    # two-sided p = erfc(z / sqrt 2) = 0.028460.
    z, p = two_proportion_z(45, 100, 30, 100)
    assert z == pytest.approx(2.190890, abs=1e-6)
    assert p == pytest.approx(0.028460, abs=1e-6)
    # z squared is Pearson's chi-square of the 2x2 table (no continuity correction).
    chi2, p_chi2, _, _ = scipy_stats.chi2_contingency([[45, 55], [30, 70]], correction=False)
    assert z * z == pytest.approx(chi2)
    assert p == pytest.approx(p_chi2)


def test_the_test_is_fisher_when_an_expected_count_is_below_five() -> None:
    p, test = proportion_test(3, 10, 1, 10)  # expected successes: 2 and 2
    assert test == "Fisher"
    assert p == pytest.approx(fisher_exact(3, 7, 1, 9))
    p, test = proportion_test(45, 100, 30, 100)
    assert test == "z-test"
    assert p == pytest.approx(0.028460, abs=1e-6)


# -- Benjamini-Hochberg -------------------------------------------------------------------

# Benjamini & Hochberg (1995), section 4: 15 p-values of a clinical trial.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
           0.4262, 0.5719, 0.6528, 0.7590, 1.0000]


def test_benjamini_hochberg_on_the_papers_example() -> None:
    adjusted = benjamini_hochberg(BH_1995)
    # At q = 0.05 the step-up procedure rejects the four smallest (0.0095 <= 4/15 * 0.05;
    # 0.0201 > 5/15 * 0.05 and no later p-value catches up), Bonferroni only three.
    assert [p for p, q in zip(BH_1995, adjusted, strict=True) if q <= 0.05] == BH_1995[:4]
    assert sum(p <= 0.05 / 15 for p in BH_1995) == 3
    assert adjusted[3] == pytest.approx(0.0095 * 15 / 4)
    assert adjusted[4] == pytest.approx(0.0201 * 15 / 5)
    assert adjusted == sorted(adjusted)  # monotone in p, at most 1
    assert adjusted[-1] == 1.0


def test_benjamini_hochberg_keeps_the_input_order() -> None:
    shuffled = [BH_1995[i] for i in (14, 0, 7, 3)]
    adjusted = benjamini_hochberg(shuffled)
    assert adjusted == [1.0, pytest.approx(0.0001 * 4), pytest.approx(0.0344 * 4 / 3),
                        pytest.approx(0.0095 * 4 / 2)]


# -- binomial draws ---------------------------------------------------------------------------


def test_binomial_is_seeded_and_exact_in_its_edge_cases() -> None:
    draws = [binomial(random.Random(5), 1000, 0.3) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = random.Random(1)
    assert binomial(rng, 0, 0.4) == 0
    assert binomial(rng, 17, 0.0) == 0
    assert binomial(rng, 17, 1.0) == 17
    with pytest.raises(ValueError, match="binomial needs"):
        binomial(rng, 5, 1.5)


@pytest.mark.parametrize(("n", "p"), [(5, 0.3), (60, 0.1), (1000, 0.3), (40, 0.9), (100_000, 0.02)])
def test_binomial_has_the_mean_and_variance_of_the_distribution(n: int, p: float) -> None:
    rng = random.Random(7)
    draws = [binomial(rng, n, p) for _ in range(20_000)]
    sd_of_mean = math.sqrt(n * p * (1 - p) / len(draws))
    assert statistics.fmean(draws) == pytest.approx(n * p, abs=5 * sd_of_mean)
    assert statistics.variance(draws) == pytest.approx(n * p * (1 - p), rel=0.06)
    assert all(0 <= d <= n for d in draws)


@pytest.mark.parametrize(("n", "p"), [(1000, 0.3), (40, 0.4), (200, 0.05)])
def test_binomial_draws_fit_the_exact_distribution(n: int, p: float) -> None:
    rng = random.Random(3)
    total = 40_000
    counts = Counter(binomial(rng, n, p) for _ in range(total))
    dist = scipy_stats.binom(n, p)
    support = [k for k in range(n + 1) if dist.pmf(k) * total >= 5]
    low, high = support[0], support[-1]
    observed = [sum(v for k, v in counts.items() if k <= low)]
    observed += [counts.get(k, 0) for k in range(low + 1, high)]
    observed += [sum(v for k, v in counts.items() if k >= high)]
    expected = [dist.cdf(low) * total, *(dist.pmf(k) * total for k in range(low + 1, high)),
                dist.sf(high - 1) * total]
    assert scipy_stats.chisquare(observed, expected).pvalue > 0.001


def test_a_multinomial_draw_adds_up_and_follows_the_weights() -> None:
    rng = random.Random(2)
    draws = [multinomial(rng, 500, [5, 3, 2]) for _ in range(2_000)]
    assert all(sum(d) == 500 for d in draws)
    means = [statistics.fmean(d[i] for d in draws) for i in range(3)]
    assert means == [pytest.approx(250, abs=2), pytest.approx(150, abs=2),
                     pytest.approx(100, abs=2)]


# -- the bootstrap ------------------------------------------------------------------------------


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.025) == pytest.approx(1.075)
    assert percentile([7.0], 0.975) == 7.0


def test_a_group_without_spread_has_a_point_interval() -> None:
    # Every resample of a group of identical values has the same mean.
    low, high = bootstrap_difference([(2.0, 40)], [(4.5, 90)], resamples=200, seed="s")
    assert (low, high) == (pytest.approx(-2.5), pytest.approx(-2.5))


def test_the_interval_of_a_hand_computable_case() -> None:
    # The group is {1, 5}: a resample of two is {1,1}, {1,5}, {5,1} or {5,5}, so its mean
    # is 1, 3 or 5 with probabilities 1/4, 1/2, 1/4; the rest is always 3. The
    # difference is -2, 0 or +2, and with 1,000 resamples both tails hold -2 and +2
    # (the chance that one of them never appears is 2 x 0.75^1000).
    low, high = bootstrap_difference([(1.0, 1), (5.0, 1)], [(3.0, 50)], resamples=1000, seed="x")
    assert (low, high) == (-2.0, 2.0)


def test_the_same_seed_gives_the_same_interval_and_another_seed_another() -> None:
    group = [(1.0, 30), (2.0, 25), (3.0, 10), (4.0, 6), (5.0, 4)]
    rest = [(1.0, 100), (2.0, 200), (3.0, 400), (4.0, 900), (5.0, 1400)]
    first = bootstrap_difference(group, rest, resamples=500, seed="0:rating:complaint:battery")
    again = bootstrap_difference(group, rest, resamples=500, seed="0:rating:complaint:battery")
    other = bootstrap_difference(group, rest, resamples=500, seed="1:rating:complaint:battery")
    assert first == again
    assert first != other
    # Pinned: a change to the sampler changes published intervals, and must be seen.
    assert first == (pytest.approx(-2.330842, abs=1e-6), pytest.approx(-1.790217, abs=1e-6))


def test_large_groups_agree_with_the_normal_theory_interval() -> None:
    # For large groups the bootstrap percentile interval approaches
    # diff +- 1.96 * sqrt(var1 / n1 + var2 / n2) (both variances with divisor n).
    group = [(1.0, 300), (2.0, 200), (3.0, 100), (4.0, 50), (5.0, 20)]
    rest = [(5.0, 3000), (4.0, 2000), (3.0, 500), (2.0, 300), (1.0, 100)]

    def moments(cells: list[tuple[float, int]]) -> tuple[float, float, int]:
        n = sum(c for _, c in cells)
        mean = sum(v * c for v, c in cells) / n
        return mean, sum(c * (v - mean) ** 2 for v, c in cells) / n, n

    (m1, v1, n1), (m2, v2, n2) = moments(group), moments(rest)
    half = 1.96 * math.sqrt(v1 / n1 + v2 / n2)
    low, high = bootstrap_difference(group, rest, resamples=2000, seed="normal")
    assert low == pytest.approx(m1 - m2 - half, abs=0.15 * half)
    assert high == pytest.approx(m1 - m2 + half, abs=0.15 * half)
    assert high - low == pytest.approx(2 * half, rel=0.1)


def test_bootstrap_refuses_an_empty_group() -> None:
    with pytest.raises(ValueError, match="both groups need reviews"):
        bootstrap_difference([], [(1.0, 3)], resamples=10, seed="s")
