"""The fake Batch API in process (``fakeserver``), on a clock that moves with every look."""

from __future__ import annotations

from typing import Any

from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from fakeserver._batches import BatchSettings, BatchTiming, ManualClock
from wom_sdk import AsyncReviewAnalyzer, RetryPolicy, ReviewAnalyzer

#: Virtual seconds: validation, one line, finalizing, cancelling; the window.
TIMING = BatchTiming(validate=20, per_line=1, finalize=10, cancel=5, window=86_400)
MODEL = "gpt-4o-mini"


class StepClock(ManualClock):
    """Virtual time that moves ``step`` seconds each time the server reads it (each call)."""

    def __init__(self, step: float = 15.0) -> None:
        super().__init__()
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def reviews(n: int, *, prefix: str = "r") -> list[dict[str, Any]]:
    """``n`` reviews, Chinese and English, some short enough to pack."""
    texts = ["电池一天要充三次，客服也不回消息",
             "The battery dies by noon, but the screen is great",
             "包装破了，味道还不错", "The lid leaks and delivery was slow", "Love it"]
    return [{"id": f"{prefix}{i}", "text": f"{texts[i % len(texts)]} ({i})", "product": "X1"}
            for i in range(n)]


def server(*, clock: ManualClock | None = None, timing: BatchTiming = TIMING,
           faults: FaultPlan | None = None, **settings: Any) -> FakeOpenAIServer:
    return FakeOpenAIServer(
        responder=wom_responder, batch_faults=faults,
        batch_settings=BatchSettings(clock=clock or StepClock(), timing=timing, **settings))


def analyzer(srv: FakeOpenAIServer, **kw: Any) -> ReviewAnalyzer:
    return ReviewAnalyzer(model=MODEL, base_url=srv.base_url, api_key="k",
                          retry=RetryPolicy(attempts=3), **kw)


def async_analyzer(srv: FakeOpenAIServer, **kw: Any) -> AsyncReviewAnalyzer:
    return AsyncReviewAnalyzer(model=MODEL, base_url=srv.base_url, api_key="k",
                               retry=RetryPolicy(attempts=3), **kw)


def chat_requests(srv: FakeOpenAIServer) -> list[Any]:
    """The online chat requests the server saw (not the batch lines)."""
    return [r for r in srv.requests if r.path == "/v1/chat/completions"]


def uploads(srv: FakeOpenAIServer) -> int:
    return len(srv.batches.files.listing({"purpose": "batch"})[1]["data"])
