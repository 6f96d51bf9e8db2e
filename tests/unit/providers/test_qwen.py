"""Qwen through DashScope's compatible mode: json_object, DashScope's error bodies."""

from __future__ import annotations

from fakeserver import FaultPlan, Qwen
from helpers.providers import (
    PACK,
    RETRY,
    REVIEW_ZH,
    Provider,
    analyzer,
    base_url,
    chat_requests,
    run_tasks,
    serve,
)

PROVIDER = Provider(Qwen(), model="qwen-plus", first=2, mode="json_object")


def test_one_probe_then_json_object_for_every_review() -> None:
    with serve(PROVIDER) as srv:
        modes = run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        assert list(modes.values()) == ["json_object"]
        assert srv.requests[0].path == "/compatible-mode/v1/chat/completions"


def test_a_rate_limit_is_waited_out_not_taken_for_a_refused_format() -> None:
    with serve(PROVIDER, FaultPlan(script=["429"], retry_after=0.01)) as srv:
        insight = analyzer(PROVIDER, srv).analyze(REVIEW_ZH)
        assert insight.extra["structured_output"] == "json_object"
        assert chat_requests(srv) == 3  # 429, then the json_schema probe, then json_object


async def test_the_async_twin_pays_one_probe_for_a_batch_too() -> None:
    from wom_sdk import AsyncReviewAnalyzer

    with serve(PROVIDER) as srv:
        async with AsyncReviewAnalyzer(model="qwen-plus", base_url=base_url(PROVIDER, srv),
                                       api_key="k", retry=RETRY) as a:
            results = await a.analyze_many(PACK[:8], max_concurrency=8)
        assert all(r.ok for r in results)
        assert chat_requests(srv) == 8 + 1
