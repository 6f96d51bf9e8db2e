"""Client-side pacing for requests and tokens per minute, shared sync and async.

Providers enforce "600 requests per minute" in small slices (about 10 per
second), so a client that bursts 600 requests in the first second gets 590
429s. This limiter spaces requests evenly instead (virtual scheduling, as in
GCRA): each request is given the earliest start time at which both the request
rate and the token rate allow it, and moves those clocks forward by its cost.

One limiter belongs to one analyzer (or several, when passed to each) and is
shared by all its calls, from any thread or task: the critical section is a few
arithmetic operations under a ``threading.Lock``; the waiting itself happens
outside it with ``time.sleep`` or ``asyncio.sleep`` (neither under
``wom_sdk.testing.set_testing(True)``). ``RedisRateLimiter``
(``_redis.py``) keeps the same state in Redis instead, to share it between
processes, and inherits the waiting loops below.

When the caller configures no limits, the limiter learns them from the
``x-ratelimit-limit-*`` headers and respects ``x-ratelimit-remaining-*`` /
``-reset-*``. On a 429 the whole limiter cools down (``penalize``) and slows a
little (multiplicative decrease, slow recovery), so that a key shared with other
processes settles below the limit instead of oscillating into 429 storms.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .._retry import async_interruptible_wait, get_testing, interruptible_wait
from ._headers import HeaderReport, read_headers

__all__ = ["MAX_PENALTY_WAIT", "RECOVERY", "SLOWDOWN", "RateLimiter", "Reservation"]

#: Pace factor after a congestion event (multiplicative decrease) ...
SLOWDOWN = 0.85
#: ... and what each success gives back (additive increase), up to 1.
RECOVERY = 0.01
#: Longest cool-down one 429 imposes, whatever its Retry-After says.
MAX_PENALTY_WAIT = 120.0
#: A request that wakes this much later than booked (a stalled event loop, a busy
#: CPU) books again rather than go out with every other late one in one burst ...
LATE_WAKE = 0.25
#: ... at most this many times, so that a machine that is always late still sends.
MAX_REBOOKS = 2


@dataclass
class Reservation:
    """What one request reserved; hand it back to ``reconcile`` with the real usage."""

    tokens: int
    delay: float


class RateLimiter:
    """Paces requests to ``requests_per_minute`` and ``tokens_per_minute``.

    Args:
        requests_per_minute: the provider's request limit; None to learn it from headers.
        tokens_per_minute: the provider's token limit; None to learn it from headers.
        utilization: fraction of the limit to aim at (headroom for clock skew and
            other clients of the same key).
    """

    #: slowest the adaptive factor may go after repeated 429s
    MIN_FACTOR = 0.25

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        utilization: float = 0.98,
        learn_from_headers: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, v in (
            ("requests_per_minute", requests_per_minute),
            ("tokens_per_minute", tokens_per_minute),
        ):
            if v is not None and v <= 0:
                raise ValueError(f"{name} must be positive (got {v})")
        if not 0 < utilization <= 1:
            raise ValueError(f"utilization must be in (0, 1] (got {utilization})")
        self._lock = threading.Lock()
        self._clock = clock
        self._rpm = requests_per_minute
        self._tpm = tokens_per_minute
        self._configured = (requests_per_minute is not None, tokens_per_minute is not None)
        self._learn = learn_from_headers
        self._utilization = utilization
        #: this limiter's part of the limit (below 1 only for a shared limiter's fallback)
        self._share = 1.0
        self._next_request = 0.0
        self._next_token = 0.0
        self._blocked_until = 0.0
        self._factor = 1.0
        self._strikes = 0
        #: 429s seen, and the seconds spent waiting because of them (for summaries).
        self.throttled = 0

    def __repr__(self) -> str:
        return (
            f"RateLimiter(requests_per_minute={self._rpm}, tokens_per_minute={self._tpm}, "
            f"factor={self._factor:.2f})"
        )

    @property
    def requests_per_minute(self) -> float | None:
        return self._rpm

    @property
    def tokens_per_minute(self) -> float | None:
        return self._tpm

    def close(self) -> None:
        """Release what the limiter holds (nothing, for a local one)."""

    async def aclose(self) -> None:
        self.close()

    # -- the shared core: no sleeping below this line ---------------------------------
    def reserve(self, tokens: int) -> Reservation:
        """Book the earliest start for a request of ``tokens``; return how long to wait."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_request, self._next_token, self._blocked_until)
            scale = self._utilization * self._factor * self._share
            if self._rpm:
                self._next_request = start + 60.0 / (self._rpm * scale)
            if self._tpm:
                self._next_token = start + 60.0 * tokens / (self._tpm * scale)
            return Reservation(tokens=tokens, delay=start - now)

    async def areserve(self, tokens: int) -> Reservation:
        """``reserve`` for the async twin (a shared limiter books over the network here)."""
        return self.reserve(tokens)

    def _refresh(self) -> None:
        """After a wait: learn what happened meanwhile (a shared limiter asks Redis)."""

    async def _arefresh(self) -> None:
        self._refresh()

    def _still_blocked(self) -> float:
        with self._lock:
            return max(0.0, self._blocked_until - self._clock())

    def reconcile(self, reservation: Reservation, actual_tokens: int | None) -> None:
        """Correct the token clock by the difference between estimate and usage."""
        if actual_tokens is None or not self._tpm:
            return
        diff = actual_tokens - reservation.tokens
        if diff == 0:
            return
        with self._lock:
            now = self._clock()
            shift = 60.0 * diff / (self._tpm * self._utilization * self._factor * self._share)
            # Credit back unused tokens, but never into the past: an idle
            # limiter must not build up a burst.
            self._next_token = (
                max(now, self._next_token + shift) if shift < 0 else (self._next_token + shift)
            )

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``x-ratelimit-*`` headers; note a success."""
        report = read_headers(headers) if self._learn else HeaderReport()
        with self._lock:
            self._note_success(report)

    def _note_success(self, report: HeaderReport) -> None:
        """``observe`` with the lock held (a shared limiter also queues it for Redis)."""
        self._strikes = 0
        self._factor = min(1.0, self._factor + RECOVERY)
        if report.requests_per_minute and not self._configured[0]:
            self._rpm = float(report.requests_per_minute)
        if report.tokens_per_minute and not self._configured[1]:
            self._tpm = float(report.tokens_per_minute)
        if report.exhausted_for:
            # The provider's window is spent: nobody goes before it refills.
            self._blocked_until = max(self._blocked_until, self._clock() + report.exhausted_for)

    def penalize(self, retry_after: float | None) -> float:
        """A 429 arrived: every request waits, and the pace slows a little. Returns the wait."""
        with self._lock:
            self.throttled += 1
            self._strikes += 1
            now = self._clock()
            # Slow down once per congestion event, not once per 429: the other 429s
            # of a burst answer requests sent before we slowed, and say nothing new.
            if now >= self._blocked_until:
                self._factor = max(self.MIN_FACTOR, self._factor * SLOWDOWN)
            if retry_after is None:
                retry_after = min(30.0, 0.5 * 2 ** (self._strikes - 1))
            wait = min(max(retry_after, 0.0), MAX_PENALTY_WAIT) + random.uniform(0, 0.1)
            self._blocked_until = max(self._blocked_until, now + wait)
            return wait

    # -- the I/O twins -----------------------------------------------------------------
    def _may_go(self, booked: Reservation, slept_since: float | None, rebooks: int) -> bool:
        """After the wait for ``booked``: go, or book again (cool-down, or woke too late)."""
        # A 429 may have arrived while we slept: then re-book after the cool-down.
        if self._still_blocked() > 0:
            return False
        if slept_since is None or rebooks >= MAX_REBOOKS:
            return True
        return self._clock() - slept_since - booked.delay <= LATE_WAKE

    def acquire(self, tokens: int, cancel: threading.Event | None = None) -> Reservation:
        """Block the calling thread until a request of ``tokens`` may start (or ``cancel``)."""
        waited, rebooks = 0.0, 0
        while True:
            r = self.reserve(tokens)
            if get_testing() is not None:
                return Reservation(tokens=tokens, delay=0.0)  # booked, never waited for
            slept_since = None
            if r.delay > 0:
                slept_since = self._clock()
                if interruptible_wait(r.delay, cancel):
                    return Reservation(tokens=tokens, delay=waited)  # cancelled: nothing is sent
                self._refresh()
            waited += r.delay
            if self._may_go(r, slept_since, rebooks):
                return Reservation(tokens=tokens, delay=waited)
            rebooks += 1

    async def aacquire(self, tokens: int, cancel: threading.Event | None = None) -> Reservation:
        """Wait (without blocking the event loop) until a request of ``tokens`` may start."""
        waited, rebooks = 0.0, 0
        while True:
            r = await self.areserve(tokens)
            if get_testing() is not None:
                return Reservation(tokens=tokens, delay=0.0)
            slept_since = None
            if r.delay > 0:
                slept_since = self._clock()
                if await async_interruptible_wait(r.delay, cancel):
                    return Reservation(tokens=tokens, delay=waited)
                await self._arefresh()
            waited += r.delay
            if self._may_go(r, slept_since, rebooks):
                return Reservation(tokens=tokens, delay=waited)
            rebooks += 1
