"""Scoring extracted aspects against SemEval-style gold aspect terms.

Predicted aspects are the insight's complaints (polarity negative) and praise
(polarity positive). Terms are compared after ``normalize_term`` (NFKC,
lowercase, punctuation and extra spaces removed, simple English plural
stripped). A predicted and a gold term match when, normalized,

1. they are equal, or
2. one contains the other: as a run of whole words for Latin text
   ("battery" ~ "battery life", but "ice" !~ "service"), as a substring for
   text with CJK characters ("电池" ~ "电池续航").

Matching is one-to-one within a review: exact pairs first, then containment,
each greedily in the order the terms were given. Duplicate (term, polarity)
pairs in a review count once, on both sides. Precision, recall and F1 are
micro-averaged over all reviews; polarity accuracy is over matched pairs
only. A failed review predicts nothing, so its gold terms lower recall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..text._textnorm import normalize_term
from ..types import ReviewInsight
from ._labels import AspectTerm

__all__ = ["AspectScores", "aspects_from_insight", "match_terms", "score_aspects"]


@dataclass(frozen=True)
class AspectScores:
    """Micro-averaged aspect-term extraction scores."""

    gold: int
    predicted: int
    matched: int
    polarity_correct: int

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def polarity_accuracy(self) -> float | None:
        return self.polarity_correct / self.matched if self.matched else None

    def to_text(self) -> str:
        pol = self.polarity_accuracy
        return (
            f"aspects  precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"f1 {self.f1:.3f}  ({self.matched} matched of {self.gold} gold, "
            f"{self.predicted} predicted)\n"
            f"polarity accuracy on matched terms  "
            f"{'—' if pol is None else f'{pol:.3f}'} ({self.polarity_correct}/{self.matched})"
        )


def aspects_from_insight(insight: ReviewInsight | None) -> list[AspectTerm]:
    """Complaints as negative terms, praise as positive terms (nothing for a failure)."""
    if insight is None:
        return []
    return [AspectTerm(c.aspect, "negative") for c in insight.complaints] + [
        AspectTerm(p.aspect, "positive") for p in insight.praise
    ]


def _has_cjk(text: str) -> bool:
    return any(
        "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"
        for ch in text
    )


def _contains(longer: str, shorter: str) -> bool:
    if _has_cjk(longer) or _has_cjk(shorter):
        return shorter.replace(" ", "") in longer.replace(" ", "")
    big, small = longer.split(), shorter.split()
    return any(big[i : i + len(small)] == small for i in range(len(big) - len(small) + 1))


def match_terms(gold: Sequence[str], predicted: Sequence[str]) -> list[tuple[int, int]]:
    """One-to-one ``(gold index, predicted index)`` matches of normalized terms."""
    g = [normalize_term(t) for t in gold]
    p = [normalize_term(t) for t in predicted]
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for exact in (True, False):
        for i, gt in enumerate(g):
            if i in used_g or not gt:
                continue
            for j, pt in enumerate(p):
                if j in used_p or not pt:
                    continue
                if gt == pt if exact else (_contains(gt, pt) or _contains(pt, gt)):
                    pairs.append((i, j))
                    used_g.add(i)
                    used_p.add(j)
                    break
    return sorted(pairs)


def _terms(items: Sequence[AspectTerm | Mapping[str, object]]) -> list[AspectTerm]:
    out: list[AspectTerm] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        term = (
            item
            if isinstance(item, AspectTerm)
            else AspectTerm(str(item["term"]), str(item.get("polarity", "")).strip().lower())
        )
        key = (normalize_term(term.term), term.polarity)
        if key[0] and key not in seen:
            seen.add(key)
            out.append(term)
    return out


def score_aspects(
    gold: Sequence[Sequence[AspectTerm | Mapping[str, object]]],
    predicted: Sequence[ReviewInsight | Sequence[AspectTerm | Mapping[str, object]] | None],
) -> AspectScores:
    """Score per-review predictions (insights or term lists) against gold terms."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold reviews but {len(predicted)} predictions")
    n_gold = n_pred = matched = polarity_ok = 0
    for gold_items, pred in zip(gold, predicted, strict=True):
        g = _terms(gold_items)
        p = _terms(
            aspects_from_insight(pred) if pred is None or isinstance(pred, ReviewInsight) else pred
        )
        n_gold += len(g)
        n_pred += len(p)
        for i, j in match_terms([t.term for t in g], [t.term for t in p]):
            matched += 1
            polarity_ok += g[i].polarity == p[j].polarity
    return AspectScores(
        gold=n_gold, predicted=n_pred, matched=matched, polarity_correct=polarity_ok
    )
