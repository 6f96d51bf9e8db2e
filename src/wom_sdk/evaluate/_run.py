"""How good is the analysis? Metrics against labeled reviews, and A/B comparisons.

>>> from wom_sdk import ReviewAnalyzer
>>> from wom_sdk.evaluate import load_labeled, run_eval
>>> data = load_labeled("examples/labeled_sample.csv")       # doctest: +SKIP
>>> result = run_eval(ReviewAnalyzer(), data.items)          # doctest: +SKIP
>>> print(result.metrics.to_text())                          # doctest: +SKIP

Sentiment: accuracy, macro-F1, per-class precision/recall/F1 and a confusion
matrix in which "mixed" (or any label outside the gold classes) and failed
analyses keep columns of their own. Aspects: term precision/recall/F1 and
polarity accuracy against SemEval-style gold terms. ``compare``: two
configurations on the same reviews, with paired bootstrap intervals.

Two tasks can label the reviews (``run_eval(task=...)``): ``"analyze"`` (the
default: the full insight, which aspects need) and ``"sentiment"`` (the
analyzer's ``sentiment()`` task: a short answer, several times cheaper, which
measures exactly what ``ReviewAnalyzer.sentiment`` returns).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from .._batch import in_order, iter_batch
from .._constants import UNKNOWN_LANGUAGE
from ..io._output import check_own_file
from ..io._results import ResultRecord, coerce_record, dump_line, read_results
from ..types import ReplySuggestion, ReviewInsight, ReviewRecord, Sentiment, Usage
from ._aspects import AspectScores, score_aspects
from ._labels import (
    EvalItem,
)
from ._metrics import (
    FAILED,
    ClassificationMetrics,
    Comparison,
    classification_metrics,
    compare,
)

__all__ = [
    "EVAL_TASKS",
    "EvalResult",
    "EvalTask",
    "SupportsAnalyzeMany",
    "SupportsSentiment",
    "compare_results",
    "run_eval",
]


#: What labels the reviews: the full ``analyze``, or the ``sentiment`` task alone.
EvalTask = Literal["analyze", "sentiment"]
EVAL_TASKS: tuple[EvalTask, ...] = ("analyze", "sentiment")
#: Where a result line of the sentiment task says so (``insight.extra``): its
#: insight holds a sentiment and nothing else, and must never stand in for an
#: ``analyze`` result (nor the other way round) when a cache file is read.
_TASK_KEY = "task"


class SupportsAnalyzeMany(Protocol):
    """What ``run_eval`` needs: ``ReviewAnalyzer`` (or a stub in tests)."""

    def analyze_many(self, reviews: Iterable[Any], /) -> Iterable[Any]:
        """Results in input order, each with ``.insight`` (or None) and ``.error``."""
        ...


class SupportsSentiment(Protocol):
    """What ``run_eval(task="sentiment")`` needs: ``ReviewAnalyzer`` (or a stub in tests)."""

    def sentiment(self, text: str, /) -> Sentiment:
        """The review's overall sentiment."""
        ...


@dataclass(frozen=True)
class EvalResult:
    """Predictions of one configuration on labeled reviews, and their scores."""

    items: tuple[EvalItem, ...]
    results: tuple[ResultRecord, ...]
    metrics: ClassificationMetrics
    aspects: AspectScores | None
    usage: Usage

    @property
    def predicted(self) -> tuple[str | None, ...]:
        """Predicted sentiment labels; None where the analysis failed."""
        return tuple(r.insight.sentiment.label if r.insight else None for r in self.results)

    def prediction_records(self) -> list[dict[str, Any]]:
        """One dict per review: id, text, gold, predicted, correct (and error kind)."""
        out = []
        for item, result, label in zip(self.items, self.results, self.predicted, strict=True):
            out.append(
                {
                    "id": item.id,
                    "text": item.text,
                    "gold": item.gold,
                    "gold_raw": item.gold_raw,
                    "predicted": label if label is not None else FAILED,
                    "correct": label == item.gold,
                    "error": result.error.kind if result.error is not None else None,
                }
            )
        return out

    def write_predictions(self, path: str | os.PathLike[str]) -> Path:
        """Write ``prediction_records()`` as JSONL."""
        target = Path(path)
        with target.open("w", encoding="utf-8", newline="\n") as fh:
            for rec in self.prediction_records():
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return target

    def usage_text(self, model: str | None = None, base_url: str | None = None) -> str:
        """Tokens spent, and their estimated price when ``model``'s price is known."""
        u = self.usage
        text = (
            f"cost: {u.requests} requests, {u.prompt_tokens:,} prompt + "
            f"{u.completion_tokens:,} completion = {u.total_tokens:,} tokens"
        )
        if model:
            from .._exceptions import PricesError
            from .._pricing import load_prices

            try:
                table = load_prices()
            except PricesError:
                return text
            price = table.lookup(model, base_url)
            if price is not None:
                money = price.cost(u)
                text += f", about ${money:,.4f} for {model} ({table.source})"
        return text


def _cache_key(item_id: str, text: str) -> str:
    return item_id + "\x1f" + hashlib.sha256(text.encode()).hexdigest()


def run_eval(
    analyzer: SupportsAnalyzeMany | SupportsSentiment,
    items: Sequence[EvalItem],
    *,
    task: EvalTask = "analyze",
    cache: str | os.PathLike[str] | None = None,
    labels: Sequence[str] | None = None,
) -> EvalResult:
    """Label ``items`` with ``analyzer`` and score the predictions.

    Args:
        analyzer: a ``ReviewAnalyzer`` (anything with ``analyze_many``, or with
            ``sentiment`` for ``task="sentiment"``).
        items: labeled reviews (``load_labeled(...).items``).
        task: ``"analyze"`` (``analyze_many``: the full insight; aspects are
            scored from it) or ``"sentiment"`` (the ``sentiment()`` task for each
            review, run like a batch: concurrently, one failure never stopping the
            rest). A sentiment-only result has no complaints, praise or reply, so
            aspects are not scored; its insight says ``extra["task"] ==
            "sentiment"``, and its tokens are the run's total shared evenly.
        cache: a batch-results JSONL file for this configuration. Reviews already
            in it (same id and text, same task) are not analyzed again; new results
            are appended. An interrupted evaluation resumes where it stopped, and the
            file is a normal batch output that ``wom report`` can read. Results
            that failed are retried. A file that is not results of ours is refused
            (``OutputFileError``), never appended to.
        labels: the classes for the metrics (default: the gold labels present).
    """
    if task not in EVAL_TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(EVAL_TASKS)}")
    known: dict[str, ResultRecord] = {}
    cache_path = Path(cache) if cache is not None else None
    if cache_path is not None:
        check_own_file(cache_path)
    if cache_path is not None and cache_path.exists():
        # Every line, not only the last per id: a file may hold both tasks' results.
        for rec in read_results(cache_path, unique=False):
            if (
                rec.insight is not None
                and rec.id is not None
                and rec.text is not None
                and _task_of(rec.insight) == task
            ):
                known[_cache_key(rec.id, rec.text)] = rec
    todo = [it for it in items if _cache_key(it.id, it.text) not in known]
    if todo:
        inputs = [{"id": it.id, "text": it.text} for it in todo]
        if task == "sentiment":
            fresh: list[Any] = _sentiments(analyzer, inputs)
        else:
            fresh = list(_method(analyzer, "analyze_many")(inputs))
        if len(fresh) != len(todo):
            raise RuntimeError(
                f"analyze_many returned {len(fresh)} results for {len(todo)} reviews"
            )
        new = [_with_input(coerce_record(r), it) for r, it in zip(fresh, todo, strict=True)]
        if cache_path is not None:
            with cache_path.open("ab") as fh:
                for rec in new:
                    fh.write(dump_line(rec))
        for rec, it in zip(new, todo, strict=True):
            known[_cache_key(it.id, it.text)] = rec
    results = tuple(known[_cache_key(it.id, it.text)] for it in items)
    return _score(items, results, labels, aspects=task == "analyze")


def _method(analyzer: object, name: str) -> Any:
    method = getattr(analyzer, name, None)
    if method is None:
        raise TypeError(f"{type(analyzer).__name__} has no {name}(), which this task needs")
    return method


def _task_of(insight: ReviewInsight) -> str:
    return str(insight.extra.get(_TASK_KEY, "analyze"))


def _sentiments(analyzer: object, inputs: list[dict[str, str]]) -> list[Any]:
    """``sentiment()`` for each review through the batch driver, results in input order.

    The driver is the one ``analyze_many`` uses: the same bounded concurrency
    (few reviews in flight until the rate limiter knows a limit), and an error
    is that review's result, not the run's end.
    """
    sentiment = _method(analyzer, "sentiment")
    model = getattr(analyzer, "model", None)
    spent_before = getattr(analyzer, "usage", None)

    def one(record: ReviewRecord) -> ReviewInsight:
        return ReviewInsight(
            language=UNKNOWN_LANGUAGE,  # the sentiment task does not ask for it
            sentiment=sentiment(record.text),
            reply=ReplySuggestion(text=""),
            model=model if isinstance(model, str) else None,
            extra={_TASK_KEY: "sentiment"},
        )

    def no_packs(records: Sequence[ReviewRecord]) -> Any:
        raise AssertionError("pack=1: the driver never packs")  # pragma: no cover

    # ReviewAnalyzer's own test of a known rate, so that this batch paces like analyze_many.
    rate_known = getattr(analyzer, "_rate_known", None) or (lambda: False)
    results = in_order(
        iter_batch(inputs, analyze_one=one, analyze_pack=no_packs, rate_known=rate_known), None
    )
    spent_after = getattr(analyzer, "usage", None)
    ok = [k for k, r in enumerate(results) if r.insight is not None]
    if ok and isinstance(spent_before, Usage) and isinstance(spent_after, Usage):
        # sentiment() returns no usage: the run's tokens are booked on its
        # results evenly (the total stays exact), as a pack's are.
        # A failed review carries its own usage (ErrorInfo.usage): not dealt out again.
        failed = sum((r.error.usage for r in results if r.error and r.error.usage), Usage())
        shares = _deal(_minus(_minus(spent_after, spent_before), failed), len(ok))
        for k, usage in zip(ok, shares, strict=True):
            got = results[k].insight
            assert got is not None
            results[k] = results[k].model_copy(
                update={"insight": got.model_copy(update={"usage": usage})}
            )
    return results


_COUNTS = ("requests", "prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")


def _minus(after: Usage, before: Usage) -> Usage:
    return Usage(**{f: getattr(after, f) - getattr(before, f) for f in _COUNTS})


def _deal(total: Usage, n: int) -> list[Usage]:
    """``total`` in ``n`` even shares, the remainders one each on the first shares."""
    return [
        Usage(**{f: getattr(total, f) // n + (k < getattr(total, f) % n) for f in _COUNTS})
        for k in range(n)
    ]


def _with_input(rec: ResultRecord, item: EvalItem) -> ResultRecord:
    # The analyzer may not echo id and text back; the cache needs both.
    return rec.model_copy(update={"id": item.id, "text": item.text})


def _score(
    items: Sequence[EvalItem],
    results: Sequence[ResultRecord],
    labels: Sequence[str] | None,
    *,
    aspects: bool = True,
) -> EvalResult:
    predicted = [r.insight.sentiment.label if r.insight else None for r in results]
    metrics = classification_metrics([it.gold for it in items], predicted, labels=labels)
    aspect_scores = None
    if aspects and any(it.aspects is not None for it in items):
        aspect_scores = score_aspects(
            [it.aspects or () for it in items], [r.insight for r in results]
        )
    usage = Usage()
    for r in results:
        # A failed review was paid for too (answers that did not validate, a refusal).
        spent = r.insight.usage if r.insight is not None else r.error.usage if r.error else None
        if spent is not None:
            usage = usage + spent
    return EvalResult(
        items=tuple(items),
        results=tuple(results),
        metrics=metrics,
        aspects=aspect_scores,
        usage=usage,
    )


def compare_results(
    a: EvalResult,
    b: EvalResult,
    *,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Comparison:
    """``compare`` two ``run_eval`` results on the same items."""
    if [it.id for it in a.items] != [it.id for it in b.items]:
        raise ValueError("the two results are not on the same items")
    return compare(
        [it.gold for it in a.items],
        a.predicted,
        b.predicted,
        labels=a.metrics.labels,
        resamples=resamples,
        seed=seed,
        confidence=confidence,
    )
