"""The analyzers' public methods: what each returns, sync and async (never run)."""

from __future__ import annotations

from typing import assert_type

from wom_sdk import (
    AsyncReviewAnalyzer,
    Complaint,
    Need,
    RateLimiter,
    ReplySuggestion,
    RetryPolicy,
    ReviewAnalyzer,
    ReviewInsight,
    Sentiment,
    Usage,
)
from wom_sdk.types import BatchResult, ReviewRecord


def sync_api(a: ReviewAnalyzer) -> None:
    assert_type(a.analyze("电池不行", product="X1", rating=2, brand_voice="warm"), ReviewInsight)
    assert_type(a.sentiment("ok", rating=4.5), Sentiment)
    assert_type(a.complaints("slow", categories=["shipping", "other"]), list[Complaint])
    assert_type(a.suggest_reply("thanks", brand_voice="brief"), ReplySuggestion)
    assert_type(a.needs("给爸妈买的", product="X1"), list[Need])
    assert_type(a.analyze("送女朋友的", include=("needs",)).needs, list[Need] | None)
    ReviewAnalyzer(include=["needs"])
    # A mixed literal needs its type spelled out: mypy joins the items to `object`.
    reviews: list[str | dict[str, str] | ReviewRecord] = [
        "a",
        {"id": "1", "text": "b"},
        ReviewRecord(id="2", text="c"),
    ]
    assert_type(a.analyze_many(reviews, pack=10, on_result=print), list[BatchResult])
    for index, result in a.iter_many(reviews):
        assert_type(index, int)
        assert_type(result, BatchResult)
    assert_type(a.usage, Usage)
    assert_type(a.limiter, RateLimiter)
    assert_type(a.model, str)
    assert_type(a.base_url, str | None)
    assert_type(a.structured_output_modes, dict[str, str])
    with ReviewAnalyzer(model="m", retry=RetryPolicy(attempts=2)) as b:
        assert_type(b, ReviewAnalyzer)
    a.analyze(b"bytes are decoded first")  # type: ignore[arg-type]
    a.analyze("ok", rating="five")  # type: ignore[arg-type]
    a.analyze("ok", "positional context")  # type: ignore[call-arg]
    ReviewAnalyzer(retry=3)  # type: ignore[arg-type]
    # Providers: a key provider, your own openai client, a reasoning effort.
    ReviewAnalyzer(api_key=lambda: "fresh-token", reasoning_effort="low")
    ReviewAnalyzer(structured_output="tools")
    ReviewAnalyzer(reasoning_effort="extreme")  # type: ignore[arg-type]
    ReviewAnalyzer(api_key=123)  # type: ignore[arg-type]


async def async_api(a: AsyncReviewAnalyzer) -> None:
    assert_type(await a.analyze("电池不行", product="X1", rating=2), ReviewInsight)
    assert_type(await a.sentiment("ok"), Sentiment)
    assert_type(await a.complaints("slow"), list[Complaint])
    assert_type(await a.suggest_reply("thanks"), ReplySuggestion)
    assert_type(await a.needs("for my mom"), list[Need])
    assert_type(await a.analyze_many(["a", "b"], pack=2), list[BatchResult])
    async for index, result in a.aiter_many(["a", "b"]):
        assert_type(index, int)
        assert_type(result, BatchResult)
    assert_type(a.usage, Usage)
    async with AsyncReviewAnalyzer(model="m") as b:
        assert_type(b, AsyncReviewAnalyzer)
    await a.aclose()
    _ = a.analyze("not awaited").sentiment  # type: ignore[attr-defined]
