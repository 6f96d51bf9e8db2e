"""Redis clients for the shared limiter: from a URL, with short timeouts; safe to print."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .._exceptions import ConfigurationError

__all__ = ["REDIS_URL_SCHEMES", "client_from_url", "describe", "redis_error", "safe_url"]

REDIS_URL_SCHEMES = ("redis://", "rediss://", "unix://")
#: A client made from a URL gives up on Redis after this many seconds (the URL's own
#: ``?socket_timeout=`` / ``?socket_connect_timeout=`` win) and retries a command once
#: (a pooled connection is stale after a Redis restart), not redis-py's default ten
#: times with backoff: a limiter that waits seconds for Redis stalls every request.
_CLIENT_TIMEOUT = 1.0
_MISSING = (
    "limiter={where!r} needs the redis client package: pip install 'wom-sdk[redis]'"
)


def safe_url(url: str) -> str:
    """``url`` with its password masked, fit for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host  # IPv6
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
    except ValueError:
        return "<unparsable Redis URL>"


def client_from_url(url: str, *, asynchronous: bool) -> Any:
    try:
        from redis.backoff import NoBackoff

        if asynchronous:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry as AsyncRetry

            retry: Any = AsyncRetry(NoBackoff(), 1)
        else:
            from redis import Redis  # type: ignore[assignment]
            from redis.retry import Retry

            retry = Retry(NoBackoff(), 1)
    except ImportError:
        raise ConfigurationError(_MISSING.format(where=safe_url(url))) from None
    try:
        return Redis.from_url(
            url, socket_timeout=_CLIENT_TIMEOUT, socket_connect_timeout=_CLIENT_TIMEOUT,
            retry=retry,
        )
    except ValueError as e:
        raise ConfigurationError(f"invalid Redis URL {safe_url(url)!r}: {e}") from None


def describe(client: Any) -> str:
    kw = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {}) or {}
    if "path" in kw:
        return f"unix://{kw['path']}"
    return f"redis client {kw.get('host', '?')}:{kw.get('port', '?')}/{kw.get('db', 0)}"


def redis_error() -> type[Exception]:
    from redis.exceptions import RedisError

    return RedisError
