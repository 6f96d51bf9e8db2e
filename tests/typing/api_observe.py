"""Events, budgets and usage details: their public types (never run)."""

from __future__ import annotations

from typing import assert_type

from wom_sdk import AsyncReviewAnalyzer, ReviewAnalyzer, Usage
from wom_sdk.events import Event, RequestFinished, ReviewFinished
from wom_sdk.types import BatchResult


def watch(event: Event) -> None:
    if isinstance(event, RequestFinished):
        assert_type(event.status, int | None)
        assert_type(event.latency, float)
        assert_type(event.reasoning_tokens, int)
    elif isinstance(event, ReviewFinished):
        assert_type(event.usage, Usage)
        assert_type(event.outcome, str)


def sync_api() -> None:
    a = ReviewAnalyzer(model="m", on_event=watch, prices="prices.json")
    assert_type(a.analyze_many(["a"], max_cost_usd=5.0), list[BatchResult])
    for _, result in a.iter_many(["a"], max_cost_usd=5):
        if result.error is not None:
            assert_type(result.error.usage, Usage | None)
    assert_type(a.usage.cached_tokens, int)
    ReviewAnalyzer(on_event=print)
    ReviewAnalyzer(on_event=lambda e, extra: None)  # type: ignore[arg-type,misc]
    a.analyze_many(["a"], max_cost_usd="5")  # type: ignore[arg-type]


async def async_api() -> None:
    async with AsyncReviewAnalyzer(on_event=watch) as a:
        assert_type(await a.analyze_many(["a"], max_cost_usd=1.5), list[BatchResult])
        async for _, result in a.aiter_many(["a"], max_cost_usd=1.5):
            assert_type(result, BatchResult)
