"""Sentiment classification metrics and a paired bootstrap comparison, by hand.

No scikit-learn: the package should not pull in scipy for a few sums. The
definitions follow scikit-learn's (``zero_division=0``) so results can be
cross-checked, with one deliberate difference in what the classes are:

* the classes are the gold labels (e.g. only positive/negative for a binary
  dataset); macro-F1 averages over them;
* a prediction outside them ("mixed" or "neutral" on binary gold) is kept as
  its own confusion-matrix column and counts as a miss, never folded into a
  gold class;
* a review whose analysis failed is predicted ``None`` and gets the "failed"
  column: it counts as a miss too (accuracy is over all reviews, not only the
  analyzed ones, so failures cannot flatter a configuration).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ._labels import CANONICAL_LABELS

__all__ = [
    "FAILED",
    "ClassMetrics",
    "ClassificationMetrics",
    "Comparison",
    "ConfusionMatrix",
    "classification_metrics",
    "compare",
]

#: Confusion-matrix column of reviews whose analysis failed.
FAILED = "failed"


@dataclass(frozen=True)
class ClassMetrics:
    """Precision, recall and F1 of one gold class, and its support (gold count)."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of gold (rows) x predicted (columns) labels."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __getitem__(self, key: tuple[str, str]) -> int:
        gold, predicted = key
        if gold not in self.rows or predicted not in self.columns:
            return 0
        return self.counts[self.rows.index(gold)][self.columns.index(predicted)]

    def to_text(self) -> str:
        """A plain-text table, gold down, predicted across."""
        head = ["gold \\ predicted", *self.columns]
        body = [[r, *(str(c) for c in row)] for r, row in zip(self.rows, self.counts, strict=True)]
        return _text_table(head, body, right=range(1, len(head)))


@dataclass(frozen=True)
class ClassificationMetrics:
    """Accuracy, macro-F1, per-class numbers and the confusion matrix."""

    labels: tuple[str, ...]
    n: int
    correct: int
    failed: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion: ConfusionMatrix

    def to_text(self) -> str:
        """The metrics table, as ``wom eval`` prints it."""
        body = [
            [label, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support)]
            for label, m in self.per_class.items()
        ]
        table = _text_table(
            ["class", "precision", "recall", "f1", "support"], body, right=range(1, 5)
        )
        return (
            f"{table}\n"
            f"accuracy  {self.accuracy:.3f}  ({self.correct}/{self.n}; {self.failed} failed, "
            "counted as wrong)\n"
            f"macro-F1  {self.macro_f1:.3f}  (over gold classes: {', '.join(self.labels)})"
        )


def _order(labels: set[str]) -> list[str]:
    known = [label for label in CANONICAL_LABELS if label in labels]
    return known + sorted(labels - set(CANONICAL_LABELS))


def classification_metrics(
    gold: Sequence[str],
    predicted: Sequence[str | None],
    *,
    labels: Sequence[str] | None = None,
) -> ClassificationMetrics:
    """Metrics of ``predicted`` (None = analysis failed) against ``gold``.

    ``labels`` are the classes (default: the gold labels present, in the order
    positive, negative, neutral, mixed, then others).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    classes = list(labels) if labels is not None else _order(set(gold))
    pairs = Counter(zip(gold, (FAILED if p is None else p for p in predicted), strict=True))
    extra = _order({p for _, p in pairs if p not in classes and p != FAILED})
    columns = (*classes, *extra, FAILED)
    rows = (*classes, *_order({g for g, _ in pairs if g not in classes}))
    counts = tuple(tuple(pairs.get((r, c), 0) for c in columns) for r in rows)
    per_class, macro = _per_class(pairs, classes)
    correct = sum(n for (g, p), n in pairs.items() if g == p)
    n = len(gold)
    return ClassificationMetrics(
        labels=tuple(classes),
        n=n,
        correct=correct,
        failed=sum(n for (_, p), n in pairs.items() if p == FAILED),
        accuracy=correct / n if n else 0.0,
        macro_f1=macro,
        per_class=per_class,
        confusion=ConfusionMatrix(rows=rows, columns=columns, counts=counts),
    )


def _per_class(
    pairs: Counter[tuple[str, str]], classes: Sequence[str]
) -> tuple[dict[str, ClassMetrics], float]:
    support: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for (g, p), n in pairs.items():
        support[g] += n
        predicted[p] += n
        if g == p:
            hits[g] += n
    out: dict[str, ClassMetrics] = {}
    for label in classes:
        tp = hits[label]
        precision = tp / predicted[label] if predicted[label] else 0.0
        recall = tp / support[label] if support[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = ClassMetrics(precision, recall, f1, support[label])
    macro = sum(m.f1 for m in out.values()) / len(out) if out else 0.0
    return out, macro


@dataclass(frozen=True)
class Comparison:
    """Two configurations on the same reviews: B minus A, with bootstrap intervals."""

    a: ClassificationMetrics
    b: ClassificationMetrics
    accuracy_diff: float
    macro_f1_diff: float
    accuracy_ci: tuple[float, float]
    macro_f1_ci: tuple[float, float]
    resamples: int
    seed: int
    confidence: float

    def to_text(self, name_a: str = "A", name_b: str = "B") -> str:
        """Side-by-side metrics and the differences, as ``wom eval --compare`` prints them."""
        pct = f"{self.confidence:.0%}"

        def row(name: str, va: float, vb: float, diff: float, ci: tuple[float, float]) -> list[str]:
            return [name, f"{va:.3f}", f"{vb:.3f}", f"{diff:+.3f}", f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"]

        body = [
            row("accuracy", self.a.accuracy, self.b.accuracy, self.accuracy_diff, self.accuracy_ci),
            row("macro-F1", self.a.macro_f1, self.b.macro_f1, self.macro_f1_diff, self.macro_f1_ci),
            [
                "failed",
                str(self.a.failed),
                str(self.b.failed),
                f"{self.b.failed - self.a.failed:+d}",
                "",
            ],
        ]
        for label in self.a.labels:
            fa, fb = self.a.per_class[label].f1, self.b.per_class[label].f1
            body.append([f"F1 {label}", f"{fa:.3f}", f"{fb:.3f}", f"{fb - fa:+.3f}", ""])
        table = _text_table(
            ["metric", name_a, name_b, f"{name_b} - {name_a}", f"{pct} CI"],
            body,
            right=range(1, 5),
        )
        return (
            f"{table}\n({pct} paired bootstrap percentile intervals, {self.resamples} "
            f"resamples, seed {self.seed}; an interval that excludes 0 is a real difference "
            "at that level)"
        )


def compare(
    gold: Sequence[str],
    predicted_a: Sequence[str | None],
    predicted_b: Sequence[str | None],
    *,
    labels: Sequence[str] | None = None,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Comparison:
    """Compare two configurations' predictions on the same reviews.

    The intervals come from a paired bootstrap: ``resamples`` times, draw the
    reviews with replacement (``random.Random(seed)``), score A and B on the
    same draw, and take the percentiles of B - A (linear interpolation, as
    numpy's default). Pairing matters: both configurations face the same easy
    and hard reviews, so the interval is much tighter than comparing two
    independent intervals.
    """
    if not len(gold) == len(predicted_a) == len(predicted_b):
        raise ValueError("gold and both predictions must have the same length")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    a = classification_metrics(gold, predicted_a, labels=labels)
    b = classification_metrics(gold, predicted_b, labels=labels)
    classes = list(a.labels)
    acc_diffs: list[float] = []
    f1_diffs: list[float] = []
    n = len(gold)
    if n:
        # Encode each review as one int per configuration so that a resample is
        # counted with C-level Counter(map(...)) instead of a Python loop.
        index = {label: i for i, label in enumerate(classes)}
        other = len(classes)  # any gold/prediction outside the classes
        k = other + 1
        code_a = [
            index.get(g, other) * k + index.get(p or "", other)
            for g, p in zip(gold, predicted_a, strict=True)
        ]
        code_b = [
            index.get(g, other) * k + index.get(p or "", other)
            for g, p in zip(gold, predicted_b, strict=True)
        ]
        ok_a = [g == p for g, p in zip(gold, predicted_a, strict=True)]
        ok_b = [g == p for g, p in zip(gold, predicted_b, strict=True)]
        rng = random.Random(seed)
        population = range(n)
        for _ in range(resamples):
            idx = rng.choices(population, k=n)
            acc_diffs.append(
                (sum(map(ok_b.__getitem__, idx)) - sum(map(ok_a.__getitem__, idx))) / n
            )
            f1_diffs.append(
                _macro_f1_codes(Counter(map(code_b.__getitem__, idx)), other)
                - _macro_f1_codes(Counter(map(code_a.__getitem__, idx)), other)
            )
    tail = (1 - confidence) / 2
    return Comparison(
        a=a,
        b=b,
        accuracy_diff=b.accuracy - a.accuracy,
        macro_f1_diff=b.macro_f1 - a.macro_f1,
        accuracy_ci=_interval(acc_diffs, tail),
        macro_f1_ci=_interval(f1_diffs, tail),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )


def _macro_f1_codes(counts: Counter[int], n_classes: int) -> float:
    k = n_classes + 1
    support = [0] * k
    predicted = [0] * k
    hits = [0] * k
    for code, c in counts.items():
        g, p = divmod(code, k)
        support[g] += c
        predicted[p] += c
        if g == p:
            hits[g] += c
    total = 0.0
    for i in range(n_classes):
        precision = hits[i] / predicted[i] if predicted[i] else 0.0
        recall = hits[i] / support[i] if support[i] else 0.0
        total += 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return total / n_classes if n_classes else 0.0


def _interval(values: list[float], tail: float) -> tuple[float, float]:
    if not values:
        return (0.0, 0.0)
    ordered = sorted(values)
    return (_quantile(ordered, tail), _quantile(ordered, 1 - tail))


def _quantile(ordered: Sequence[float], q: float) -> float:
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _text_table(head: Sequence[str], body: Sequence[Sequence[str]], right: range = range(0)) -> str:
    rows = [list(head), *[list(r) for r in body]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
