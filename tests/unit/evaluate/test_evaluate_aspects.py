"""Aspect-term scoring: normalization, matching rules, hand-computed scores."""

from __future__ import annotations

import pytest

from wom_sdk.evaluate import AspectTerm, match_terms, normalize_term, score_aspects
from wom_sdk.types import ReviewInsight


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Battery Life", "battery life"),
        ("  battery   life!! ", "battery life"),
        ("Ｂａｔｔｅｒｙ", "battery"),  # full-width
        ("batteries", "battery"),
        ("boxes", "box"),
        ("fries", "fry"),
        ("glass", "glass"),
        ("news", "news"),
        ("bus", "bus"),
        ("电池 续航", "电池续航"),
        ("电池，续航。", "电池续航"),
        ("iPhone 充电", "iphone充电"),
        ("wi-fi", "wi fi"),
        ("", ""),
    ],
)
def test_normalize_term(raw: str, normalized: str) -> None:
    assert normalize_term(raw) == normalized


def test_matching_exact_then_containment_one_to_one() -> None:
    gold = ["battery life", "screen", "电池", "service"]
    pred = ["Screens", "batteries", "电池续航", "ice", "battery"]
    # exact (normalized): screen~Screens, battery... no exact for "battery life";
    # containment: "battery life" ⊇ "battery" (the first unused: "batteries"),
    # 电池 ⊂ 电池续航; "ice" is not a word of "service".
    assert match_terms(gold, pred) == [(0, 1), (1, 0), (2, 2)]


def test_each_term_matches_once() -> None:
    assert match_terms(["food", "food quality"], ["food"]) == [(0, 0)]
    assert match_terms(["food"], ["food", "food"]) == [(0, 0)]


def _insight(complaints: list[str], praise: list[str]) -> ReviewInsight:
    return ReviewInsight.model_validate(
        {
            "language": "en",
            "sentiment": {"label": "mixed", "score": 0},
            "complaints": [{"aspect": a, "category": "other", "quote": a} for a in complaints],
            "praise": [{"aspect": a, "quote": a} for a in praise],
            "reply": {"text": "thanks"},
        }
    )


def test_scores_by_hand() -> None:
    gold = [
        [{"term": "fried rice", "polarity": "positive"}, {"term": "staff", "polarity": "negative"}],
        [{"term": "prices", "polarity": "negative"}],
        [{"term": "decor", "polarity": "neutral"}],
        [{"term": "food", "polarity": "positive"}],  # this review failed
        [],
    ]
    pred = [
        _insight(complaints=["staff"], praise=["rice"]),  # 2 matches, both polarities right
        _insight(complaints=[], praise=["price"]),  # match, polarity wrong
        _insight(complaints=["music"], praise=[]),  # false positive; gold decor missed
        None,
        [AspectTerm("view", "positive")],  # term lists work too
    ]
    s = score_aspects(gold, pred)
    assert (s.gold, s.predicted, s.matched, s.polarity_correct) == (5, 5, 3, 2)
    assert (s.precision, s.recall) == (pytest.approx(3 / 5), pytest.approx(3 / 5))
    assert s.f1 == pytest.approx(3 / 5)
    assert s.polarity_accuracy == pytest.approx(2 / 3)
    assert "polarity accuracy on matched terms  0.667 (2/3)" in s.to_text()


def test_duplicates_count_once_and_empty_is_zero() -> None:
    s = score_aspects(
        [[{"term": "Food", "polarity": "positive"}, {"term": "food", "polarity": "positive"}]],
        [[AspectTerm("foods", "positive"), AspectTerm("food", "positive")]],
    )
    assert (s.gold, s.predicted, s.matched) == (1, 1, 1)
    empty = score_aspects([], [])
    assert (empty.precision, empty.recall, empty.f1, empty.polarity_accuracy) == (0, 0, 0, None)
    with pytest.raises(ValueError, match="1 gold reviews but 0 predictions"):
        score_aspects([[]], [])
