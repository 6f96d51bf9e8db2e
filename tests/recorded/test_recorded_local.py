"""The public API against recorded traffic of the bundled llama.cpp server.

That server rejects ``json_schema`` with a 500 and accepts ``json_object`` with
a schema, so these cassettes exercise the structured-output fallback on real
responses. The bundled model (Qwen2.5-Coder 1.5B Instruct) is small: we assert
what the SDK guarantees (validated types, grounded quotes, typed errors) and
only judgements any usable model gets right (a plainly negative review).
"""

from __future__ import annotations

from typing import Any

import pytest

from wom_sdk import (
    AsyncReviewAnalyzer,
    OutputError,
    ReplySuggestion,
    RetryPolicy,
    ReviewAnalyzer,
    ReviewInsight,
    Sentiment,
)

Endpoint = Any  # tests/recorded/conftest.py's Endpoint: base_url, model, api_key

REVIEW_ZH = "电池一天要充三次，客服也不回消息"
REVIEW_EN = "The screen is great but the battery dies by noon."
LABELS = {"positive", "negative", "neutral", "mixed"}


def analyzer(ep: Endpoint) -> ReviewAnalyzer:
    return ReviewAnalyzer(
        model=ep.model,
        api_key=ep.api_key,
        base_url=ep.base_url,
        max_output_tokens=512,
        timeout=300,
        retry=RetryPolicy(attempts=2, wait_initial=0, wait_max=0, wait_jitter=0),
    )


def check_insight(insight: ReviewInsight, review: str) -> None:
    assert insight.sentiment.label in LABELS
    assert -1.0 <= insight.sentiment.score <= 1.0
    for c in insight.complaints:
        assert c.quote in review  # grounded, or dropped with a warning
    for p in insight.praise:
        assert p.quote in review
    assert insight.reply.text
    assert insight.usage.requests >= 1
    assert insight.usage.prompt_tokens > 0


@pytest.mark.vcr
def test_analyze_falls_back_to_json_object_on_a_real_server(endpoint: Endpoint) -> None:
    a = analyzer(endpoint)
    try:
        insight = a.analyze(REVIEW_ZH)
    except OutputError as e:  # a small model may not manage; the error must say why
        assert 1 <= e.attempts <= 3
        assert e.raw_output is not None
        assert e.usage.requests == e.attempts
    else:
        check_insight(insight, REVIEW_ZH)
        assert insight.sentiment.label == "negative"
        assert insight.language == "zh"  # script detection backs a small model up
        assert insight.extra["structured_output"] == "json_object_schema"
    modes = a.structured_output_modes
    assert list(modes.values()) == ["json_object_schema"]


@pytest.mark.vcr
def test_single_tasks_on_a_real_server(endpoint: Endpoint) -> None:
    a = analyzer(endpoint)
    s = a.sentiment(REVIEW_EN)
    assert isinstance(s, Sentiment)
    assert s.label in LABELS
    r = a.suggest_reply(REVIEW_EN, brand_voice="brief and warm")
    assert isinstance(r, ReplySuggestion)
    assert r.text
    assert a.usage.requests >= 2  # answers counted; the rejected json_schema probe has no usage


@pytest.mark.vcr
async def test_async_analyze_on_a_real_server(endpoint: Endpoint) -> None:
    async with AsyncReviewAnalyzer(
        model=endpoint.model,
        api_key=endpoint.api_key,
        base_url=endpoint.base_url,
        max_output_tokens=512,
        timeout=300,
    ) as a:
        try:
            insight = await a.analyze(REVIEW_EN)
        except OutputError as e:
            assert 1 <= e.attempts <= 3
        else:
            check_insight(insight, REVIEW_EN)
