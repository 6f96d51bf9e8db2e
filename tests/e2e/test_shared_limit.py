"""Several processes, one account limit, one real redis-server (slow: real time, subprocesses).

Each worker is ``python -m helpers.limiter_worker`` (an ``AsyncReviewAnalyzer``
with ``limiter=redis://...``); the fake OpenAI-compatible server runs in this
process, enforcing its RPM in one-second slices with 429s, and records when
each request arrived and from which worker (``x-worker`` header).
Reviews: tests/data/eval_waimai.jsonl and eval_amazon.jsonl (sources in tests/data/README.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from helpers.redis_server import RedisServer

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parents[1]
LOST = "Lost the shared rate limiter"
BACK = "Reached Redis again"


def _texts(n: int) -> list[str]:
    rows: list[str] = []
    for name in ("eval_waimai.jsonl", "eval_amazon.jsonl"):
        with (TESTS / "data" / name).open(encoding="utf-8") as fh:
            rows += [json.loads(line)["text"] for line in fh]
    return [rows[i % len(rows)] for i in range(n)]


@pytest.fixture
def redis_srv(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer.or_skip(tmp_path / "redis") as server:
        yield server


class Workers:
    """Start worker processes together; collect their JSON line and stderr."""

    def __init__(self, tmp: Path, base_url: str) -> None:
        self.tmp, self.base_url = tmp, base_url
        self.procs: list[tuple[str, subprocess.Popen[str]]] = []

    def start(self, names: list[str], per_worker: int, *extra: str, lead: float = 2.0) -> None:
        start_at = time.time() + lead  # after the imports: everyone begins at once
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get(
            "PYTHONPATH", "")])}
        for k, name in enumerate(names):
            texts = self.tmp / f"{name}.json"
            texts.write_text(json.dumps(_texts(per_worker * (k + 1))[per_worker * k:]),
                             encoding="utf-8")
            cmd = [sys.executable, "-m", "helpers.limiter_worker", "--texts", str(texts),
                   "--base-url", self.base_url, "--name", name, "--start-at", str(start_at),
                   *extra]
            self.procs.append((name, subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)))

    def results(self, timeout: float = 240) -> list[tuple[dict[str, Any], str]]:
        out = []
        for name, proc in self.procs:
            stdout, stderr = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, f"{name} failed:\n{stderr[-3000:]}"
            out.append((json.loads(stdout.strip().splitlines()[-1]), stderr))
        self.procs = []
        return out


def _busiest_minute_rate(times: list[float], window: float = 10.0) -> float:
    """Most requests in any ``window`` seconds, as a per-minute rate."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - window:
            j += 1
        best = max(best, i - j + 1)
    return best * 60.0 / window


def test_two_processes_share_one_limit(redis_srv: RedisServer, tmp_path: Path) -> None:
    with FakeOpenAIServer(rpm=600, latency=0.2, responder=wom_responder) as srv:
        w = Workers(tmp_path, srv.base_url)
        w.start(["a", "b"], 100, "--limiter", redis_srv.url, "--rpm", "600")
        got = w.results()
        stats = srv.stats()
        arrived = [r.received_at for r in srv.requests]
    assert [r["ok"] for r, _ in got] == [100, 100]
    assert stats.rate_limited <= 2  # near zero: 0.5 % of requests at most
    # each process alone would pace itself to 588/min; together they stay under 600
    assert _busiest_minute_rate(arrived) <= 600 * 1.05
    span = max(r["t_end"] for r, _ in got) - min(r["t_start"] for r, _ in got)
    assert 200 / span * 60 >= 600 * 0.8


def test_a_limit_learned_by_one_process_reaches_the_next(
    redis_srv: RedisServer, tmp_path: Path
) -> None:
    with FakeOpenAIServer(rpm=600, responder=wom_responder) as srv:
        w = Workers(tmp_path, srv.base_url)
        w.start(["first"], 4, "--limiter", redis_srv.url, lead=0)
        ((first, _),) = w.results()
        w.start(["second"], 2, "--limiter", redis_srv.url, lead=0)
        ((second, _),) = w.results()
    assert first["rpm_at_start"] is None
    assert first["rpm_at_end"] == 600
    assert second["rpm_at_start"] == 600  # before its first request: read from Redis


def test_a_429_cools_every_process(redis_srv: RedisServer, tmp_path: Path) -> None:
    # The 30th request gets a 429 asking for 2 s: neither worker sends during that time.
    faults = FaultPlan(script=[None] * 29 + ["429"], retry_after=2.0)
    with FakeOpenAIServer(rpm=1200, latency=0.1, faults=faults,
                          responder=wom_responder) as srv:
        w = Workers(tmp_path, srv.base_url)
        w.start(["a", "b"], 40, "--limiter", redis_srv.url, "--rpm", "1200")
        got = w.results()
        requests = list(srv.requests)
    assert [r["ok"] for r, _ in got] == [40, 40]
    t429 = requests[29].received_at
    hit = requests[29].headers["x-worker"]
    during = [r.headers["x-worker"] for r in requests
              if t429 + 0.15 < r.received_at < t429 + 1.9]
    assert during == [], f"sent during {hit}'s cool-down: {during}"
    after = {r.headers["x-worker"] for r in requests if r.received_at >= t429 + 1.9}
    assert after == {"a", "b"}


def test_redis_killed_mid_run_then_restarted(redis_srv: RedisServer, tmp_path: Path) -> None:
    with FakeOpenAIServer(rpm=600, latency=0.2, responder=wom_responder) as srv:
        w = Workers(tmp_path, srv.base_url)
        w.start(["a", "b"], 80, "--limiter", redis_srv.url, "--rpm", "600",
                "--reconnect-interval", "2")
        deadline = time.monotonic() + 60
        while srv.stats().requests < 40 and time.monotonic() < deadline:
            time.sleep(0.1)  # mid-run: both workers have been sharing for a while
        redis_srv.kill()
        time.sleep(3.0)
        redis_srv.start()
        got = w.results()
        stats = srv.stats()
    for result, stderr in got:
        assert result["ok"] == 80, stderr  # no review lost, no crash
        assert stderr.count(LOST) == 1, stderr  # one warning per process, not a storm
        assert BACK in stderr, stderr
    # Each process takes half the limit while alone. Around the loss and the return, the
    # processes learn of it one by one (a restarted Redis has forgotten the bookings of
    # those not back yet): a few 429s there, a storm nowhere.
    assert stats.rate_limited <= 0.05 * stats.requests, stats
