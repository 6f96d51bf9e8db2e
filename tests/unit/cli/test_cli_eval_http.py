"""``wom eval`` for real: the command, a ReviewAnalyzer, HTTP, and the fake server.

No stand-in analyzer: the fake OpenAI server answers with the wom responder
(tests/fakeserver/_wom_responder.py: valid, grounded answers whose sentiment
comes from a keyword list), so every prediction below is known in advance and
the printed metrics are computed by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from wom_sdk.cli import main

# id, review, gold label, what the wom responder predicts (and why)
REVIEWS = [
    ("a", "电池很差，客服也不回", "negative"),  # negative: 差, 不
    ("b", "质量很好，物流很快", "positive"),  # positive: no negative word
    ("c", "Great phone, love it", "positive"),  # positive
    ("d", "Bad battery, slow shipping", "negative"),  # negative: bad, slow
    ("e", "Nice screen, terrible battery", "negative"),  # mixed: one clause each way
    ("f", "Would not buy anything else, perfect", "positive"),  # mixed: "not" | "perfect"
    ("g", "REFUSE this one please", "positive"),  # failed: the server refuses it
]


def _refuse_marked(index: int, request: Mapping[str, Any]) -> str | None:
    return "refusal" if "REFUSE" in json.dumps(request.get("messages")) else None


@pytest.fixture
def labeled(tmp_path: Path) -> Path:
    path = tmp_path / "labeled.csv"
    rows = [f'{rid},"{text}",{label}' for rid, text, label in REVIEWS]
    path.write_text("id,review,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(
        responder=wom_responder, faults=FaultPlan(decide=_refuse_marked)
    ) as srv:
        yield srv


def run_eval(server: FakeOpenAIServer, *argv: str) -> int:
    return main(["eval", *argv, "--base-url", server.base_url, "--model", "fake-model"])


def test_wom_eval_over_http_prints_the_hand_computed_metrics(
    labeled: Path,
    server: FakeOpenAIServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    preds = tmp_path / "preds.jsonl"
    status = run_eval(server, str(labeled), "--text-column", "review", "--predictions-out",
                      str(preds))
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"7 labeled reviews from {labeled} (of 7 rows); gold: negative 3, positive 4"
    # positive: 2 of 4 found, none wrongly; negative: 2 of 3 found, none wrongly
    assert "positive      1.000   0.500  0.667        4" in lines
    assert "negative      1.000   0.667  0.800        3" in lines
    assert "accuracy  0.571  (4/7; 1 failed, counted as wrong)" in lines
    assert "macro-F1  0.733  (over gold classes: positive, negative)" in lines
    table = out.split("confusion matrix (rows: gold, columns: predicted)\n", 1)[1]
    assert [row.split() for row in table.splitlines()[2:4]] == [
        ["positive", "2", "0", "1", "1"],  # columns: positive, negative, mixed, failed
        ["negative", "0", "2", "1", "0"],
    ]
    stats = server.stats()
    assert stats.requests == 7  # one request per review, over HTTP
    assert stats.faults == {"refusal": 1}
    predicted = {p["id"]: (p["predicted"], p["error"]) for p in map(json.loads, preds.open())}
    assert predicted == {
        "a": ("negative", None),
        "b": ("positive", None),
        "c": ("positive", None),
        "d": ("negative", None),
        "e": ("mixed", None),
        "f": ("mixed", None),
        "g": ("failed", "refusal"),
    }


def test_wom_eval_compare_runs_both_models_over_http(
    labeled: Path, server: FakeOpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run_eval(server, str(labeled), "--text-column", "review", "--compare",
                      "--model-b", "fake-model-b", "--resamples", "200")
    out = capsys.readouterr().out
    assert status == 0
    assert out.count("accuracy  0.571  (4/7; 1 failed, counted as wrong)") == 2
    comparison = out.split("== B vs A\n", 1)[1].splitlines()
    # The same answers for both models: no difference, and an interval of exactly zero.
    assert comparison[2].split() == ["accuracy", "0.571", "0.571", "+0.000", "[+0.000,", "+0.000]"]
    assert sorted({r["model"] for r in server.requests}) == ["fake-model", "fake-model-b"]
    assert server.stats().requests == 14


def test_wom_eval_cost_is_what_the_endpoint_charged(
    labeled: Path, server: FakeOpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_eval(server, str(labeled), "--text-column", "review") == 0
    stats = server.stats()
    cost = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("cost: "))
    assert cost.startswith(
        f"cost: {stats.requests} requests, {stats.prompt_tokens:,} prompt "
        f"+ {stats.completion_tokens:,} completion"
    )


def test_wom_eval_task_sentiment_asks_only_for_the_sentiment(
    labeled: Path, server: FakeOpenAIServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    preds = tmp_path / "preds.jsonl"
    status = run_eval(server, str(labeled), "--text-column", "review", "--task", "sentiment",
                      "--predictions-out", str(preds))
    out = capsys.readouterr().out
    assert status == 0
    assert "task: sentiment" in out.splitlines()
    # The responder labels alike whatever the task: the same hand-computed scores.
    assert "accuracy  0.571  (4/7; 1 failed, counted as wrong)" in out
    stats = server.stats()
    assert stats.requests == 7
    assert stats.faults == {"refusal": 1}
    # Only the sentiment task's fields were asked for: no complaints, no reply.
    asked = {json.dumps(r.get("response_format") or r.get("tools"))
             for r in server.requests}
    assert all('"label"' in a and '"complaints"' not in a and '"reply"' not in a
               for a in asked)
    predicted = {p["id"]: p["predicted"] for p in map(json.loads, preds.open())}
    assert predicted == {"a": "negative", "b": "positive", "c": "positive", "d": "negative",
                         "e": "mixed", "f": "mixed", "g": "failed"}
    # Every token the endpoint charged is counted, shared over the reviews.
    cost = next(x for x in out.splitlines() if x.startswith("cost: "))
    assert cost.startswith(f"cost: {stats.requests} requests, {stats.prompt_tokens:,} prompt "
                           f"+ {stats.completion_tokens:,} completion")
