"""The one retry layer: which failures are transient, and how long to wait.

openai's client is built with ``max_retries=0`` so that retries are not stacked
(3 openai retries x N of ours = a 429 storm). Tenacity drives the loop; this
module supplies the policy, and reads how long a server asks us to wait
(``retry_after``: the one place Retry-After headers are parsed).
``reraise=True`` lets the last typed error through, never tenacity's ``RetryError``.

429s are special: the wait is not taken here but in the shared rate limiter
(``RateLimiter.penalize``), so that every request of the analyzer cools down
together instead of each one hammering on its own schedule.
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._exceptions import APIConnectionError, APIStatusError

__all__ = [
    "RETRYABLE_STATUS",
    "NoWaits",
    "RetryPolicy",
    "get_testing",
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
