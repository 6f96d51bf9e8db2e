"""``RedisRateLimiter``: one account's limit shared by threads, processes and machines.

The pacing state of the local ``RateLimiter`` (the request and token clocks,
the cool-down after a 429, the slow-down factor, the limits learned from
headers) lives in Redis and is read and changed by one Lua script per request
(``_script.py``: the key layout and expiry are described there). Each instance
keeps a local mirror of what Redis answered last, so that ``observe``,
``reconcile`` and ``penalize`` do not wait on the network: what they learn is
queued and travels with the next booking, except news the other processes need
now (a 429, a spent window, a new limit), which is sent at once (from a thread
when called on an event loop). A request that slept until its slot asks Redis
once more before it goes: another process's 429 may have started a cool-down.

Redis unreachable when the limiter is first used: ``ConfigurationError``. Lost
later: the limiter logs one warning (logger ``wom_sdk.ratelimit``) and paces
locally at ``1/N`` of the last known limit, N being the limiter instances that
used the key in the last minute (or ``fallback_share``), with the slow-down it
had; every ``reconnect_interval`` seconds one booking tries Redis again, and
the first that succeeds ends the fallback (logged at INFO).

redis-py's ``Script`` (``register_script``) runs the script with EVALSHA and
loads it again when Redis answers NOSCRIPT, which it does after a restart: the
script cache is not persisted (https://redis.io/docs/latest/develop/reference/errors/common/noscript/).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._exceptions import ConfigurationError
from ._connect import REDIS_URL_SCHEMES, client_from_url, describe, redis_error, safe_url
from ._headers import HeaderReport
from ._local import RECOVERY, SLOWDOWN, RateLimiter, Reservation
from ._script import SCRIPT, Report, keys_for, parse_result, script_args

__all__ = ["DEFAULT_RECONNECT_INTERVAL", "DEFAULT_STATE_TTL", "RedisRateLimiter"]

logger = logging.getLogger("wom_sdk.ratelimit")

#: Seconds the shared state outlives the last request booked on it.
DEFAULT_STATE_TTL = 600.0
#: Seconds between attempts to reach Redis again while pacing locally.
DEFAULT_RECONNECT_INTERVAL = 5.0


class RedisRateLimiter(RateLimiter):
    """A ``RateLimiter`` whose state lives in Redis, shared by every process using the key.

    ``ReviewAnalyzer(limiter="redis://host:6379/0")`` builds one keyed by the
    analyzer's endpoint and model; build it yourself to add a ``key`` (one
    account of several on the same endpoint) or to share it between analyzers.

    Args:
        redis: a ``redis://``, ``rediss://`` or ``unix://`` URL, a ``redis.Redis``
            client, or a ``redis.asyncio.Redis`` client (then only for the async analyzer).
        key: your name for the account whose limit is shared (default: none, so every
            process on the same endpoint and model shares one limit).
        endpoint, model: what the limit belongs to; default: the analyzer's.
        requests_per_minute, tokens_per_minute, utilization, learn_from_headers: as for
            ``RateLimiter``; limits not given are learned from headers by any sharer.
        prefix: first part of the Redis keys.
        state_ttl: seconds the state outlives the last booking.
        fallback_share: part of the limit to use while Redis is lost (default
            1 / the number of instances seen on the key in the last minute).
        reconnect_interval: seconds between attempts to reach a lost Redis.
        clock: for tests only: a clock used instead of Redis's ``TIME``.
    """

    def __init__(
        self,
        redis: Any,
        *,
        key: str | None = None,
        endpoint: str | None = None,
        model: str | None = None,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        utilization: float = 0.98,
        learn_from_headers: bool = True,
        prefix: str = "wom:rl",
        state_ttl: float = DEFAULT_STATE_TTL,
        fallback_share: float | None = None,
        reconnect_interval: float = DEFAULT_RECONNECT_INTERVAL,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            requests_per_minute, tokens_per_minute, utilization=utilization,
            learn_from_headers=learn_from_headers, clock=clock or time.monotonic,
        )
        if fallback_share is not None and not 0 < fallback_share <= 1:
            raise ValueError(f"fallback_share must be in (0, 1] (got {fallback_share})")
        self._server_time = clock is None
        self._url: str | None = None
        self._client: Any = None  # sync
        self._aclient: Any = None  # async, bound to one event loop
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._script: Any = None
        self._ascript: Any = None
        if isinstance(redis, str):
            if not redis.startswith(REDIS_URL_SCHEMES):
                raise ConfigurationError(
                    f"a Redis URL starts with {', '.join(REDIS_URL_SCHEMES)} "
                    f"(got {safe_url(redis)!r})"
                )
            self._url = redis
            self._where = safe_url(redis)
            # Made now (it connects lazily) so that a missing package or a bad URL fails here.
            self._client = client_from_url(redis, asynchronous=False)
        elif inspect.iscoroutinefunction(getattr(redis, "execute_command", None)):
            self._aclient = redis
            self._where = describe(redis)
        elif hasattr(redis, "register_script"):
            self._client = redis
            self._where = describe(redis)
        else:
            raise ConfigurationError(
                "limiter must be a redis:// URL, a redis client or a RateLimiter "
                f"(got {type(redis).__name__})"
            )
        self._client_lock = threading.Lock()
        self._prefix = prefix
        self._user_key = key
        self._explicit = endpoint is not None or model is not None
        self._endpoint = endpoint
        self._model = model
        self._keys: tuple[str, str] | None = None
        if endpoint is not None and model is not None:
            self._keys = keys_for(prefix, endpoint, model, key)
        self._ttl = state_ttl
        self._fallback_share = fallback_share
        self._reconnect_interval = reconnect_interval
        self._instance = uuid.uuid4().hex
        self._pending = Report()
        self._pending_block = 0.0  # local time until which the queued report blocks
        self._news = False  # the queued report holds something the others need now
        self._flushing = False
        self._connected = False
        self._lost_since: float | None = None
        self._next_attempt = 0.0
        self._attempting = False
        self._sharers = 1
        self._horizon = 0.0  # local time of the latest start booked in Redis
        self._regained_at = 0.0  # local time Redis answered again after a fallback

    def __repr__(self) -> str:
        state = "local fallback" if self._lost_since is not None else "shared"
        return (
            f"RedisRateLimiter(redis={self._where!r}, key={self.redis_key!r}, "
            f"requests_per_minute={self._rpm}, tokens_per_minute={self._tpm}, "
            f"factor={self._factor:.2f}, state={state!r})"
        )

    @property
    def redis_key(self) -> str | None:
        """The Redis hash holding the shared state (None until bound to an endpoint)."""
        return self._keys[0] if self._keys else None

    @property
    def shared(self) -> bool:
        """False while Redis is lost and the limiter paces locally."""
        return self._lost_since is None

    @property
    def has_sync_client(self) -> bool:
        """Whether ``connect`` / ``reserve`` can run (not only a redis.asyncio client)."""
        return self._url is not None or self._client is not None

    def bind(self, endpoint: str, model: str) -> None:
        """Key the state by an analyzer's endpoint and model, unless given explicitly."""
        with self._lock:
            if self._explicit:
                if self._keys is None:
                    self._keys = keys_for(self._prefix, self._endpoint or endpoint,
                                          self._model or model, self._user_key)
                return
            if self._keys is None:
                self._endpoint, self._model = endpoint, model
                self._keys = keys_for(self._prefix, endpoint, model, self._user_key)
            elif (self._endpoint, self._model) != (endpoint, model):
                raise ConfigurationError(
                    f"this RedisRateLimiter paces {self._model!r} at {self._endpoint!r}, "
                    f"not {model!r} at {endpoint!r}: give each its own limiter, or pass "
                    "endpoint= and model= to share one limit on purpose"
                )

    # -- the shared core: what to send, what the answer means (no I/O) -----------------
    def _prepare(self, tokens: int | None) -> tuple[list[str], bool] | None:
        """(ARGV, is a reconnection attempt) for the next call; None: book locally."""
        with self._lock:
            if self._keys is None:
                raise ConfigurationError(
                    "RedisRateLimiter needs endpoint= and model= when no analyzer binds it"
                )
            now = self._clock()
            attempt = self._lost_since is not None
            if attempt:
                if self._attempting or now < self._next_attempt:
                    return None
                self._attempting = True
                report = Report(
                    block_for=max(0.0, self._blocked_until - now),
                    ahead=max(self._next_request, self._next_token) - now,
                )
                if not self._configured[0] and self._rpm:
                    report.requests_per_minute = int(self._rpm)
                if not self._configured[1] and self._tpm:
                    report.tokens_per_minute = int(self._tpm)
            else:
                report, self._pending = self._pending, Report()
                report.block_for = max(0.0, self._pending_block - now)
                if self._share < 1.0 and now >= self._regained_at + self._reconnect_interval:
                    self._share = 1.0
            args = script_args(
                now=None if self._server_time else now,
                instance=self._instance,
                tokens=tokens,
                configured=(
                    self._rpm if self._configured[0] else None,
                    self._tpm if self._configured[1] else None,
                ),
                # Just back from a fallback, the others may still pace locally: keep to
                # our share until they have had a reconnection attempt too.
                utilization=self._utilization * self._share,
                report=report,
                ttl=self._ttl,
                tuning=(self.MIN_FACTOR, SLOWDOWN, RECOVERY),
                identity=(self._endpoint or "", self._model or "", self._user_key or ""),
            )
            return args, attempt

    def _settle(
        self, raw: Sequence[bytes | str], tokens: int | None, attempt: bool
    ) -> Reservation | None:
        """Mirror what Redis answered; the booking, if one was asked for."""
        res = parse_result(raw)
        with self._lock:
            now = self._clock()
            if self._lost_since is not None and not attempt:
                # Sent before another call found Redis gone: the booking holds, but
                # only a reconnection attempt ends the fallback.
                return None if res.delay is None or tokens is None else Reservation(
                    tokens=tokens, delay=res.delay)
            if res.requests_per_minute and not self._configured[0]:
                self._rpm = res.requests_per_minute
            if res.tokens_per_minute and not self._configured[1]:
                self._tpm = res.tokens_per_minute
            self._factor = res.factor
            self._blocked_until = max(self._blocked_until, now + res.blocked_for)
            if res.delay is not None:
                self._horizon = max(self._horizon, now + res.delay)
            self._sharers = res.sharers
            self._connected = True
            lost_for = None if self._lost_since is None else now - self._lost_since
            if lost_for is not None:
                self._regained_at = now
            self._lost_since = None
        if lost_for is not None:
            logger.info("Reached Redis again at %s after %.1f s: the rate limit is shared "
                        "again (%s)", self._where, lost_for, self.redis_key)
        if res.delay is None or tokens is None:
            return None
        return Reservation(tokens=tokens, delay=res.delay)

    def _failed(self, exc: Exception) -> None:
        """Redis did not answer: refuse to start, or pace locally for a while."""
        if not self._connected:
            raise ConfigurationError(
                f"cannot use the Redis rate limiter at {self._where}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        with self._lock:
            now = self._clock()
            self._next_attempt = now + self._reconnect_interval
            first = self._lost_since is None
            if first:
                self._lost_since = now
                self._share = self._fallback_share or 1.0 / max(1, self._sharers)
                # Requests booked in Redis still go at their time: local booking starts
                # after the last of ours, not at once on top of them.
                self._next_request = self._next_token = max(now, self._horizon)
                self._pending, self._pending_block = Report(), 0.0
        if first:
            logger.warning(
                "Lost the shared rate limiter at %s (%s: %s): pacing locally at %.2f of "
                "the limit (%d limiter instance(s) shared %s in the last minute) and "
                "trying Redis again every %.0f s", self._where, type(exc).__name__, exc,
                self._share, self._sharers, self.redis_key, self._reconnect_interval)
        else:
            logger.debug("Redis at %s still unreachable: %s", self._where, exc)

    def _end_attempt(self) -> None:
        with self._lock:
            self._attempting = False

    # -- what the analyzer reports: queued for the next booking, news sent at once -----
    def _note_success(self, report: HeaderReport) -> None:
        known = (self._rpm, self._tpm)
        super()._note_success(report)
        if self._lost_since is not None:
            return
        self._pending.successes += 1
        if report.requests_per_minute:
            self._pending.requests_per_minute = report.requests_per_minute
        if report.tokens_per_minute:
            self._pending.tokens_per_minute = report.tokens_per_minute
        if report.exhausted_for:
            self._pending_block = max(self._pending_block, self._clock() + report.exhausted_for)
        self._news |= bool(report.exhausted_for) or (self._rpm, self._tpm) != known

    def observe(self, headers: Mapping[str, str]) -> None:
        super().observe(headers)
        self._send_news()

    def penalize(self, retry_after: float | None) -> float:
        wait = super().penalize(retry_after)
        with self._lock:
            if self._lost_since is None:
                self._pending.penalties += 1
                self._pending_block = max(self._pending_block, self._blocked_until)
                self._news = True
        self._send_news()
        return wait

    def _send_news(self) -> None:
        """Tell the other sharers now of a 429, a spent window or a new limit.

        Everything else waits for this process's next booking. On an event loop
        the call runs in a thread, so that the loop never waits for Redis.
        """
        with self._lock:
            if not self._news or self._flushing or not self._connected:
                return
            if self._lost_since is not None or not self.has_sync_client:
                return  # the next booking (or reconnection) carries it
            self._news, self._flushing = False, True
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
        else:
            threading.Thread(target=self._flush, name="wom-ratelimit-news", daemon=True).start()

    def _flush(self) -> None:
        try:
            self._call(None)
        finally:
            with self._lock:
                self._flushing = False

    def reconcile(self, reservation: Reservation, actual_tokens: int | None) -> None:
        if self._lost_since is not None:
            super().reconcile(reservation, actual_tokens)
            return
        if actual_tokens is None:
            return
        with self._lock:
            self._pending.token_diff += actual_tokens - reservation.tokens

    # -- the I/O twins -------------------------------------------------------------------
    def _sync_script(self) -> Any:
        with self._client_lock:
            if self._script is None:
                if self._client is None:
                    if self._url is None:
                        raise ConfigurationError(
                            f"the limiter's Redis client ({self._where}) is a redis.asyncio "
                            "client: use it with AsyncReviewAnalyzer, or give a redis:// URL"
                        )
                    self._client = client_from_url(self._url, asynchronous=False)
                self._script = self._client.register_script(SCRIPT)
            return self._script

    def _async_script(self) -> Any:
        loop = asyncio.get_running_loop()
        with self._client_lock:
            if self._url is not None and self._aloop is not loop:
                # redis.asyncio connections belong to the loop that made them.
                self._aclient = client_from_url(self._url, asynchronous=True)
                self._aloop, self._ascript = loop, None
            if self._ascript is None:
                self._ascript = self._aclient.register_script(SCRIPT)
            return self._ascript

    def _call(self, tokens: int | None) -> Reservation | None:
        prepared = self._prepare(tokens)
        if prepared is None:
            return None
        args, attempt = prepared
        error = redis_error()
        try:
            assert self._keys is not None
            raw = self._sync_script()(keys=list(self._keys), args=args)
        except error as e:
            self._failed(e)
            return None
        finally:
            if attempt:
                self._end_attempt()
        return self._settle(raw, tokens, attempt)

    async def _acall(self, tokens: int | None) -> Reservation | None:
        if self._aclient is None and self._url is None:
            # A redis.Redis client given by the user: its calls block, so not on the loop.
            return await asyncio.to_thread(self._call, tokens)
        prepared = self._prepare(tokens)
        if prepared is None:
            return None
        args, attempt = prepared
        error = redis_error()
        try:
            assert self._keys is not None
            raw = await self._async_script()(keys=list(self._keys), args=args)
        except error as e:
            self._failed(e)
            return None
        finally:
            if attempt:
                self._end_attempt()
        return self._settle(raw, tokens, attempt)

    def connect(self) -> None:
        """Check that Redis answers and runs the script, and read the shared state.

        Raises ``ConfigurationError`` if it does not; the analyzer calls this when
        it is made. Does nothing once Redis has answered.
        """
        if not self._connected:
            self._call(None)

    async def aconnect(self) -> None:
        """``connect`` for an async client."""
        if not self._connected:
            await self._acall(None)

    def _refresh(self) -> None:
        # A request that slept may have been booked before another process's 429:
        # the cool-down it must respect is in Redis, not yet in our mirror.
        self._call(None)

    async def _arefresh(self) -> None:
        await self._acall(None)

    def reserve(self, tokens: int) -> Reservation:
        booked = self._call(tokens)
        return booked if booked is not None else RateLimiter.reserve(self, tokens)

    async def areserve(self, tokens: int) -> Reservation:
        booked = await self._acall(tokens)
        return booked if booked is not None else RateLimiter.reserve(self, tokens)

    def close(self) -> None:
        """Send what is still queued; close the connections this limiter opened.

        A client you gave the limiter stays open: it is yours.
        """
        if self._connected and self._lost_since is None and self.has_sync_client:
            self._call(None)
        with self._client_lock:
            if self._url is None:
                return
            client, self._client, self._script = self._client, None, None
            # An async client can only be closed on its loop (``aclose``); dropped here.
            self._aclient, self._aloop, self._ascript = None, None, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        if self._connected and self._lost_since is None and not self.has_sync_client:
            await self._acall(None)  # close() cannot send for an asyncio-only client
        with self._client_lock:
            aclient = self._aclient if self._url is not None else None
            if aclient is not None:
                self._aclient, self._aloop, self._ascript = None, None, None
        if aclient is not None:
            await aclient.aclose()
        self.close()
