"""Classification metrics against hand computations (and scikit-learn when installed)."""

from __future__ import annotations

import random

import pytest

from wom_sdk.evaluate import FAILED, classification_metrics

POS, NEG, NEU, MIX = "positive", "negative", "neutral", "mixed"


def test_binary_gold_with_mixed_and_failed_predictions() -> None:
    gold = [POS, POS, POS, NEG, NEG, NEG, NEG, POS]
    pred = [POS, NEG, MIX, NEG, NEG, POS, None, POS]
    m = classification_metrics(gold, pred)
    assert m.labels == (POS, NEG)
    assert (m.n, m.correct, m.failed) == (8, 4, 1)
    assert m.accuracy == 0.5
    # positive: 2 right of 3 predicted positive, of 4 gold positive
    p = m.per_class[POS]
    assert (p.precision, p.recall, p.support) == (pytest.approx(2 / 3), 0.5, 4)
    assert p.f1 == pytest.approx(4 / 7)  # 2 * (2/3) * (1/2) / (2/3 + 1/2)
    n = m.per_class[NEG]
    assert (n.precision, n.recall, n.f1, n.support) == (
        pytest.approx(2 / 3),
        0.5,
        pytest.approx(4 / 7),
        4,
    )
    assert m.macro_f1 == pytest.approx(4 / 7)
    # mixed and failed keep their own columns: nothing folded into a gold class
    c = m.confusion
    assert c.rows == (POS, NEG)
    assert c.columns == (POS, NEG, MIX, FAILED)
    assert c.counts == ((2, 1, 1, 0), (1, 2, 0, 1))
    assert c[POS, MIX] == 1
    assert c[NEG, FAILED] == 1
    assert c[NEU, POS] == 0


def test_zero_division_is_zero_and_failed_column_always_shown() -> None:
    m = classification_metrics([POS, NEG, NEU], [POS, POS, POS])
    assert m.labels == (POS, NEG, NEU)
    assert m.per_class[POS].precision == pytest.approx(1 / 3)
    assert m.per_class[POS].f1 == pytest.approx(0.5)
    assert m.per_class[NEG].precision == 0.0
    assert m.per_class[NEG].f1 == 0.0
    assert m.macro_f1 == pytest.approx(0.5 / 3)
    assert m.confusion.columns == (POS, NEG, NEU, FAILED)


def test_explicit_labels_and_out_of_class_gold() -> None:
    m = classification_metrics([POS, MIX, NEG], [POS, MIX, NEU], labels=[POS, NEG])
    assert m.labels == (POS, NEG)
    assert m.confusion.rows == (POS, NEG, MIX)
    assert m.confusion.columns == (POS, NEG, NEU, MIX, FAILED)
    assert m.correct == 2  # exact matches, mixed == mixed included
    assert m.macro_f1 == pytest.approx((1.0 + 0.0) / 2)


def test_text_output_has_every_number() -> None:
    m = classification_metrics([POS, NEG], [POS, None])
    text = m.to_text()
    assert "accuracy  0.500  (1/2; 1 failed, counted as wrong)" in text
    assert "macro-F1" in text
    table = m.confusion.to_text()
    assert table.splitlines()[0].split() == ["gold", "\\", "predicted", POS, NEG, FAILED]


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1"):
        classification_metrics([POS, NEG], [POS])


def test_agrees_with_scikit_learn() -> None:
    from sklearn import metrics  # the `test` extra installs it: never skipped

    rng = random.Random(0)
    labels = [POS, NEG, NEU]
    gold = [rng.choice(labels) for _ in range(300)]
    pred = [rng.choice([*labels, MIX, None]) for _ in range(300)]
    ours = classification_metrics(gold, pred)
    theirs_pred = [FAILED if p is None else p for p in pred]
    assert ours.accuracy == pytest.approx(metrics.accuracy_score(gold, theirs_pred))
    assert ours.macro_f1 == pytest.approx(
        metrics.f1_score(gold, theirs_pred, labels=labels, average="macro", zero_division=0)
    )
    p, r, f, s = metrics.precision_recall_fscore_support(
        gold, theirs_pred, labels=labels, zero_division=0
    )
    for i, label in enumerate(labels):
        c = ours.per_class[label]
        assert (c.precision, c.recall, c.f1, c.support) == pytest.approx((p[i], r[i], f[i], s[i]))
