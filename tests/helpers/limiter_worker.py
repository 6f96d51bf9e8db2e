"""One worker of a shared-limit run: ``python -m helpers.limiter_worker`` (PYTHONPATH=tests).

Reads a JSON list of review texts, waits until ``--start-at`` (so that several
workers start together; ``stdin``: once warmed up, it prints READY and reads the
start time), runs ``AsyncReviewAnalyzer.analyze_many`` over them
with a local limiter or ``--limiter redis://...``, and prints one JSON line:
results, the 429s it saw, and when it started and ended (``time.time()``).
The limiter's log lines (losing and reaching Redis) go to stderr. Used by the
slow tests in ``tests/e2e/test_shared_limit.py`` and ``benchmarks/shared_limit.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any


async def run(args: argparse.Namespace, texts: list[str]) -> dict[str, Any]:
    from wom_sdk import AsyncReviewAnalyzer, RedisRateLimiter

    limiter: Any = None
    limits = {"requests_per_minute": args.rpm, "tokens_per_minute": args.tpm}
    if args.limiter:
        limiter = RedisRateLimiter(args.limiter, reconnect_interval=args.reconnect_interval,
                                   **limits)
        limits = {"requests_per_minute": None, "tokens_per_minute": None}
    analyzer = AsyncReviewAnalyzer(model=args.model, api_key="test", base_url=args.base_url,
                                   limiter=limiter, default_headers={"x-worker": args.name},
                                   **limits)
    rpm_at_start = analyzer.limiter.requests_per_minute
    throttled_at: list[float] = []
    penalize = analyzer.limiter.penalize

    def noted_penalize(retry_after: float | None) -> float:
        throttled_at.append(time.time())
        return penalize(retry_after)

    analyzer.limiter.penalize = noted_penalize  # type: ignore[method-assign]
    # Warm up as a long-running service is: openai imported and its client made (about
    # a second of blocking work per process), the prompt templates compiled.
    analyzer._get_client()
    analyzer._prepare("analyze", texts[0])
    start_at = float(args.start_at) if args.start_at != "stdin" else 0.0
    if args.start_at == "stdin":  # say we are ready; the parent answers with the start time
        print("READY", flush=True)
        start_at = float(await asyncio.to_thread(sys.stdin.readline))
    delay = start_at - time.time()
    late = delay < 0
    if delay > 0:
        await asyncio.sleep(delay)
    t_start = time.time()
    results = await analyzer.analyze_many(texts, max_concurrency=args.concurrency)
    t_end = time.time()
    await analyzer.aclose()
    if limiter is not None:
        await limiter.aclose()  # the analyzer closes only the limiters it made
    errors: dict[str, int] = {}
    for r in results:
        if r.error is not None:
            errors[r.error.kind] = errors.get(r.error.kind, 0) + 1
    return {
        "name": args.name, "n": len(texts), "ok": sum(r.ok for r in results),
        "failed": sum(not r.ok for r in results), "errors": errors,
        "client_429s": analyzer.limiter.throttled, "requests": analyzer.usage.requests,
        "t_start": t_start, "t_end": t_end, "late_start": late,
        "rpm_at_start": rpm_at_start, "rpm_at_end": analyzer.limiter.requests_per_minute,
        "throttled_at": throttled_at,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m helpers.limiter_worker")
    p.add_argument("--texts", required=True, help="a JSON file: a list of review texts")
    p.add_argument("--base-url", required=True)
    p.add_argument("--model", default="fake-model")
    p.add_argument("--name", default="worker")
    p.add_argument("--limiter", help="redis:// URL; default: a local limiter")
    p.add_argument("--rpm", type=float)
    p.add_argument("--tpm", type=float)
    p.add_argument("--concurrency", type=int)
    p.add_argument("--reconnect-interval", type=float, default=5.0)
    p.add_argument("--start-at", default="0",
                   help="time.time() to start at, or 'stdin': print READY when warmed up, "
                        "then read it from stdin")
    args = p.parse_args(argv)
    logging.basicConfig(format=f"{args.name} %(levelname)s %(name)s %(message)s")
    logging.getLogger("wom_sdk").setLevel(logging.INFO)
    with open(args.texts, encoding="utf-8") as fh:
        texts = json.load(fh)
    print(json.dumps(asyncio.run(run(args, texts))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
