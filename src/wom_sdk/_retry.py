"""The one retry layer: which failures are transient, and how long to wait.

openai's client is built with ``max_retries=0`` so that retries are not stacked
(3 openai retries x N of ours = a 429 storm). Tenacity drives the loop; this
module only supplies the policy. ``reraise=True`` lets the last typed error
through, never tenacity's ``RetryError``.

429s are special: the wait is not taken here but in the shared rate limiter
(``RateLimiter.penalize``), so that every request of the analyzer cools down
together instead of each one hammering on its own schedule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ._exceptions import APIConnectionError, APIStatusError

__all__ = [
    "RETRYABLE_STATUS",
    "NoWaits",
    "RetryPolicy",
    "get_testing",
    "is_retryable",
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


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def _wait(policy: RetryPolicy, exc: BaseException | None, attempt: int) -> float:
    if isinstance(exc, APIStatusError):
        if exc.status_code == 429:
            return 0.0  # the shared limiter holds every request back instead
        if exc.retry_after is not None:
            return min(policy.wait_max, max(0.0, exc.retry_after))
    return policy.backoff(attempt)


def tenacity_kwargs(policy: RetryPolicy, *, no_retry: Any = None) -> dict[str, Any]:
    """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` implementing ``policy``.

    ``no_retry(exc) -> bool`` vetoes a retry (e.g. a probe of an output mode that
    the endpoint may not support: the caller falls back instead of retrying).
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
        return _wait(policy, exc, state.attempt_number)

    return {
        "stop": tenacity.stop_after_attempt(max(1, attempts))
        | tenacity.stop_after_delay(policy.timeout),
        "wait": wait,
        "retry": tenacity.retry_if_exception(should_retry),
        "reraise": True,
    }
