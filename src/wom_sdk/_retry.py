"""The one retry layer: which failures are transient, and how long to wait.

openai's client is built with ``max_retries=0`` so that retries are not stacked
(3 openai retries x N of ours = a 429 storm). Tenacity drives the loop; this
module supplies the policy, and reads how long a server asks us to wait
(``retry_after``: the one place Retry-After headers are parsed).
``reraise=True`` lets the last typed error through, never tenacity's ``RetryError``.

429s are special: the wait is not taken here but in the shared rate limiter
(``RateLimiter.penalize``), so that every request of the analyzer cools down
together instead of each one hammering on its own schedule.

What cuts a wait short, and stops a batch without paying for more: a batch
driver (``_batch``) owns a ``threading.Event``: the caller's ``cancel=``
(``wom analyze`` sets it on the first Ctrl-C), or its own, which it sets when
the caller stops iterating or an exception (a ``KeyboardInterrupt`` in a
notebook) ends the batch. The driver makes the event current around each unit
of work (``cancelling``: a context variable, so each thread and each task sees
its own batch's event), and the analyzers' send path checks it after the rate
limiter lets a request go (``check_cancel``). Waits are cut short by it: the
limiter's pacing, the retry loop's backoff (``interruptible_wait`` /
``async_interruptible_wait``). So after the event is set no new request leaves;
requests already sent finish within their timeout.

A cancelled review raises ``RequestCancelled``, which the drivers catch: the
review was not answered and yields no result (a resumed run sends it again),
rather than ending as an error line that would count as done.

The testing switch (``NoWaits``, set by ``wom_sdk.testing.set_testing``) turns
every wait off for the whole process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._exceptions import APIConnectionError, APIStatusError

__all__ = [
    "RETRYABLE_STATUS",
    "NoWaits",
    "RequestCancelled",
    "RetryPolicy",
    "async_interruptible_wait",
    "cancelling",
    "check_cancel",
    "current_cancel",
    "get_testing",
    "interruptible_wait",
    "is_retryable",
    "parse_reset",
    "retry_after",
    "swap_testing",
    "tenacity_kwargs",
]

RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class NoWaits:
    """The switch of ``wom_sdk.testing.set_testing`` (as stamina's ``set_testing``): no waits."""

    #: tries per request in testing mode; None keeps each policy's own
    attempts: int | None = None


# Process-wide on purpose: the one piece of global state, and only tests set it.
_testing: NoWaits | None = None


def get_testing() -> NoWaits | None:
    """The testing switch, if on: retries and the rate limiter then never sleep."""
    return _testing


def swap_testing(new: NoWaits | None) -> NoWaits | None:
    """Install ``new`` (None: off); return the previous switch."""
    global _testing
    previous, _testing = _testing, new
    return previous


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry transient failures (connection errors, timeouts, 408/409/429/5xx).

    Args:
        attempts: total tries per request, the first included.
        timeout: seconds after the first try after which no new try starts.
        wait_initial: first backoff in seconds; doubles each try.
        wait_max: cap of one backoff (and of an honoured Retry-After).
        wait_jitter: up to this many random seconds added to each backoff.

    ``RetryPolicy(attempts=1)`` turns retries off; ``RetryPolicy(wait_initial=0,
    wait_max=0, wait_jitter=0)`` keeps retries but makes tests instant.
    """

    attempts: int = 6
    timeout: float = 180.0
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 0.5

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter before try ``attempt + 1`` (attempt >= 1)."""
        base = min(self.wait_max, self.wait_initial * 2.0 ** (attempt - 1))
        return base + (random.uniform(0, self.wait_jitter) if self.wait_jitter > 0 else 0.0)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_reset(value: str | None) -> float | None:
    """Seconds in an OpenAI-style duration ("1s", "6m0s", "120ms", "0.5").

    Used for ``x-ratelimit-reset-*`` headers (the limiter) and for a Retry-After
    that holds such a duration.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if not parts:
        return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


def retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds an error response asks us to wait, or None if it does not say.

    Read the way openai-python reads them (``_base_client._parse_retry_after_header``):
    ``retry-after-ms`` first, then ``retry-after`` as seconds or as an HTTP date
    (RFC 9110 section 10.2.3). Some gateways put an OpenAI-style duration ("1m30s")
    there; that is accepted too. ``now`` is the wall clock the date is measured from.
    """
    ms = _seconds(headers.get("retry-after-ms"))
    if ms is not None and math.isfinite(ms):
        return max(0.0, ms / 1000.0)
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        # "inf" or "nan" is no wait anyone can honour: as if the header were absent.
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return parse_reset(value)
    return max(0.0, when.timestamp() - now())


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _wait(policy: RetryPolicy, exc: BaseException | None, attempt: int,
          shared_limiter: bool = True) -> float:
    if isinstance(exc, APIStatusError):
        if exc.status_code == 429 and shared_limiter:
            return 0.0  # the shared limiter holds every request back instead
        if exc.retry_after is not None:
            return min(policy.wait_max, max(0.0, exc.retry_after))
    return policy.backoff(attempt)


def tenacity_kwargs(policy: RetryPolicy, *, no_retry: Any = None,
                    shared_limiter: bool = True) -> dict[str, Any]:
    """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` implementing ``policy``.

    ``no_retry(exc) -> bool`` vetoes a retry (e.g. a probe of an output mode that
    the endpoint may not support: the caller falls back instead of retrying).
    ``shared_limiter=False`` is for a caller without a rate limiter (a webhook):
    a 429's Retry-After is then waited here, like a 503's.
    """
    import tenacity

    testing = get_testing()
    attempts = policy.attempts
    if testing is not None and testing.attempts is not None:
        attempts = testing.attempts

    def should_retry(exc: BaseException) -> bool:
        return is_retryable(exc) and not (no_retry is not None and no_retry(exc))

    def wait(state: tenacity.RetryCallState) -> float:
        if testing is not None:
            return 0.0
        exc = state.outcome.exception() if state.outcome is not None else None
        return _wait(policy, exc, state.attempt_number, shared_limiter)

    return {
        "stop": tenacity.stop_after_attempt(max(1, attempts))
        | tenacity.stop_after_delay(policy.timeout),
        "wait": wait,
        "retry": tenacity.retry_if_exception(should_retry),
        "reraise": True,
    }


# -- what cuts a wait short: a batch's cancel event ------------------------------------------

#: How often an async wait looks at the event (a threading.Event cannot wake a task).
_POLL = 0.05

_CURRENT: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "wom_sdk_cancel", default=None)


class RequestCancelled(Exception):
    """The batch was cancelled before this request was sent; caught by the drivers."""


def current_cancel() -> threading.Event | None:
    """The cancel event of the batch this thread or task is working for, if any."""
    return _CURRENT.get()


@contextlib.contextmanager
def cancelling(event: threading.Event) -> Iterator[None]:
    """Make ``event`` current for the sends made inside the block."""
    token = _CURRENT.set(event)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def check_cancel(event: threading.Event | None) -> None:
    """Raise ``RequestCancelled`` when ``event`` is set: the request must not go out."""
    if event is not None and event.is_set():
        raise RequestCancelled("the batch was cancelled before this request was sent")


def interruptible_wait(seconds: float, event: threading.Event | None) -> bool:
    """Sleep ``seconds``, or less if ``event`` is set; whether it was set."""
    if event is None:
        time.sleep(seconds)
        return False
    return event.wait(seconds)


async def async_interruptible_wait(seconds: float, event: threading.Event | None) -> bool:
    """``interruptible_wait`` without blocking the event loop; looks at ``event`` every 50 ms."""
    if event is None:
        await asyncio.sleep(seconds)
        return False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not event.is_set():
        left = deadline - loop.time()
        if left <= 0:
            return False
        await asyncio.sleep(min(left, _POLL))
    return True
