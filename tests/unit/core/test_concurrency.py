"""One analyzer shared by many threads or tasks; one cache file shared by processes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fakeserver import FakeOpenAIServer, wom_responder
from wom_sdk import AsyncReviewAnalyzer, ReviewAnalyzer, SQLiteCache

TEXTS = [f"评论{i}：包装破损，物流太慢" for i in range(24)]


def test_one_sync_analyzer_from_many_threads(tmp_path: Path) -> None:
    with FakeOpenAIServer(responder=wom_responder, rpm=2400) as srv:
        a = ReviewAnalyzer(
            model="m", base_url=srv.base_url, requests_per_minute=2400, cache=tmp_path / "c.sqlite"
        )
        with ThreadPoolExecutor(8) as pool:
            insights = list(pool.map(a.analyze, TEXTS + TEXTS))  # second half: cache hits
        stats = srv.stats()
    assert len(insights) == 48
    assert stats.rate_limited == 0
    assert stats.requests <= 24 + 8  # duplicates raced at most once per thread
    assert a.usage.requests == stats.requests
    assert all(i.complaints[0].quote in t for i, t in zip(insights, TEXTS + TEXTS, strict=True))


async def test_one_async_analyzer_from_many_tasks() -> None:
    with FakeOpenAIServer(responder=wom_responder, rpm=2400) as srv:
        async with AsyncReviewAnalyzer(
            model="m", base_url=srv.base_url, requests_per_minute=2400
        ) as a:
            insights = await asyncio.gather(*(a.analyze(t) for t in TEXTS))
        stats = srv.stats()
    assert len(insights) == 24
    assert stats.rate_limited == 0
    assert a.usage.requests == 24


_WRITER = textwrap.dedent("""
    import sys
    from wom_sdk import SQLiteCache
    c = SQLiteCache(sys.argv[1])
    tag, n = sys.argv[2], int(sys.argv[3])
    print("started", flush=True)
    for i in range(n):
        c.set(f"{tag}-{i}", {"content": "x" * 2000, "i": i})
    c.close()
""")


def test_cache_survives_two_processes_writing_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    SQLiteCache(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), tag, "400"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for tag in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    cache = SQLiteCache(path)
    assert len(cache) == 800
    assert cache.get("a-399") == {"content": "x" * 2000, "i": 399}


def test_cache_survives_a_process_killed_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite"
    p = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path), "k", "1000000"], stdout=subprocess.PIPE
    )
    assert p.stdout is not None
    assert p.stdout.readline().strip() == b"started"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and len(SQLiteCache(path)) > 50:
            break
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    cache = SQLiteCache(path)
    n = len(cache)
    assert n > 50
    assert cache.get(f"k-{n - 1}") is not None
    cache.set("after", {"ok": True})  # still writable
    assert cache.get("after") == {"ok": True}
