"""The public API, sync and async, live against the bundled local server.

Slow (a structured answer takes 10-30 s on two idle cores), so marked and run
by ``scripts/test.sh`` / CI, not by a bare ``pytest``. We assert the SDK's
guarantees (the json_schema probe falls back, results validate, quotes are
grounded, failures are typed) and the one judgement any usable model gets
right: a review that only complains is negative.
"""

from __future__ import annotations

import pytest

from helpers.answers import REVIEW
from wom_sdk import AsyncReviewAnalyzer, OutputError, RetryPolicy, ReviewAnalyzer, ReviewInsight
from wom_sdk.local import LocalServer

pytestmark = [pytest.mark.slow, pytest.mark.local]

# Local runs: one request at a time, a long timeout, no retry of a slow answer.
SETTINGS = {"max_output_tokens": 384, "timeout": 300, "retry": RetryPolicy(attempts=1)}


def check(result: ReviewInsight | OutputError, review: str) -> None:
    if isinstance(result, OutputError):
        assert result.raw_output is not None
        assert result.usage.requests >= 1
        return
    assert result.sentiment.label == "negative"
    assert all(c.quote in review for c in result.complaints)
    assert all(p.quote in review for p in result.praise)
    assert result.usage.prompt_tokens > 200  # the system prompt reached the model
    assert result.extra["structured_output"] == "json_object_schema"


def test_analyze_live(local_server: LocalServer) -> None:
    a = ReviewAnalyzer(model=local_server.model, base_url=local_server.base_url, **SETTINGS)
    try:
        result: ReviewInsight | OutputError = a.analyze(REVIEW)
    except OutputError as e:
        result = e
    check(result, REVIEW)
    assert a.structured_output_modes == {
        f"{local_server.base_url} {local_server.model}": "json_object_schema"
    }


async def test_async_analyze_live(local_server: LocalServer) -> None:
    async with AsyncReviewAnalyzer(model=local_server.model, base_url=local_server.base_url,
                                   structured_output="json_object_schema", **SETTINGS) as a:
        try:
            result: ReviewInsight | OutputError = await a.analyze(REVIEW)
        except OutputError as e:
            result = e
    check(result, REVIEW)
