"""What a response's ``x-ratelimit-*`` headers tell every limiter, local or shared.

OpenAI reports ``x-ratelimit-limit-requests``, ``-remaining-requests`` and
``-reset-requests`` (and the same for ``tokens``), the reset written as a
duration such as ``"1s"``, ``"6m0s"`` or ``"120ms"``
(https://platform.openai.com/docs/guides/rate-limits, "Rate limits in headers").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Durations have one home, next to Retry-After, which uses the same format.
from .._retry import parse_reset

__all__ = ["MAX_EXHAUSTED_WAIT", "HeaderReport", "int_header", "read_headers"]

#: Longest pause a spent window imposes: a reset far away is the daily limit's, not ours.
MAX_EXHAUSTED_WAIT = 60.0


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


@dataclass(frozen=True)
class HeaderReport:
    """The limits a response announced, and how long its spent window needs to refill."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    #: seconds until the provider's window refills, when a ``remaining`` header hit 0
    exhausted_for: float = 0.0


def read_headers(headers: Mapping[str, str]) -> HeaderReport:
    limits: dict[str, int | None] = {}
    exhausted = 0.0
    for kind in ("requests", "tokens"):
        limit = int_header(headers, f"x-ratelimit-limit-{kind}")
        limits[kind] = limit if limit and limit > 0 else None
        remaining = int_header(headers, f"x-ratelimit-remaining-{kind}")
        reset = parse_reset(headers.get(f"x-ratelimit-reset-{kind}"))
        if remaining is not None and remaining <= 0 and reset:
            exhausted = max(exhausted, min(reset, MAX_EXHAUSTED_WAIT))
    return HeaderReport(limits["requests"], limits["tokens"], exhausted)
