"""Stopping a batch without paying for more: the cancel event every send checks.

A batch driver (``_batch``) owns a ``threading.Event``: the caller's ``cancel=``
(``wom analyze`` sets it on the first Ctrl-C), or its own, which it sets when
the caller stops iterating or an exception (a ``KeyboardInterrupt`` in a
notebook) ends the batch. The driver makes the event current around each unit
of work (``cancelling``: a context variable, so each thread and each task sees
its own batch's event), and the analyzers' send path checks it after the rate
limiter lets a request go (``check``). Waits are cut short by it: the
limiter's pacing, the retry loop's backoff (``wait`` / ``async_wait``). So after
the event is set no new request leaves; requests already sent finish within
their timeout.

A cancelled review raises ``RequestCancelled``, which the drivers catch: the
review was not answered and yields no result (a resumed run sends it again),
rather than ending as an error line that would count as done.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator

__all__ = ["RequestCancelled", "async_wait", "cancelling", "check", "current", "wait"]

#: How often an async wait looks at the event (a threading.Event cannot wake a task).
_POLL = 0.05

_CURRENT: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "wom_sdk_cancel", default=None)


class RequestCancelled(Exception):
    """The batch was cancelled before this request was sent; caught by the drivers."""


def current() -> threading.Event | None:
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


def check(event: threading.Event | None) -> None:
    """Raise ``RequestCancelled`` when ``event`` is set: the request must not go out."""
    if event is not None and event.is_set():
        raise RequestCancelled("the batch was cancelled before this request was sent")


def wait(seconds: float, event: threading.Event | None) -> bool:
    """Sleep ``seconds``, or less if ``event`` is set; whether it was set."""
    if event is None:
        time.sleep(seconds)
        return False
    return event.wait(seconds)


async def async_wait(seconds: float, event: threading.Event | None) -> bool:
    """``wait`` without blocking the event loop; looks at ``event`` every 50 ms."""
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
