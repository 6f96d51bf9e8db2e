"""The body every provider test runs: the three tasks, a pack and a fault, counting requests.

``run_tasks`` drives one analyzer against one provider profile of the fake
server (``tests/fakeserver/_profiles.py``) and checks what a user relies on:
the first ``analyze`` reaches a valid insight spending at most one request on
probing (``first`` requests in all), every later review costs one request,
``analyze_many(pack=10)`` one request for ten reviews, the reply task one. It
returns the analyzer's structured-output modes for the test to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fakeserver import FakeOpenAIServer, FaultPlan, Profile, wom_responder
from wom_sdk import RetryPolicy, ReviewAnalyzer, ReviewInsight

REVIEW_ZH = "电池一天要充三次，客服也不回消息"
REVIEW_EN = "The screen is great but the battery dies by noon."
#: Ten short reviews for a pack (made up for the tests).
PACK = [
    "物流很快，包装完好",
    "屏幕太暗了，看不清",
    "Great value, works as described.",
    "The strap broke after two days.",
    "客服态度很好，问题解决了",
    "声音有杂音，不满意",
    "Arrived late and the box was crushed.",
    "颜色和图片一样，喜欢",
    "Battery lasts all week, love it.",
    "尺码偏小，退货很麻烦",
]
#: Retries on, waits off: the tests count requests, not seconds.
RETRY = RetryPolicy(attempts=3, wait_initial=0, wait_max=0, wait_jitter=0)


@dataclass
class Provider:
    """One provider's profile and how a user points the analyzer at it."""

    profile: Profile
    model: str
    #: requests the first analyze spends (1, or 2 with one probe or adaptation)
    first: int
    #: the structured-output mode the analyzer ends up with
    mode: str
    analyzer_kwargs: dict[str, Any] = field(default_factory=dict)


@contextmanager
def serve(provider: Provider, faults: FaultPlan | None = None) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=wom_responder, profile=provider.profile,
                          faults=faults) as srv:
        yield srv


def base_url(provider: Provider, srv: FakeOpenAIServer) -> str:
    """Where the provider serves its API on the fake server (its documented path)."""
    return srv.url + provider.profile.prefix


def analyzer(provider: Provider, srv: FakeOpenAIServer, **kw: Any) -> ReviewAnalyzer:
    options: dict[str, Any] = {"model": provider.model, "base_url": base_url(provider, srv),
                               "api_key": "test-key", "retry": RETRY,
                               **provider.analyzer_kwargs, **kw}
    return ReviewAnalyzer(**options)


def chat_requests(srv: FakeOpenAIServer) -> int:
    return sum(1 for r in srv.requests if r.path.endswith("/chat/completions"))


def run_tasks(provider: Provider, a: ReviewAnalyzer, srv: FakeOpenAIServer) -> dict[str, str]:
    """The three tasks and a pack through ``a``; checks the requests each one spends."""
    first = a.analyze(REVIEW_ZH)
    assert isinstance(first, ReviewInsight)
    assert first.sentiment.label in ("negative", "mixed")
    assert [c.quote for c in first.complaints], "the complaint quotes are grounded"
    assert all(c.quote in REVIEW_ZH for c in first.complaints)
    assert chat_requests(srv) == provider.first
    assert first.usage.requests == 1  # refused probes are not billed: usage counts answers
    assert first.extra["structured_output"] == provider.mode

    steady = a.analyze(REVIEW_EN)
    assert steady.usage.requests == 1
    assert all(c.quote in REVIEW_EN for c in steady.complaints)

    reply = a.suggest_reply(REVIEW_ZH)
    assert reply.text
    assert reply.language == "zh"

    before = chat_requests(srv)
    results = a.analyze_many(PACK, pack=10)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert chat_requests(srv) - before == 1
    for review, r in zip(PACK, results, strict=True):
        assert r.insight is not None
        assert r.insight.extra["packed_with"] == 10
        assert all(c.quote in review for c in r.insight.complaints)
    assert chat_requests(srv) == provider.first + 3
    return a.structured_output_modes
