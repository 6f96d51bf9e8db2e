"""The no-wait switch: ``set_testing`` and ``is_testing`` (the switch itself is ``_retry``'s)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from .._retry import NoWaits, get_testing, swap_testing

__all__ = ["is_testing", "set_testing"]


class _Restore(AbstractContextManager[None]):
    def __init__(self, previous: NoWaits | None) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        swap_testing(self._previous)


def set_testing(testing: bool, *, attempts: int | None = None) -> AbstractContextManager[None]:
    """Turn every wait of wom-sdk off (or back on), for the whole process.

    In testing mode a retried request is retried at once (no backoff, no
    Retry-After wait) and the rate limiter never sleeps; everything else is
    unchanged. Call it in a fixture, or use it as a context manager, which
    restores the previous state on exit::

        with set_testing(True, attempts=2):
            ...

    Args:
        testing: True to turn waits off, False to turn them back on.
        attempts: tries per request in testing mode; None keeps each analyzer's
            ``RetryPolicy.attempts``.
    """
    if attempts is not None and attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    return _Restore(swap_testing(NoWaits(attempts) if testing else None))


def is_testing() -> bool:
    """Whether ``set_testing(True)`` is in effect."""
    return get_testing() is not None
