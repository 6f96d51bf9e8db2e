"""Evaluation: the analyzer's labels against a labeled set (``wom eval``).

>>> from wom_sdk.evaluate import load_labeled, run_eval
"""

from __future__ import annotations

from ..text._textnorm import normalize_term
from ._aspects import AspectScores, aspects_from_insight, match_terms, score_aspects
from ._labels import (
    BINARY_LABELS,
    CANONICAL_LABELS,
    STAR_LABELS,
    TEXT_LABELS,
    AspectTerm,
    EvalItem,
    LabeledSet,
    LabelMap,
    infer_label_map,
    load_labeled,
    parse_label_map,
)
from ._metrics import (
    FAILED,
    ClassificationMetrics,
    ClassMetrics,
    Comparison,
    ConfusionMatrix,
    classification_metrics,
    compare,
)
from ._run import (
    EVAL_TASKS,
    EvalResult,
    EvalTask,
    SupportsAnalyzeMany,
    SupportsSentiment,
    compare_results,
    run_eval,
)

__all__ = [
    "BINARY_LABELS",
    "CANONICAL_LABELS",
    "EVAL_TASKS",
    "FAILED",
    "STAR_LABELS",
    "TEXT_LABELS",
    "AspectScores",
    "AspectTerm",
    "ClassMetrics",
    "ClassificationMetrics",
    "Comparison",
    "ConfusionMatrix",
    "EvalItem",
    "EvalResult",
    "EvalTask",
    "LabelMap",
    "LabeledSet",
    "SupportsAnalyzeMany",
    "SupportsSentiment",
    "aspects_from_insight",
    "classification_metrics",
    "compare",
    "compare_results",
    "infer_label_map",
    "load_labeled",
    "match_terms",
    "normalize_term",
    "parse_label_map",
    "run_eval",
    "score_aspects",
]
