"""Paired bootstrap comparison: deterministic, and right on crafted cases."""

from __future__ import annotations

import random

import pytest

from wom_sdk.evaluate import classification_metrics, compare

POS, NEG, MIX = "positive", "negative", "mixed"


def crafted(n: int = 200) -> tuple[list[str], list[str | None], list[str | None]]:
    """A right on 70% of reviews, B right on the same ones plus 10% more."""
    gold = [POS if i % 2 else NEG for i in range(n)]
    flip = {POS: NEG, NEG: POS}
    a = [g if i % 10 < 7 else flip[g] for i, g in enumerate(gold)]
    b = [g if i % 10 < 8 else flip[g] for i, g in enumerate(gold)]
    return gold, list(a), list(b)


def test_interval_contains_the_true_difference_and_excludes_zero() -> None:
    gold, a, b = crafted()
    c = compare(gold, a, b)
    assert c.a.accuracy == pytest.approx(0.7)
    assert c.b.accuracy == pytest.approx(0.8)
    assert c.accuracy_diff == pytest.approx(0.1)
    lo, hi = c.accuracy_ci
    assert 0 < lo < 0.1 < hi < 0.2
    lo, hi = c.macro_f1_ci
    assert 0 < lo < c.macro_f1_diff < hi
    assert (c.resamples, c.seed, c.confidence) == (1000, 0, 0.95)


def test_deterministic_for_a_seed() -> None:
    gold, a, b = crafted()
    assert compare(gold, a, b) == compare(gold, a, b)
    assert compare(gold, a, b, seed=1).macro_f1_ci != compare(gold, a, b, seed=2).macro_f1_ci


def test_identical_configurations_have_a_zero_interval() -> None:
    gold, a, _ = crafted()
    c = compare(gold, a, a)
    assert c.accuracy_ci == (0.0, 0.0)
    assert c.macro_f1_ci == (0.0, 0.0)


def test_each_resample_is_scored_like_the_full_metrics() -> None:
    # With one resample, the interval is that resample's difference: recompute
    # it with classification_metrics on the same draw (random.Random(seed)).
    rng = random.Random(5)
    gold = [rng.choice([POS, NEG, "neutral"]) for _ in range(60)]
    a = [rng.choice([POS, NEG, "neutral", MIX, None]) for _ in range(60)]
    b = [rng.choice([POS, NEG, "neutral", MIX, None]) for _ in range(60)]
    c = compare(gold, a, b, resamples=1, seed=9)
    idx = random.Random(9).choices(range(60), k=60)
    labels = classification_metrics(gold, a).labels

    def metrics(pred: list[str | None]) -> tuple[float, float]:
        m = classification_metrics([gold[i] for i in idx], [pred[i] for i in idx], labels=labels)
        return m.accuracy, m.macro_f1

    (acc_a, f1_a), (acc_b, f1_b) = metrics(a), metrics(b)
    assert c.accuracy_ci == pytest.approx((acc_b - acc_a, acc_b - acc_a))
    assert c.macro_f1_ci == pytest.approx((f1_b - f1_a, f1_b - f1_a))


def test_text_and_errors() -> None:
    gold, a, b = crafted()
    text = compare(gold, a, b, resamples=200).to_text("prompts-v1", "prompts-v2")
    assert "prompts-v2 - prompts-v1" in text
    assert "95% CI" in text
    assert "+0.100" in text
    assert "200 resamples, seed 0" in text
    with pytest.raises(ValueError, match="must have the same length"):
        compare(gold, a, b[:-1])
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        compare(gold, a, b, confidence=1.5)
