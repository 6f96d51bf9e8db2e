"""``run_eval`` and ``wom eval`` against a stub analyzer with ``analyze_many``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from wom_sdk._exceptions import RateLimitError
from wom_sdk.cli import main
from wom_sdk.evaluate import classification_metrics, load_labeled, run_eval
from wom_sdk.types import ReviewInsight, Sentiment, Usage

ROOT = Path(__file__).parents[3]
SAMPLE = ROOT / "examples" / "labeled_sample.csv"
NEGATIVE_WORDS = ("慢", "难吃", "差", "少", "迟到", "hate", "couldnt", "not", "bad", "poor")


def keyword_label(text: str) -> str:
    return "negative" if any(w in text for w in NEGATIVE_WORDS) else "positive"


class StubAnalyzer:
    """Answers like ``ReviewAnalyzer.analyze_many``: results in input order."""

    def __init__(
        self, predict: Callable[[str], str] = keyword_label, fail: Iterable[str] = ()
    ) -> None:
        self.predict = predict
        self.fail = set(fail)
        self.calls: list[list[str]] = []
        self.closed = False

    def analyze_many(self, reviews: Iterable[dict[str, str]]) -> list[SimpleNamespace]:
        reviews = list(reviews)
        self.calls.append([r["id"] for r in reviews])
        out = []
        for r in reviews:
            if r["id"] in self.fail:
                out.append(SimpleNamespace(insight=None, error=SimpleNamespace(kind="rate_limit")))
                continue
            label = self.predict(r["text"])
            insight = ReviewInsight.model_validate(
                {
                    "language": "en",
                    "sentiment": {"label": label, "score": -0.5 if label == "negative" else 0.5},
                    "complaints": [{"aspect": "service", "category": "other", "quote": "x"}]
                    if label == "negative"
                    else [],
                    "reply": {"text": "thanks"},
                    "usage": {"requests": 1, "prompt_tokens": 50, "completion_tokens": 10},
                }
            )
            out.append(SimpleNamespace(insight=insight, error=None))
        return out

    def close(self) -> None:
        self.closed = True


def test_run_eval_scores_the_predictions() -> None:
    items = load_labeled(SAMPLE).items
    failing = [items[0].id, items[-1].id]
    result = run_eval(StubAnalyzer(fail=failing), items)
    predicted = [None if it.id in failing else keyword_label(it.text) for it in items]
    assert list(result.predicted) == predicted
    assert result.metrics == classification_metrics([it.gold for it in items], predicted)
    assert result.metrics.failed == 2
    assert result.aspects is None  # no gold aspects in this file
    assert (result.usage.requests, result.usage.prompt_tokens) == (38, 38 * 50)
    assert "38 requests, 1,900 prompt + 380 completion = 2,280 tokens" in result.usage_text()
    rec = result.prediction_records()[0]
    assert rec == {
        "id": items[0].id,
        "text": items[0].text,
        "gold": items[0].gold,
        "gold_raw": items[0].gold_raw,
        "predicted": "failed",
        "correct": False,
        "error": "rate_limit",
    }


def test_run_eval_scores_aspects_when_gold_has_them() -> None:
    items = load_labeled(
        ROOT / "tests" / "data" / "eval_semeval14.jsonl", aspect_column="aspects"
    ).items
    result = run_eval(StubAnalyzer(), items)
    assert result.aspects is not None
    assert result.aspects.gold == sum(len(it.aspects or ()) for it in items)


def test_cache_resumes_and_retries_failures(tmp_path: Path) -> None:
    items = load_labeled(SAMPLE).items
    cache = tmp_path / "a.jsonl"
    first = StubAnalyzer(fail=[items[3].id, items[7].id])
    run_eval(first, items, cache=cache)
    assert first.calls == [[it.id for it in items]]
    assert len(cache.read_text(encoding="utf-8").splitlines()) == 40

    second = StubAnalyzer()
    result = run_eval(second, items, cache=cache)
    assert second.calls == [[items[3].id, items[7].id]]  # only the failed ones again
    assert result.metrics.failed == 0

    third = StubAnalyzer(predict=lambda text: "mixed")
    again = run_eval(third, items, cache=cache)
    assert third.calls == []
    assert again.predicted == result.predicted


def test_run_eval_rejects_a_short_answer() -> None:
    class Short(StubAnalyzer):
        def analyze_many(self, reviews: Iterable[dict[str, str]]) -> list[SimpleNamespace]:
            return super().analyze_many(reviews)[:-1]

    with pytest.raises(RuntimeError, match="39 results for 40"):
        run_eval(Short(), load_labeled(SAMPLE).items)


class StubSentiment:
    """Answers like ``ReviewAnalyzer.sentiment``, and counts usage like it (10 tokens each)."""

    model = "stub-model"

    def __init__(self, predict: Callable[[str], str] = keyword_label,
                 fail: Iterable[str] = ()) -> None:
        self.predict = predict
        self.fail = set(fail)
        self.texts: list[str] = []
        self.usage = Usage()

    def sentiment(self, text: str) -> Sentiment:
        self.texts.append(text)
        self.usage = self.usage + Usage(requests=1, prompt_tokens=7, completion_tokens=3)
        if text in self.fail:
            raise RateLimitError("slow down", status_code=429)
        return Sentiment(label=self.predict(text), score=0.0)  # type: ignore[arg-type]

    def close(self) -> None:
        pass


def test_task_sentiment_labels_with_the_sentiment_task() -> None:
    items = load_labeled(SAMPLE).items
    stub = StubSentiment(fail=[items[2].text])
    result = run_eval(stub, items, task="sentiment")
    predicted = [None if k == 2 else keyword_label(it.text) for k, it in enumerate(items)]
    assert list(result.predicted) == predicted
    assert sorted(stub.texts) == sorted(it.text for it in items)  # each review once
    assert result.results[2].error is not None
    assert result.results[2].error.kind == "rate_limit"
    insight = result.results[0].insight
    assert insight is not None
    assert insight.extra == {"task": "sentiment"}
    assert insight.model == "stub-model"
    assert (insight.complaints, insight.reply.text) == ([], "")
    # Every request counted once, though sentiment() returns no usage of its own.
    assert (result.usage.requests, result.usage.prompt_tokens,
            result.usage.completion_tokens) == (40, 280, 120)


def test_task_sentiment_scores_no_aspects() -> None:
    items = load_labeled(
        ROOT / "tests" / "data" / "eval_semeval14.jsonl", aspect_column="aspects"
    ).items
    assert run_eval(StubSentiment(), items, task="sentiment").aspects is None


def test_a_cache_never_mixes_the_tasks(tmp_path: Path) -> None:
    items = load_labeled(SAMPLE).items
    cache = tmp_path / "c.jsonl"
    run_eval(StubAnalyzer(predict=lambda t: "mixed"), items, cache=cache)
    stub = StubSentiment()
    result = run_eval(stub, items, task="sentiment", cache=cache)
    assert len(stub.texts) == 40  # the analyze results do not answer for the sentiment task
    assert "mixed" not in result.predicted
    again = StubSentiment()
    assert run_eval(again, items, task="sentiment", cache=cache).predicted == result.predicted
    assert again.texts == []
    analyze = StubAnalyzer()
    assert set(run_eval(analyze, items, cache=cache).predicted) == {"mixed"}
    assert analyze.calls == []


def test_a_task_the_analyzer_cannot_do_is_refused() -> None:
    items = load_labeled(SAMPLE).items
    with pytest.raises(TypeError, match=r"no sentiment\(\)"):
        run_eval(StubAnalyzer(), items, task="sentiment")
    with pytest.raises(ValueError, match="unknown task 'reply'"):
        run_eval(StubAnalyzer(), items, task="reply")  # type: ignore[arg-type]


def test_cli_eval_task_sentiment(capsys: pytest.CaptureFixture[str]) -> None:
    stubs: list[StubSentiment] = []

    def make(**kw: Any) -> StubSentiment:
        stubs.append(StubSentiment())
        return stubs[-1]

    data = ROOT / "tests" / "data" / "eval_semeval14.jsonl"
    argv = ["eval", str(data), "--aspect-column", "aspects", "--limit", "10",
            "--task", "sentiment"]
    assert main(argv, analyzer_factory=make) == 0
    out = capsys.readouterr().out
    assert "task: sentiment" in out
    assert "aspects: not scored (they need --task analyze)" in out
    assert "aspects  precision" not in out
    assert len(stubs[0].texts) == 10


def test_cli_eval_prints_metrics_and_writes_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made: list[dict[str, Any]] = []
    analyzers: list[StubAnalyzer] = []

    def make(**kwargs: Any) -> StubAnalyzer:
        made.append(kwargs)
        stub = StubAnalyzer(
            predict=(lambda t: "positive") if kwargs.get("model") == "m2" else keyword_label
        )
        analyzers.append(stub)
        return stub

    preds = tmp_path / "preds.jsonl"
    argv = [
        "eval",
        str(SAMPLE),
        "--text-column",
        "review",
        "--label-column",
        "label",
        "--model",
        "m1",
        "--cache",
        str(tmp_path / "c.sqlite"),
        "--predictions-out",
        str(preds),
        "--compare",
        "--model-b",
        "m2",
        "--resamples",
        "100",
    ]
    assert main(argv, analyzer_factory=make) == 0
    out = capsys.readouterr().out
    assert "40 labeled reviews" in out
    assert "label map: binary 0/1: 1 -> positive, 0 -> negative" in out
    assert "confusion matrix (rows: gold, columns: predicted)" in out
    assert "cost: 40 requests" in out
    assert "== B vs A" in out
    assert "95% CI" in out
    assert made[0]["model"] == "m1"
    assert made[1]["model"] == "m2"
    assert "base_url" not in made[0]  # not given: the analyzer's own default applies
    assert made[0]["cache"] == made[1]["cache"] == str(tmp_path / "c.sqlite")
    assert all(a.closed for a in analyzers)
    lines = [json.loads(x) for x in preds.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 40
    assert set(lines[0]) >= {"id", "text", "gold", "predicted", "correct"}
    b_lines = (tmp_path / "preds.b.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(json.loads(x)["predicted"] == "positive" for x in b_lines)


def test_cli_eval_prompts_dir_b_and_aspects(capsys: pytest.CaptureFixture[str]) -> None:
    made: list[dict[str, Any]] = []

    def make(**kw: Any) -> StubAnalyzer:
        made.append(kw)
        return StubAnalyzer()

    data = ROOT / "tests" / "data" / "eval_semeval14.jsonl"
    argv = ["eval", str(data), "--aspect-column", "aspects", "--limit", "10", "--compare",
            "--prompts-dir-b", "prompts-v2"]
    assert main(argv, analyzer_factory=make) == 0
    assert made[1]["prompts_dir"] == "prompts-v2"
    assert made[0].get("prompts_dir") is None
    out = capsys.readouterr().out
    assert "10 labeled reviews" in out
    assert "aspects  precision" in out


def test_through_the_wom_command(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["eval", str(SAMPLE), "--limit", "6"],
                  analyzer_factory=lambda **kw: StubAnalyzer())
    assert status == 0
    assert "6 labeled reviews" in capsys.readouterr().out
