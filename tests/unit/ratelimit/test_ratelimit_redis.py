"""RedisRateLimiter against a real redis-server: the shared state, its keys, losing Redis.

Limiters made with ``clock=`` send that clock's time to the script instead of
Redis's ``TIME``, so the arithmetic is checked exactly; two such limiters stand
for two processes (each has its own instance id, mirror and queue).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from typing import Any

import pytest

from helpers.redis_server import RedisServer
from wom_sdk import (
    AsyncReviewAnalyzer,
    ConfigurationError,
    RateLimiter,
    RedisRateLimiter,
    ReviewAnalyzer,
)

ENDPOINT = "http://llm.test/v1"
LOGGER = "wom_sdk.ratelimit"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make(url: str, clock: Clock | None = None, **kw: Any) -> RedisRateLimiter:
    kw.setdefault("endpoint", ENDPOINT)
    kw.setdefault("model", "m")
    kw.setdefault("utilization", 1.0)
    lim = RedisRateLimiter(url, clock=clock, **kw)
    lim.connect()
    return lim


def delays(lim: RedisRateLimiter, n: int = 1, tokens: int = 0) -> list[float]:
    return [lim.reserve(tokens).delay for _ in range(n)]


# -- one schedule for every process ------------------------------------------------------
def test_two_processes_share_one_request_schedule(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock, requests_per_minute=1200)
    b = make(redis_url, clock, requests_per_minute=1200)
    booked = [a.reserve(0).delay, b.reserve(0).delay, a.reserve(0).delay, b.reserve(0).delay]
    assert booked == pytest.approx([0.0, 0.05, 0.10, 0.15])


def test_tokens_and_their_correction_are_shared(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock, tokens_per_minute=6000)
    b = make(redis_url, clock, tokens_per_minute=6000)
    first = a.reserve(600)  # 6 s of budget
    a.reconcile(first, 100)  # used 1 s: credited back with a's next call
    assert b.reserve(100).delay == pytest.approx(6.0)  # not yet reported
    assert a.reserve(1).delay == pytest.approx(2.0)  # 1 s + b's 1 s


def test_a_limit_learned_from_headers_reaches_the_other_process(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock)
    a.observe({"x-ratelimit-limit-requests": "1200", "x-ratelimit-limit-tokens": "90000"})
    a.reserve(0)  # the report travels with a's next booking
    b = make(redis_url, clock)  # a new process: knows the limits before its first request
    assert (b.requests_per_minute, b.tokens_per_minute) == (1200, 90000)
    assert b.reserve(0).delay == pytest.approx(0.05)


def test_configured_limits_win_over_learned_ones(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock)
    a.observe({"x-ratelimit-limit-requests": "6000"})
    a.reserve(0)
    b = make(redis_url, clock, requests_per_minute=60)
    assert b.requests_per_minute == 60
    assert delays(b, 2) == pytest.approx([0.01, 1.01])  # after a's booking at 6000 RPM


def test_a_429_cools_every_process_and_slows_the_pace_once(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock, requests_per_minute=600)
    b = make(redis_url, clock, requests_per_minute=600)
    for _ in range(3):  # one congestion event: a burst of 429s
        a.penalize(2.0)
    assert a.throttled == 3
    assert a.reserve(0).delay >= 2.0  # a's retry carries the news to Redis...
    clock.now += 0.5
    assert b.reserve(0).delay >= 1.5  # ...and b, which saw no 429, waits too
    assert repr(b).split("factor=")[1].startswith("0.85")
    assert b.throttled == 0
    # a 429 from b during the cool-down is part of the same event: no second slow-down
    b.penalize(1.0)
    b.reserve(0)
    assert repr(b).split("factor=")[1].startswith("0.85")


def test_successes_recover_the_shared_pace(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock, requests_per_minute=600)
    a.penalize(0.0)
    a.reserve(0)
    for _ in range(15):
        a.observe({})
    a.reserve(0)
    assert repr(a).split("factor=")[1].startswith("1.00")


def test_a_spent_window_blocks_every_process(redis_url: str) -> None:
    clock = Clock()
    a = make(redis_url, clock)
    b = make(redis_url, clock)
    a.observe({"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "0",
               "x-ratelimit-reset-requests": "3s"})
    a.reserve(0)
    assert b.reserve(0).delay == pytest.approx(3.0, abs=0.11)


# -- keys ------------------------------------------------------------------------------------
def test_keys_are_isolated_by_endpoint_model_and_user_key(redis_url: str) -> None:
    clock = Clock()
    base = make(redis_url, clock, requests_per_minute=60)
    others = [
        make(redis_url, clock, requests_per_minute=60, endpoint="http://other.test/v1"),
        make(redis_url, clock, requests_per_minute=60, model="m2"),
        make(redis_url, clock, requests_per_minute=60, key="tenant-b"),
    ]
    assert len({base.redis_key, *(o.redis_key for o in others)}) == 4
    base.reserve(0)
    assert [o.reserve(0).delay for o in others] == [0.0, 0.0, 0.0]
    same = make(redis_url, clock, requests_per_minute=60)
    assert same.redis_key == base.redis_key
    assert same.reserve(0).delay == pytest.approx(1.0)


def test_the_state_says_what_it_is_for_and_expires(redis_url: str) -> None:
    import redis

    lim = make(redis_url, requests_per_minute=60, key="tenant-a", state_ttl=30)
    lim.reserve(0)
    lim.reserve(0)  # the next slot is 2 s ahead: the keys live 30 s past that
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    assert lim.redis_key is not None
    state = r.hgetall(lim.redis_key)
    assert (state["endpoint"], state["model"], state["key"]) == (ENDPOINT, "m", "tenant-a")
    for key in (lim.redis_key, f"{lim.redis_key}:who"):
        assert 31_000 < r.pttl(key) <= 32_100
    assert r.zcard(f"{lim.redis_key}:who") == 1
    r.close()


def test_redis_time_is_the_clock(redis_url: str) -> None:
    # No injected clock: both limiters read Redis's TIME, so their own clocks never matter.
    a = make(redis_url, requests_per_minute=1200)
    b = make(redis_url, requests_per_minute=1200)
    assert a.reserve(0).delay == pytest.approx(0.0, abs=0.02)
    assert b.reserve(0).delay == pytest.approx(0.05, abs=0.02)


# -- sync and async twins --------------------------------------------------------------------
async def test_async_twin_books_on_the_same_schedule(redis_url: str) -> None:
    clock = Clock()
    sync = make(redis_url, clock, requests_per_minute=1200)
    lim = make(redis_url, clock, requests_per_minute=1200)
    got = [(await lim.areserve(0)).delay, sync.reserve(0).delay, (await lim.areserve(0)).delay]
    assert got == pytest.approx([0.0, 0.05, 0.10])
    await lim.aclose()


async def test_a_redis_asyncio_client_serves_the_async_analyzer_only(redis_url: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(redis_url)
    with pytest.raises(ConfigurationError, match=r"redis\.asyncio"):
        ReviewAnalyzer(base_url=ENDPOINT, limiter=client)
    analyzer = AsyncReviewAnalyzer(base_url=ENDPOINT, limiter=client, requests_per_minute=600)
    lim = analyzer.limiter
    assert isinstance(lim, RedisRateLimiter)
    assert [(await lim.areserve(0)).delay for _ in range(2)][1] == pytest.approx(0.1, abs=0.03)
    await analyzer.aclose()
    assert await client.ping()  # the caller's client is the caller's to close
    await client.aclose()


# -- the analyzer's limiter= ---------------------------------------------------------------
def test_analyzer_limiter_argument(redis_url: str) -> None:
    a = ReviewAnalyzer(base_url=ENDPOINT, model="m", limiter=redis_url, requests_per_minute=600)
    assert isinstance(a.limiter, RedisRateLimiter)
    assert a.limiter.requests_per_minute == 600
    b = ReviewAnalyzer(base_url=ENDPOINT, model="m", limiter=redis_url)
    c = ReviewAnalyzer(base_url=ENDPOINT, model="other", limiter=redis_url)
    assert a.limiter.redis_key == b.limiter.redis_key != c.limiter.redis_key  # type: ignore[attr-defined]
    assert "limiter=RedisRateLimiter(redis='redis://127.0.0.1" in repr(a)
    for x in (a, b, c):
        x.close()


def test_one_limiter_instance_shared_by_analyzers(redis_url: str) -> None:
    local = RateLimiter(requests_per_minute=600)
    x = ReviewAnalyzer(base_url=ENDPOINT, limiter=local)
    y = AsyncReviewAnalyzer(base_url=ENDPOINT, limiter=local)
    assert x.limiter is y.limiter is local
    with pytest.raises(ConfigurationError, match="requests_per_minute"):
        ReviewAnalyzer(base_url=ENDPOINT, limiter=local, requests_per_minute=10)
    shared = RedisRateLimiter(redis_url, key="tenant-a")
    ReviewAnalyzer(base_url=ENDPOINT, model="m", limiter=shared)
    ReviewAnalyzer(base_url=ENDPOINT, model="m", limiter=shared)
    with pytest.raises(ConfigurationError, match="give each its own limiter"):
        ReviewAnalyzer(base_url=ENDPOINT, model="another-model", limiter=shared)
    shared.close()


def test_configuration_errors_are_clear() -> None:
    with pytest.raises(ConfigurationError, match="redis://, rediss://, unix://"):
        ReviewAnalyzer(base_url=ENDPOINT, limiter="http://localhost:6379")
    with pytest.raises(ConfigurationError, match="a redis:// URL, a redis client or a"):
        ReviewAnalyzer(base_url=ENDPOINT, limiter=42)


def test_unreachable_redis_at_start_names_the_url_without_the_password() -> None:
    pytest.importorskip("redis", reason="the redis extra is not installed")
    url = "redis://:hunter2-secret@127.0.0.1:1/0"
    with pytest.raises(ConfigurationError) as err:
        ReviewAnalyzer(base_url=ENDPOINT, limiter=url)
    assert "redis://:***@127.0.0.1:1/0" in err.value.message
    assert "hunter2" not in str(err.value)


def test_without_the_redis_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.backoff", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'wom-sdk\[redis\]'"):
        ReviewAnalyzer(base_url=ENDPOINT, limiter="redis://localhost:6379/0")
    assert ReviewAnalyzer(base_url=ENDPOINT).limiter.requests_per_minute is None


# -- Redis lost mid-run ------------------------------------------------------------------------
def test_lost_redis_falls_back_with_one_warning_then_reconnects(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    a = make(own_redis.url, clock, requests_per_minute=1200, reconnect_interval=5.0)
    b = make(own_redis.url, clock, requests_per_minute=1200)
    a.reserve(0)
    b.reserve(0)  # two instances seen on the key: each takes half while Redis is gone
    own_redis.kill()
    caplog.set_level(logging.INFO, logger=LOGGER)
    got = delays(a, 4)  # no exception
    assert not a.shared
    assert got == pytest.approx([0.0, 0.1, 0.2, 0.3])  # 600 RPM: half of 1200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "Lost the shared rate limiter" in warnings[0].getMessage()
    assert "0.50 of the limit" in warnings[0].getMessage()
    clock.now += 1.0
    delays(a, 3)  # before the reconnect interval: no new attempt, no new warning
    own_redis.start()
    clock.now += 5.0
    assert a.reserve(0).delay == pytest.approx(0.0)
    assert a.shared
    assert any("Reached Redis again" in r.getMessage() for r in caplog.records)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    # One schedule again (a fresh Redis); for one reconnect interval a keeps to its
    # fallback share (0.1 s per request), in case b still paces locally.
    assert b.reserve(0).delay == pytest.approx(0.1)
    clock.now += 5.0
    a.reserve(0)
    assert b.reserve(0).delay == pytest.approx(0.05)


def test_failed_reconnection_attempts_stay_quiet(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    a = make(own_redis.url, clock, requests_per_minute=600, reconnect_interval=1.0,
             fallback_share=0.25)
    a.reserve(0)
    own_redis.kill()
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    for _ in range(5):
        clock.now += 1.5
        a.reserve(0)
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    assert len([r for r in caplog.records if "still unreachable" in r.getMessage()]) == 4
    assert delays(a, 2) == pytest.approx([0.4, 0.8])  # 600 RPM * 0.25: one every 0.4 s


def test_a_429_while_lost_still_cools_this_process(own_redis: RedisServer) -> None:
    clock = Clock()
    a = make(own_redis.url, clock, requests_per_minute=600, reconnect_interval=60)
    a.reserve(0)
    own_redis.kill()
    a.reserve(0)
    a.penalize(3.0)
    assert a.reserve(0).delay >= 3.0


async def test_async_fallback_and_reconnect(own_redis: RedisServer) -> None:
    clock = Clock()
    a = make(own_redis.url, clock, requests_per_minute=600, reconnect_interval=1.0)
    await a.areserve(0)
    own_redis.kill()
    assert (await a.areserve(0)).delay >= 0.0
    assert not a.shared
    own_redis.start()
    clock.now += 2.0
    await a.areserve(0)
    assert a.shared
    await a.aclose()


def test_async_loop_change_gets_a_new_client(redis_url: str) -> None:
    clock = Clock()
    lim = make(redis_url, clock, requests_per_minute=60)
    asyncio.run(lim.areserve(0))
    assert asyncio.run(lim.areserve(0)).delay == pytest.approx(1.0)  # a second event loop
    lim.close()


# -- through the analyzer and the command line, against the fake server --------------------
def test_analyzer_shares_what_it_learns_from_a_rate_limited_endpoint(
    redis_url: str, fast_retry: Any
) -> None:
    from fakeserver import FakeOpenAIServer, wom_responder

    with FakeOpenAIServer(rpm=600, responder=wom_responder) as srv:
        a = ReviewAnalyzer(base_url=srv.base_url, model="fake-model", limiter=redis_url,
                           retry=fast_retry)
        results = a.analyze_many(["电池一天要充三次", "Great screen, fast delivery.", "还行"])
        assert [r.ok for r in results] == [True, True, True]
        assert srv.stats().rate_limited == 0
        # a new analyzer (another process, as far as Redis knows) starts with the limit
        b = ReviewAnalyzer(base_url=srv.base_url, model="fake-model", limiter=redis_url)
        assert b.limiter.requests_per_minute == 600
        a.close()
        b.close()


def test_cli_limiter_flags(
    redis_url: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from fakeserver import FakeOpenAIServer, wom_responder
    from wom_sdk.cli import main

    src = tmp_path / "in.txt"
    src.write_text("电池一天要充三次\nGreat screen.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with FakeOpenAIServer(rpm=600, responder=wom_responder) as srv:
        argv = ["analyze", str(src), "-o", str(out), "--base-url", srv.base_url, "--model",
                "fake-model", "--limiter", redis_url, "--limiter-key", "tenant-a", "-q"]
        assert main(argv) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    import redis

    r = redis.Redis.from_url(redis_url, decode_responses=True)
    (state,) = [k for k in r.scan_iter("wom:rl:*") if not k.endswith(":who")]
    assert r.hget(state, "key") == "tenant-a"
    r.close()

    bad = ["analyze", str(src), "-o", str(tmp_path / "o2.jsonl"), "--base-url",
           "http://127.0.0.1:9/v1", "--limiter", "redis://:pw-123@127.0.0.1:1/0"]
    assert main(bad) == 1
    err = capsys.readouterr().err
    assert "redis://:***@127.0.0.1:1/0" in err
    assert "pw-123" not in err
    assert main([*bad[:6], "--limiter-key", "x"]) == 1
    assert "--limiter-key needs --limiter" in capsys.readouterr().err


def test_a_request_that_waited_respects_a_cool_down_from_another_process(
    redis_url: str,
) -> None:
    # Real time: a's second request is booked 0.2 s ahead; b's 429 (1 s) lands meanwhile.
    a = make(redis_url, requests_per_minute=300)
    b = make(redis_url, requests_per_minute=300)
    a.acquire(0)
    t0 = time.monotonic()
    timer = threading.Timer(0.05, b.penalize, args=(1.0,))
    timer.start()
    a.acquire(0)
    timer.join()
    assert time.monotonic() - t0 >= 1.0


def test_fallback_and_return_never_overlap_what_is_already_booked(
    own_redis: RedisServer,
) -> None:
    clock = Clock()
    a = make(own_redis.url, clock, requests_per_minute=600, reconnect_interval=0.1)
    b = make(own_redis.url, clock, requests_per_minute=600)
    assert delays(a, 5)[-1] == pytest.approx(0.4)  # a's requests wait in Redis's schedule
    b.reserve(0)
    own_redis.kill()
    # Local booking (half of 600 RPM: 0.2 s apart) starts after a's last Redis slot.
    assert delays(a, 2) == pytest.approx([0.4, 0.6])
    own_redis.start()  # a fresh Redis: its schedule is empty
    clock.now += 0.2
    # Back: the shared schedule starts after a's local bookings (0.8), not on top of them.
    assert a.reserve(0).delay == pytest.approx(0.6)
    assert a.shared


async def test_a_sync_client_of_your_own_serves_both_twins(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)  # str replies
    lim = RedisRateLimiter(client, endpoint=ENDPOINT, model="m", requests_per_minute=1200,
                           utilization=1.0, clock=Clock())
    lim.connect()
    # the async twin runs the blocking client in a thread, off the event loop
    got = [lim.reserve(0).delay, (await lim.areserve(0)).delay]
    assert got == pytest.approx([0.0, 0.05])
    await lim.aclose()
    assert client.ping()  # not closed: it is the caller's
    client.close()


def test_an_answer_sent_before_the_loss_does_not_end_the_fallback(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    lim = make(own_redis.url, clock, requests_per_minute=600, reconnect_interval=60)
    prepared = lim._prepare(0)  # a call in flight ...
    assert prepared is not None
    args, attempt = prepared
    assert lim.redis_key is not None
    raw = lim._sync_script()(keys=[lim.redis_key, f"{lim.redis_key}:who"], args=args)
    own_redis.kill()  # ... while another finds Redis gone
    caplog.set_level(logging.INFO, logger=LOGGER)
    lim.reserve(0)
    booked = lim._settle(raw, 0, attempt)  # the first answer, processed late
    assert booked is not None
    assert booked.delay == pytest.approx(0.0)
    assert not lim.shared
    assert not any("Reached Redis again" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
        ("rediss://user:p%40ss@host:6380/1", "rediss://user:***@host:6380/1"),
        ("redis://:secret@[::1]:6379/0", "redis://:***@[::1]:6379/0"),
        ("unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=2"),
    ],
)
def test_urls_are_shown_without_their_password(url: str, shown: str) -> None:
    from wom_sdk._ratelimit._connect import safe_url

    assert safe_url(url) == shown
