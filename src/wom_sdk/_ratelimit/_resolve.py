"""An analyzer's ``limiter=`` argument, turned into the limiter it uses."""

from __future__ import annotations

from typing import Any, TypeAlias

from .._exceptions import ConfigurationError
from ._local import RateLimiter
from ._redis import RedisRateLimiter

__all__ = ["LimiterSpec", "limiter_for"]

#: None (a local limiter), a ``RateLimiter`` to share, a Redis URL or a redis client.
LimiterSpec: TypeAlias = "RateLimiter | str | Any | None"


def limiter_for(
    limiter: LimiterSpec,
    *,
    endpoint: str,
    model: str,
    requests_per_minute: float | None,
    tokens_per_minute: float | None,
    asynchronous: bool,
) -> tuple[RateLimiter, bool]:
    """The analyzer's limiter, and whether the analyzer made it (and so closes it).

    A Redis limiter is keyed by the analyzer's endpoint and model, and checked
    now: an unreachable Redis is a ``ConfigurationError`` when the analyzer is
    made, not a failure of every request later. (A ``redis.asyncio`` client
    cannot be used before the event loop runs: it is checked by the first request.)
    """
    try:
        if limiter is None:
            return RateLimiter(requests_per_minute, tokens_per_minute), True
        if isinstance(limiter, RateLimiter):
            if requests_per_minute is not None or tokens_per_minute is not None:
                raise ConfigurationError(
                    "give requests_per_minute / tokens_per_minute to the RateLimiter passed "
                    "as limiter=, not to the analyzer as well"
                )
            made, owned = limiter, False
        else:
            made = RedisRateLimiter(limiter, requests_per_minute=requests_per_minute,
                                    tokens_per_minute=tokens_per_minute)
            owned = True
    except ValueError as e:
        raise ConfigurationError(str(e)) from None
    if isinstance(made, RedisRateLimiter):
        made.bind(endpoint, model)
        try:
            if made.has_sync_client:
                made.connect()
            elif not asynchronous:
                raise ConfigurationError(
                    "a redis.asyncio client can only pace AsyncReviewAnalyzer; give "
                    "ReviewAnalyzer a redis:// URL or a redis.Redis client"
                )
        except ConfigurationError:
            if owned:
                made.close()
            raise
    return made, owned
