"""Usage that is complete: reasoning and cached tokens, every attempt, failed reviews too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.answers import REVIEW
from wom_sdk._llm import response_from_completion
from wom_sdk.io._results import ResultRecord, read_results
from wom_sdk.testing import (
    FakeLLM,
    Reply,
    answer,
    api_error,
    insight,
    server_error,
    set_testing,
)
from wom_sdk.types import Usage


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    with set_testing(True):
        yield


def with_usage(content: Any, **usage: Any) -> Reply:
    """A completion whose ``usage`` is exactly ``usage``."""
    reply = answer(content)
    body = dict(reply.body)  # type: ignore[arg-type]
    body["usage"] = usage
    return Reply(200, body)


def openai_usage(prompt: int, completion: int, *, cached: int, reasoning: int) -> dict[str, Any]:
    # https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0}}


def test_reasoning_and_cached_tokens_are_counted_over_every_attempt() -> None:
    llm = FakeLLM([
        with_usage("not json", **openai_usage(1200, 700, cached=1024, reasoning=640)),
        with_usage(insight(sentiment="negative"), **openai_usage(1300, 400, cached=1152,
                                                                 reasoning=320)),
    ])
    a = llm.analyzer()
    result = a.analyze(REVIEW)
    expected = Usage(requests=2, prompt_tokens=2500, completion_tokens=1100,
                     reasoning_tokens=960, cached_tokens=2176)
    assert result.usage == expected
    assert a.usage == expected


def test_deepseek_reports_its_context_cache_in_its_own_field() -> None:
    # https://api-docs.deepseek.com/guides/kv_cache: prompt_cache_hit_tokens +
    # prompt_cache_miss_tokens = prompt_tokens; the reasoner adds reasoning_tokens.
    usage = {"prompt_tokens": 900, "completion_tokens": 300, "total_tokens": 1200,
             "prompt_cache_hit_tokens": 640, "prompt_cache_miss_tokens": 260,
             "completion_tokens_details": {"reasoning_tokens": 120}}
    result = FakeLLM([with_usage(insight(), **usage)]).analyzer().analyze("fine")
    assert (result.usage.cached_tokens, result.usage.reasoning_tokens) == (640, 120)


@pytest.mark.parametrize("usage", [
    {"prompt_tokens": 10, "completion_tokens": 5},  # a sparse local server
    {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": None,
     "completion_tokens_details": None},
    {"prompt_tokens": 10, "completion_tokens": 5,
     "prompt_tokens_details": {"cached_tokens": "lots"},
     "completion_tokens_details": {"reasoning_tokens": -3}},
])
def test_missing_or_odd_details_count_as_zero(usage: dict[str, Any]) -> None:
    body = dict(answer("{}").body)  # type: ignore[arg-type]
    body["usage"] = usage
    resp = response_from_completion(body, {})  # a raw body, as a batch API returns it
    assert (resp.prompt_tokens, resp.reasoning_tokens, resp.cached_tokens) == (10, 0, 0)


def test_a_failed_review_carries_what_it_spent(tmp_path: Path) -> None:
    llm = FakeLLM([
        # r1: three answers that never validate
        "not json", "still not json", "nothing",
        # r2: an answer to re-ask, then the endpoint fails every retry
        insight(complaints=["a quote the review does not have"]),
        server_error(503), server_error(503),
    ])
    with set_testing(True, attempts=2):
        # The mode forced: a prose answer to a probe would step down to tools instead.
        results = llm.analyzer(structured_output="json_schema").analyze_many(
            [{"id": "r1", "text": "first"}, {"id": "r2", "text": "second"}], max_concurrency=1)
    r1, r2 = results
    assert r1.error is not None
    assert r1.error.kind == "validation"
    assert r1.error.usage == Usage(requests=3, prompt_tokens=300, completion_tokens=150)
    assert r2.error is not None
    assert r2.error.kind == "server"
    assert r2.error.usage == Usage(requests=1, prompt_tokens=100, completion_tokens=50)
    # ... and so does its line in the results file.
    out = tmp_path / "out.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(ResultRecord.from_result(r).to_line(), ensure_ascii=False) + "\n")
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["error"]["usage"]["requests"] == 3
    back = list(read_results(out))
    assert back[1].error is not None
    assert back[1].error.usage == r2.error.usage


def test_an_error_before_any_answer_has_no_usage() -> None:
    [res] = FakeLLM([api_error(401, "Incorrect API key provided")]).analyzer().analyze_many(["x"])
    assert res.error is not None
    assert res.error.usage is None


def test_a_packs_usage_is_shared_with_its_details() -> None:
    def pack_answer(request: Any) -> Reply:
        ids = request.review_ids
        results = [{"id": i, **insight()} for i in ids]
        return with_usage({"results": results},
                          **openai_usage(1000, 800, cached=600, reasoning=400))

    a = FakeLLM([pack_answer]).analyzer()
    results = a.analyze_many(["one", "two"], pack=2)
    assert [r.insight.usage.cached_tokens for r in results if r.insight] == [300, 300]
    assert [r.insight.usage.reasoning_tokens for r in results if r.insight] == [200, 200]
    assert a.usage.cached_tokens == 600
