"""The public API against recorded traffic of the bundled llama.cpp server.

That server rejects ``json_schema`` with a 500 and accepts ``json_object`` with
a schema, so these cassettes exercise the structured-output fallback on real
responses. The bundled model (Qwen2.5-Coder 1.5B Instruct) is small: each test
checks what the SDK guarantees whatever the answer (validated types, grounded
quotes, typed errors) and only judgements any usable model gets right (a plainly
negative review), then that a replay gives exactly the outcome recorded with the
cassette (the ``outcomes`` fixture, tests/recorded/conftest.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
    Usage,
)

Endpoint = Any  # tests/recorded/conftest.py's Endpoint: base_url, model, api_key
Outcomes = Any  # tests/recorded/conftest.py's Outcomes: check(name, observed)

REVIEW_ZH = "电池一天要充三次，客服也不回消息"
REVIEW_EN = "The screen is great but the battery dies by noon."
LABELS = {"positive", "negative", "neutral", "mixed"}
SETTINGS: dict[str, Any] = {
    "max_output_tokens": 512,
    "timeout": 300,
    "retry": RetryPolicy(attempts=2, wait_initial=0, wait_max=0, wait_jitter=0),
}


def analyzer(ep: Endpoint) -> ReviewAnalyzer:
    return ReviewAnalyzer(model=ep.model, api_key=ep.api_key, base_url=ep.base_url, **SETTINGS)


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "requests": usage.requests,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
    }


def insight_outcome(review: str, analyze: Callable[[], ReviewInsight]) -> dict[str, Any]:
    """Analyze, check what the SDK guarantees either way, and say what happened."""
    try:
        insight = analyze()
    except OutputError as e:  # a small model may not manage; the error must say why
        return _error_outcome(e)
    return _insight_outcome(review, insight)


async def async_insight_outcome(
    review: str, analyze: Callable[[], Awaitable[ReviewInsight]]
) -> dict[str, Any]:
    try:
        insight = await analyze()
    except OutputError as e:
        return _error_outcome(e)
    return _insight_outcome(review, insight)


def _error_outcome(e: OutputError) -> dict[str, Any]:
    assert 1 <= e.attempts <= 3
    assert e.raw_output is not None
    assert e.usage.requests == e.attempts
    return {"error": type(e).__name__, "attempts": e.attempts, "usage": _usage(e.usage)}


def _insight_outcome(review: str, insight: ReviewInsight) -> dict[str, Any]:
    assert insight.sentiment.label in LABELS
    assert -1.0 <= insight.sentiment.score <= 1.0
    for quote in [c.quote for c in insight.complaints] + [p.quote for p in insight.praise]:
        assert quote in review  # grounded, or dropped with a warning
    assert insight.reply.text
    assert insight.usage.requests >= 1
    assert insight.usage.prompt_tokens > 0
    return {
        "insight": {
            "language": insight.language,
            "sentiment": [insight.sentiment.label, insight.sentiment.score],
            "complaints": [[c.category, c.quote] for c in insight.complaints],
            "praise": [p.quote for p in insight.praise],
            "reply_review_reasons": insight.reply.review_reasons,
            "warnings": insight.warnings,
            "structured_output": insight.extra.get("structured_output"),
        },
        "usage": _usage(insight.usage),
    }


@pytest.mark.vcr
def test_analyze_falls_back_to_json_object_on_a_real_server(
    endpoint: Endpoint, outcomes: Outcomes
) -> None:
    a = analyzer(endpoint)
    got = insight_outcome(REVIEW_ZH, lambda: a.analyze(REVIEW_ZH))
    if "insight" in got:
        assert got["insight"]["language"] == "zh"  # script detection backs a small model up
        assert got["insight"]["sentiment"][0] == "negative"
        assert got["insight"]["structured_output"] == "json_object_schema"
    assert list(a.structured_output_modes.values()) == ["json_object_schema"]
    outcomes.check("analyze", got)


@pytest.mark.vcr
def test_single_tasks_on_a_real_server(endpoint: Endpoint, outcomes: Outcomes) -> None:
    a = analyzer(endpoint)
    s = a.sentiment(REVIEW_EN)
    assert isinstance(s, Sentiment)
    assert s.label in LABELS
    r = a.suggest_reply(REVIEW_EN, brand_voice="brief and warm")
    assert isinstance(r, ReplySuggestion)
    assert r.text
    assert a.usage.requests >= 2  # answers counted; the rejected json_schema probe has no usage
    outcomes.check("sentiment", {"label": s.label, "score": s.score, "confidence": s.confidence})
    outcomes.check(
        "suggest_reply",
        {
            "language": r.language,
            "needs_human_review": r.needs_human_review,
            "review_reasons": r.review_reasons,
        },
    )
    outcomes.check("usage", _usage(a.usage))


@pytest.mark.vcr
async def test_async_analyze_on_a_real_server(endpoint: Endpoint, outcomes: Outcomes) -> None:
    async with AsyncReviewAnalyzer(
        model=endpoint.model, api_key=endpoint.api_key, base_url=endpoint.base_url, **SETTINGS
    ) as a:
        got = await async_insight_outcome(REVIEW_EN, lambda: a.analyze(REVIEW_EN))
    outcomes.check("analyze", got)
