"""The limiter's arithmetic, on a fake clock (no sleeping)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from wom_sdk import RateLimiter
from wom_sdk._retry import parse_reset


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_spaced_evenly_not_burst() -> None:
    clock = Clock()
    lim = RateLimiter(requests_per_minute=600, utilization=1.0, clock=clock)
    delays = [lim.reserve(0).delay for _ in range(5)]
    assert delays == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])


def test_tokens_pace_by_cost() -> None:
    clock = Clock()
    lim = RateLimiter(tokens_per_minute=6000, utilization=1.0, clock=clock)
    assert lim.reserve(100).delay == 0.0  # 100 tokens = 1 s of budget
    assert lim.reserve(50).delay == pytest.approx(1.0)
    assert lim.reserve(10).delay == pytest.approx(1.5)


def test_binding_limit_wins() -> None:
    clock = Clock()
    lim = RateLimiter(
        requests_per_minute=6000, tokens_per_minute=6000, utilization=1.0, clock=clock
    )
    lim.reserve(100)
    assert lim.reserve(100).delay == pytest.approx(1.0)  # tokens bind, not requests


def test_idle_time_does_not_build_a_burst() -> None:
    clock = Clock()
    lim = RateLimiter(requests_per_minute=60, utilization=1.0, clock=clock)
    lim.reserve(0)
    clock.now += 3600
    assert lim.reserve(0).delay == 0.0
    assert lim.reserve(0).delay == pytest.approx(1.0)


def test_reconcile_corrects_the_token_clock() -> None:
    clock = Clock()
    lim = RateLimiter(tokens_per_minute=6000, utilization=1.0, clock=clock)
    r = lim.reserve(100)
    lim.reconcile(r, 200)  # used twice the estimate: the next request waits 2 s
    assert lim.reserve(1).delay == pytest.approx(2.0)
    r2 = RateLimiter(tokens_per_minute=6000, utilization=1.0, clock=clock)
    first = r2.reserve(600)  # 6 s of budget
    r2.reconcile(first, 100)  # used only 1 s
    assert r2.reserve(1).delay == pytest.approx(1.0)


def test_429_cools_down_everyone_and_slows_the_pace() -> None:
    clock = Clock()
    lim = RateLimiter(requests_per_minute=600, utilization=1.0, clock=clock)
    wait = lim.penalize(2.0)
    assert 2.0 <= wait <= 2.1
    assert lim.reserve(0).delay >= 2.0
    # the pace after a 429 is slower than the limit (multiplicative decrease)
    d1 = lim.reserve(0).delay
    d2 = lim.reserve(0).delay
    assert d2 - d1 > 0.1
    assert lim.throttled == 1


def test_429_without_retry_after_backs_off_exponentially() -> None:
    lim = RateLimiter(clock=Clock())
    waits = [lim.penalize(None) for _ in range(4)]
    assert waits[0] < waits[1] < waits[2] < waits[3]


def test_headers_teach_limits_and_exhaustion() -> None:
    clock = Clock()
    lim = RateLimiter(clock=clock)
    lim.observe(
        {
            "x-ratelimit-limit-requests": "120",
            "x-ratelimit-limit-tokens": "40000",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1.5s",
        }
    )
    assert lim.requests_per_minute == 120
    assert lim.tokens_per_minute == 40000
    assert lim.reserve(0).delay == pytest.approx(1.5)


def test_configured_limits_are_not_overridden_by_headers() -> None:
    lim = RateLimiter(requests_per_minute=50, clock=Clock())
    lim.observe({"x-ratelimit-limit-requests": "5000"})
    assert lim.requests_per_minute == 50


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("120ms", 0.12),
        ("0.5", 0.5),
        ("1h2m3s", 3723.0),
        ("", None),
        ("soon", None),
    ],
)
def test_parse_reset(raw: str, seconds: float | None) -> None:
    assert parse_reset(raw) == (pytest.approx(seconds) if seconds is not None else None)


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimiter(requests_per_minute=0)


def test_shared_by_threads_and_tasks() -> None:
    # 20 acquisitions at 1200 RPM from 4 threads and 10 tasks take >= 19 * 50 ms in all.
    lim = RateLimiter(requests_per_minute=1200, utilization=1.0)
    t0 = time.monotonic()

    def worker() -> None:
        for _ in range(5):
            lim.acquire(0)

    async def tasks() -> None:
        await asyncio.gather(*(lim.aacquire(0) for _ in range(10)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    asyncio.run(tasks())
    for t in threads:
        t.join()
    assert time.monotonic() - t0 >= 19 * 0.05 - 0.02


def test_a_burst_of_429s_slows_the_pace_once() -> None:
    clock = Clock()
    one = RateLimiter(requests_per_minute=600, utilization=1.0, clock=clock)
    one.penalize(1.0)
    burst = RateLimiter(requests_per_minute=600, utilization=1.0, clock=clock)
    for _ in range(5):  # five answers to requests sent before the first 429 arrived
        burst.penalize(1.0)
    assert burst.throttled == 5
    assert repr(burst).endswith("factor=0.85)")
    assert repr(one) == repr(burst)


def test_a_late_wake_books_again_instead_of_bursting(monkeypatch: pytest.MonkeyPatch) -> None:
    from wom_sdk._ratelimit import _local

    clock = Clock()
    lim = RateLimiter(requests_per_minute=600, utilization=1.0, clock=clock)
    booked: list[float] = []
    reserve = lim.reserve

    def counting(tokens: int) -> Any:
        r = reserve(tokens)
        booked.append(r.delay)
        return r

    def stalled_sleep(seconds: float) -> None:  # the thread wakes 1 s after its slot
        clock.now += seconds + 1.0

    monkeypatch.setattr(lim, "reserve", counting)
    monkeypatch.setattr(_local.time, "sleep", stalled_sleep)
    lim.reserve(0)
    lim.acquire(0)  # slot at +0.1, woke at +1.1: the slot is gone, book again (now free)
    assert booked == pytest.approx([0.0, 0.1, 0.0])
    def busy_stalled_sleep(seconds: float) -> None:  # others book 2 s more meanwhile
        stalled_sleep(seconds)
        for _ in range(20):
            reserve(0)

    monkeypatch.setattr(_local.time, "sleep", busy_stalled_sleep)
    booked.clear()
    lim.acquire(0)
    assert len(booked) == 1 + _local.MAX_REBOOKS  # then it goes anyway
    assert all(d > 0 for d in booked)
