"""Rate limiting: the local ``RateLimiter``, the Redis-shared ``RedisRateLimiter``.

``_headers`` reads ``x-ratelimit-*`` headers, ``_local`` paces one process,
``_script`` is the Lua that keeps the shared state in Redis, ``_redis`` the
limiter that runs it (with its local fallback), ``_resolve`` turns an analyzer's
``limiter=`` argument into one of them. ``redis`` is imported only when a
Redis limiter is made.
"""

from __future__ import annotations

from ._local import RateLimiter, Reservation
from ._redis import RedisRateLimiter
from ._resolve import LimiterSpec, limiter_for

__all__ = [
    "LimiterSpec",
    "RateLimiter",
    "RedisRateLimiter",
    "Reservation",
    "limiter_for",
]
