"""Every review ends as an insight or a typed per-item error, whatever the endpoint does."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from fakeserver import FAULT_KINDS as ALL_FAULT_KINDS
from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from wom_sdk import AsyncReviewAnalyzer, RetryPolicy, ReviewAnalyzer

REVIEWS = [
    f"第{i}个评论：电池不耐用，客服态度差" if i % 2 else f"Review {i}: the strap broke, not happy"
    for i in range(60)
]
RETRY = RetryPolicy(attempts=3, timeout=20, wait_initial=0.01, wait_max=0.05, wait_jitter=0)

# Every fault the fake server knows, except the one only json_schema requests see.
FAULT_KINDS = sorted(k for k in ALL_FAULT_KINDS if k != "reject_json_schema")


def analyzer(srv: FakeOpenAIServer, **kw: object) -> ReviewAnalyzer:
    return ReviewAnalyzer(
        model="m", base_url=srv.base_url, retry=RETRY, timeout=0.5, max_reasks=1, **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind_alone_is_survived(kind: str) -> None:
    # The fault hits the first request; the retry / re-ask cures it.
    plan = FaultPlan(script=[kind], hang_seconds=2.0, retry_after=0.05)
    with FakeOpenAIServer(responder=wom_responder, faults=plan) as srv:
        results = analyzer(srv).analyze_many(REVIEWS[:3])
    outcome = [r.ok for r in results]
    if kind == "refusal":
        # final by nature: reported as that review's typed error
        assert sorted(outcome) == [False, True, True]
        (failed,) = [r for r in results if r.error is not None]
        assert failed.error is not None
        assert failed.error.kind == "refusal"
    else:  # a truncated answer too: it gets one retry (with more room when the cap cut it)
        assert outcome == [True, True, True], [r.error for r in results]


def test_a_mix_of_every_fault_adds_up() -> None:
    plan = FaultPlan(
        probabilities={
            "429": 0.08,
            "500": 0.05,
            "503": 0.03,
            "drop": 0.04,
            "hang": 0.02,
            "invalid_json": 0.05,
            "schema_break": 0.05,
            "truncate": 0.03,
            "refusal": 0.03,
        },
        seed=7,
        hang_seconds=1.5,
        retry_after=0.05,
    )
    t0 = time.monotonic()
    with FakeOpenAIServer(responder=wom_responder, faults=plan) as srv:
        results = analyzer(srv).analyze_many(REVIEWS, max_concurrency=8)
        stats = srv.stats()
    elapsed = time.monotonic() - t0
    assert len(results) == len(REVIEWS)
    assert [r.id for r in results] == [str(i) for i in range(len(REVIEWS))]  # none lost or doubled
    ok = sum(r.ok for r in results)
    errors = Counter(r.error.kind for r in results if r.error is not None)
    assert ok + sum(errors.values()) == len(REVIEWS)
    assert all(bool(r.insight) != bool(r.error) for r in results)
    assert ok >= len(REVIEWS) * 0.6
    assert set(errors) <= {
        "truncated",
        "refusal",
        "validation",
        "timeout",
        "connection",
        "server",
        "rate_limit",
    }
    assert sum(stats.faults.values()) > 5
    assert elapsed < 60  # no hang: every wait has a timeout


async def test_async_batch_survives_faults_too() -> None:
    plan = FaultPlan(
        probabilities={"429": 0.1, "500": 0.1, "drop": 0.05, "invalid_json": 0.1},
        seed=3,
        retry_after=0.05,
    )
    with FakeOpenAIServer(responder=wom_responder, faults=plan) as srv:
        async with AsyncReviewAnalyzer(
            model="m", base_url=srv.base_url, retry=RETRY, timeout=2
        ) as a:
            results = await a.analyze_many(REVIEWS[:30], max_concurrency=8)
    assert len(results) == 30
    assert sum(r.ok for r in results) + sum(r.error is not None for r in results) == 30
    assert sum(r.ok for r in results) >= 25


def test_hang_past_the_timeout_is_a_timeout_error() -> None:
    plan = FaultPlan(script=["hang"], hang_seconds=5.0)
    with FakeOpenAIServer(responder=wom_responder, faults=plan) as srv:
        a = ReviewAnalyzer(
            model="m", base_url=srv.base_url, timeout=0.3, retry=RetryPolicy(attempts=1)
        )
        t0 = time.monotonic()
        results = a.analyze_many(REVIEWS[:1])
    assert time.monotonic() - t0 < 3
    assert results[0].error is not None
    assert results[0].error.kind == "timeout"
    assert "timeout" in results[0].error.message


def test_default_timeout_is_sane() -> None:
    a = ReviewAnalyzer(base_url="http://127.0.0.1:9/v1")
    assert a.timeout <= 120
