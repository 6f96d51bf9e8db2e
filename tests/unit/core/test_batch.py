"""analyze_many: order, per-item errors, packing, the cache, sync and async."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from wom_sdk import AsyncReviewAnalyzer, RateLimiter, RetryPolicy, ReviewAnalyzer, SQLiteCache
from wom_sdk.io._results import ResultRecord
from wom_sdk.testing import FAKE_BASE_URL, FakeLLM, RecordedRequest, api_error
from wom_sdk.types import BatchResult, ReviewRecord

REVIEWS = [
    "电池一天要充三次，客服也不回消息",
    "Great phone, bad battery.",
    "包装破损，快递太慢",
    "Works fine.",
    "屏幕很好，就是有点贵",
]


def responder_llm(drop_ids: set[str] | None = None) -> FakeLLM:
    """A fake that answers like the fake server's wom responder (optionally losing ids)."""

    def answer(request: RecordedRequest) -> dict[str, Any]:
        content: dict[str, Any] = json.loads(wom_responder(request.body))
        if drop_ids and "results" in content:
            content["results"] = [r for r in content["results"] if r["id"] not in drop_ids]
        return content

    return FakeLLM(then=answer)


def make(llm: FakeLLM, retry: RetryPolicy, **kw: Any) -> ReviewAnalyzer:
    return llm.analyzer(model="m", retry=retry, **kw)


def test_results_come_back_in_input_order_with_per_item_errors(fast_retry: RetryPolicy) -> None:
    items: list[Any] = [
        REVIEWS[0],
        "   ",
        {"id": "r-2", "text": REVIEWS[1], "product": "X1", "rating": "2"},
        ReviewRecord(id="r-3", text=REVIEWS[2]),
    ]
    seen: list[BatchResult] = []
    results = make(responder_llm(), fast_retry).analyze_many(items, on_result=seen.append)
    assert [r.id for r in results] == ["0", "1", "r-2", "r-3"]
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[1].error is not None
    assert results[1].error.kind == "invalid_review"
    assert results[2].record.product == "X1"
    assert results[2].record.rating == 2.0
    assert sorted(r.id for r in seen) == sorted(r.id for r in results)
    line = ResultRecord.from_result(results[1]).to_line()
    assert line["insight"] is None
    assert line["error"]["kind"] == "invalid_review"
    json.dumps(line)  # serializable


def test_one_failing_review_does_not_stop_the_batch(fast_retry: RetryPolicy) -> None:
    calls = {"n": 0}

    def flaky(request: RecordedRequest) -> Any:
        calls["n"] += 1
        if "包装破损" in request.reviews[0]:
            return api_error(400, "bad request for this one")
        return json.loads(wom_responder(request.body))

    results = make(FakeLLM(then=flaky), fast_retry).analyze_many(REVIEWS)
    assert [r.ok for r in results] == [True, True, False, True, True]
    err = results[2].error
    assert err is not None
    assert (err.kind, err.status_code) == ("bad_request", 400)


def test_pack_round_trip_sends_fewer_requests(fast_retry: RetryPolicy) -> None:
    llm = responder_llm()
    results = make(llm, fast_retry).analyze_many(REVIEWS, pack=5)
    assert all(r.ok for r in results)
    assert len(llm.requests) == 1
    assert [r.id for r in results] == ["0", "1", "2", "3", "4"]
    for r in results:
        assert r.insight is not None
        assert r.insight.extra["packed_with"] == 5
        for c in r.insight.complaints:
            assert c.quote in r.record.text  # grounded in its own review, not a neighbour's
    assert llm.requests[0].task == "analyze_pack"
    assert llm.requests[0].reviews == REVIEWS
    assert llm.requests[0].body["response_format"]["json_schema"]["name"] == "wom_analyze_pack"


def test_pack_missing_id_falls_back_to_a_single_request(fast_retry: RetryPolicy) -> None:
    llm = responder_llm(drop_ids={"r3"})  # the prompt numbers the reviews r1, r2, ...
    results = make(llm, fast_retry).analyze_many(REVIEWS, pack=5)
    assert all(r.ok for r in results)
    assert len(llm.requests) == 2
    assert llm.requests[1].task == "analyze"
    assert llm.requests[1].reviews == [REVIEWS[2]]


def test_pack_keeps_long_reviews_alone(fast_retry: RetryPolicy) -> None:
    llm = responder_llm()
    long = "质量不好，" * 200
    results = make(llm, fast_retry).analyze_many([REVIEWS[0], long, REVIEWS[1]], pack=10)
    assert all(r.ok for r in results)
    assert len(llm.requests) == 2


def test_cache_makes_a_rerun_free(tmp_path: Any, fast_retry: RetryPolicy) -> None:
    path = tmp_path / "cache.sqlite"
    first = responder_llm()
    with make(first, fast_retry, cache=path) as a:
        r1 = a.analyze_many(REVIEWS)
    second = responder_llm()
    with make(second, fast_retry, cache=path) as b:
        r2 = b.analyze_many(REVIEWS)
        assert b.usage.requests == 0
    assert len(first.requests) == 5
    assert second.requests == []
    assert [r.insight.sentiment for r in r1 if r.insight] == [
        r.insight.sentiment for r in r2 if r.insight
    ]
    assert all(r.insight is not None and r.insight.usage.cached for r in r2)
    # a change of model is a different request: no stale answer
    third = responder_llm()
    with ReviewAnalyzer(
        model="other",
        base_url=FAKE_BASE_URL,
        http_client=third.client(),
        retry=fast_retry,
        cache=path,
    ) as c:
        c.analyze(REVIEWS[0])
    assert len(third.requests) == 1
    assert len(SQLiteCache(path)) == 6


async def test_async_batch_matches_sync(fast_retry: RetryPolicy) -> None:
    llm = responder_llm()
    async with AsyncReviewAnalyzer(
        model="m", base_url=FAKE_BASE_URL, retry=fast_retry, http_client=llm.async_client()
    ) as a:
        results = await a.analyze_many([*REVIEWS, ""], pack=2)
    assert [r.ok for r in results] == [True] * 5 + [False]
    assert [r.id for r in results] == [str(i) for i in range(6)]


def test_sync_batch_works_inside_a_running_event_loop(fast_retry: RetryPolicy) -> None:
    import asyncio

    async def notebook_cell() -> list[BatchResult]:
        # Jupyter runs cells inside a loop; the sync API must still work there.
        return make(responder_llm(), fast_retry).analyze_many(REVIEWS[:2])

    assert all(r.ok for r in asyncio.run(notebook_cell()))


def test_batch_paces_at_the_configured_rate() -> None:
    import time

    with FakeOpenAIServer(responder=wom_responder, rpm=1200) as srv:
        a = ReviewAnalyzer(model="m", base_url=srv.base_url, requests_per_minute=1200)
        t0 = time.monotonic()
        results = a.analyze_many([f"review {i}: not good" for i in range(30)])
        elapsed = time.monotonic() - t0
        stats = srv.stats()
    assert all(r.ok for r in results)
    assert stats.rate_limited == 0
    # 30 requests at 20/s with even spacing take about 1.5 s, not a burst
    assert elapsed >= 29 / 20 * 0.9


def test_unknown_limits_are_learned_before_bursting() -> None:
    with FakeOpenAIServer(responder=wom_responder, rpm=600, faults=FaultPlan(script=[])) as srv:
        a = ReviewAnalyzer(model="m", base_url=srv.base_url)
        results = a.analyze_many([f"review {i}: bad" for i in range(40)])
        stats = srv.stats()
    assert all(r.ok for r in results)
    assert a.limiter.requests_per_minute == 600
    assert stats.rate_limited <= 2


def test_a_pack_is_charged_its_own_max_tokens_against_the_tpm_limit(
    fast_retry: RetryPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pack of 5 reserves 5 x 1024 answer tokens; the limiter must not credit
    # back 4 x 1024 of them after the response (the provider charged them).
    llm = responder_llm()
    a = make(llm, fast_retry)
    # A limiter on a frozen clock (the analyzer takes no limiter argument yet):
    # what it books is then exactly what the request was charged, however long it took.
    limiter = RateLimiter(tokens_per_minute=60_000, clock=lambda: 0.0)
    monkeypatch.setattr(a, "_limiter", limiter)
    a.analyze_many(REVIEWS, pack=5)
    (request,) = llm.requests
    assert request.body["max_tokens"] == 5 * 1024
    charged = 100 + 5 * 1024  # the fake's prompt_tokens + the pack's max_tokens
    assert limiter.reserve(0).delay == pytest.approx(60 * charged / (60_000 * 0.98))
