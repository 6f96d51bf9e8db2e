"""Once a batch is cancelled no request leaves, even from workers asleep in the rate limiter.

The analyzer paces at 120 requests per minute (a request every 0.5 s) with
real waits (no ``set_testing``), so that most workers of a batch are asleep in
the limiter when the cancel comes: before the fix they woke and sent anyway.
"""

from __future__ import annotations

import asyncio
import threading
import time

from wom_sdk import AsyncReviewAnalyzer, RateLimiter, ReviewAnalyzer
from wom_sdk.testing import FakeLLM

URL = "http://mock.test/v1"
REVIEWS = [f"review {i}: the battery dies by noon" for i in range(8)]


def test_cancel_stops_every_send_at_once() -> None:
    llm = FakeLLM()
    a = ReviewAnalyzer(base_url=URL, http_client=llm.client(), requests_per_minute=120)
    cancel = threading.Event()
    got = []
    for _, result in a.iter_many(REVIEWS, max_concurrency=8, cancel=cancel):
        got.append(result)
        cancel.set()  # after the first answer: the other seven wait in the limiter
        cancelled_at = time.monotonic()
    elapsed = time.monotonic() - cancelled_at
    assert len(got) == 1
    assert got[0].ok
    time.sleep(0.6)  # a worker that would still send has woken by now
    assert len(llm.requests) == 1
    assert elapsed < 0.5  # the sleepers woke at once; nobody waited out the pacing


def test_a_consumer_that_stops_early_stops_the_sends() -> None:
    llm = FakeLLM()
    a = ReviewAnalyzer(base_url=URL, http_client=llm.client(), requests_per_minute=120)
    pairs = a.iter_many(REVIEWS, max_concurrency=8)
    next(pairs)
    pairs.close()  # what Ctrl-C in a notebook (KeyboardInterrupt) does to the generator
    time.sleep(0.6)
    assert len(llm.requests) == 1


def test_the_async_twin_stops_too() -> None:
    llm = FakeLLM()

    async def go() -> tuple[int, float]:
        cancel = threading.Event()
        n, cancelled_at = 0, 0.0
        async with AsyncReviewAnalyzer(base_url=URL, http_client=llm.async_client(),
                                       requests_per_minute=120) as aa:
            async for _ in aa.aiter_many(REVIEWS, max_concurrency=8, cancel=cancel):
                n += 1
                cancel.set()
                cancelled_at = time.monotonic()
        elapsed = time.monotonic() - cancelled_at
        await asyncio.sleep(0.6)
        return n, elapsed

    n, elapsed = asyncio.run(go())
    assert n == 1
    assert elapsed < 0.5
    assert len(llm.requests) == 1


def test_the_limiter_wait_is_cut_short_by_the_event() -> None:
    limiter = RateLimiter(requests_per_minute=6)  # one request every 10 s
    limiter.acquire(10)
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    limiter.acquire(10, cancel)
    assert time.monotonic() - started < 2
