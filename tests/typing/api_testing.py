"""``wom_sdk.testing``: the fake LLM and the no-wait switch, as users type them (never run)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, assert_type

import httpx2

from wom_sdk import AsyncReviewAnalyzer, ReviewAnalyzer
from wom_sdk.testing import (
    FAKE_BASE_URL,
    FakeLLM,
    RecordedRequest,
    Reply,
    Step,
    answer,
    api_error,
    content_filtered,
    dropped_connection,
    insight,
    invalid_json,
    is_testing,
    rate_limited,
    refusal,
    server_error,
    set_testing,
    timed_out,
    truncated,
)


def by_request(request: RecordedRequest) -> Reply | dict[str, Any]:
    if request.task == "sentiment":
        return {"language": "en", "label": "neutral", "score": 0.0, "confidence": 0.5}
    return server_error(503)


def fake_llm() -> None:
    steps: list[Step] = [
        insight(sentiment="negative", complaints=["slow", {"quote": "broke"}], language="en"),
        answer('{"raw": "text"}', finish_reason="stop", prompt_tokens=10),
        api_error(400, "bad", error_type="invalid_request_error", code="x"),
        rate_limited(retry_after=1.5),
        rate_limited(),
        server_error(),
        dropped_connection(),
        timed_out(),
        invalid_json(),
        truncated(),
        refusal(),
        content_filtered(),
        "raw text the model said",
        by_request,
    ]
    llm = FakeLLM(steps, then=insight())
    assert_type(llm.analyzer(max_reasks=0), ReviewAnalyzer)
    assert_type(llm.async_analyzer(), AsyncReviewAnalyzer)
    assert_type(llm.transport(), httpx2.MockTransport)
    assert_type(llm.client(), httpx2.Client)
    assert_type(llm.async_client(), httpx2.AsyncClient)
    assert_type(llm.requests, list[RecordedRequest])
    assert_type(llm.unused_steps, int)
    request = llm.requests[0]
    assert_type(request.body, dict[str, Any])
    assert_type(request.headers, dict[str, str])
    assert_type(request.reviews, list[str])
    assert_type(request.review_ids, list[str | None])
    assert_type(request.schema, dict[str, Any] | None)
    assert_type(FAKE_BASE_URL, str)
    insight(sentiment="angry")  # type: ignore[arg-type]
    FakeLLM([object()])  # type: ignore[list-item]


def no_wait_switch() -> None:
    assert_type(set_testing(True, attempts=2), AbstractContextManager[None])
    with set_testing(True):
        assert_type(is_testing(), bool)
    set_testing(True, attempts="2")  # type: ignore[arg-type]
