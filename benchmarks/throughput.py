"""Throughput against a rate-limited endpoint: how close to the limit, at what cost in 429s.

Each configuration starts its own fake OpenAI-compatible server as a subprocess
(``python -m fakeserver --responder wom --latency 0.3 ...``), sends the
same ``--n`` reviews through one client, stops the server with SIGTERM and
reads its final stats line (requests, 429s, admitted tokens). Configurations:

* ``sdk``       ``AsyncReviewAnalyzer.analyze_many`` told the limits
                (``requests_per_minute`` / ``tokens_per_minute``);
* ``sdk-learn`` the same, told nothing: it must learn the limits from the
                ``x-ratelimit-*`` headers;
* ``naive``     ``asyncio.gather`` over ``openai.AsyncOpenAI`` (its default
                ``max_retries=2``) ``chat.completions.create`` calls under an
                ``asyncio.Semaphore(32)``, sending byte-for-byte the request the
                SDK renders for the same review (messages, ``response_format``
                json_schema, ``max_tokens``, temperature).

Two settings: ``rpm`` (``--rpm 600``: requests bind) and ``tpm``
(``--rpm 10000 --tpm 600000``: tokens bind). The binding limit in reviews per
minute is ``min(rpm, tpm / charged)``, where ``charged`` is what the server
charges one request against its token bucket: the prompt tokens it estimates
plus the request's ``max_tokens`` (the server's ``total_tokens`` stat counts
the *completion* actually produced instead, far below ``max_tokens``, so it
would overstate the limit).

Reviews/min is successful reviews over the client's wall time (start of the
batch to its last result). Timings depend on the machine's load: compare rows
of one run, not absolute numbers across machines.

``--trace`` also records when each SDK request left the limiter and when each
429 came back (busiest second of sends, sends in the second before each 429),
to tell a client-side burst from a server-side one.

    python benchmarks/throughput.py                      # every configuration, n=2000
    python benchmarks/throughput.py --n 200 --only rpm/sdk,rpm/naive
    python benchmarks/throughput.py --only rpm/sdk --trace --tag traced

Results are merged into ``benchmarks/results/throughput.json`` (one entry per
configuration, so configurations can be run one invocation at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from typing import Any

from _common import (
    MODEL,
    ROOT,
    ServerProcess,
    environment,
    load_reviews,
    merge_results,
    render_requests,
)

# name -> (server limits, client knows the limits?, client kind)
SETTINGS: dict[str, dict[str, int]] = {
    "rpm": {"rpm": 600},
    "tpm": {"rpm": 10000, "tpm": 600000},
}
CLIENTS = ("sdk", "sdk-learn", "naive")


# -- the clients ------------------------------------------------------------------------------
def _trace(limiter: Any, sends: list[float], throttled: list[float]) -> None:
    """Record when each request leaves the limiter, and when each 429 is reported to it."""
    acquire, penalize = limiter.aacquire, limiter.penalize

    async def traced_acquire(tokens: int) -> Any:
        r = await acquire(tokens)
        sends.append(time.monotonic())
        return r

    def traced_penalize(retry_after: float | None) -> float:
        throttled.append(time.monotonic())
        return float(penalize(retry_after))

    limiter.aacquire, limiter.penalize = traced_acquire, traced_penalize


def trace_summary(sends: list[float], throttled: list[float], rpm: float) -> dict[str, Any]:
    """How bursty the client's sends were: sends in the busiest 1-second window, and before 429s."""
    sends = sorted(sends)
    busiest, j = 0, 0
    for i, t in enumerate(sends):
        while sends[j] < t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    before = [sum(1 for s in sends if t - 1.0 <= s <= t) for t in throttled]
    t0 = sends[0] if sends else 0.0
    return {"sends": len(sends), "busiest_1s_window": busiest, "request_limit_per_second": rpm / 60,
            "max_gap_s": max(gaps, default=0.0),
            "gaps_over_0.5s": sum(g > 0.5 for g in gaps),
            "throttled_at_s": [round(t - t0, 2) for t in throttled],
            "sends_in_1s_before_each_429": before}


async def run_sdk(base_url: str, texts: list[str], limits: dict[str, int] | None,
                  concurrency: int | None, trace: bool = False) -> dict[str, Any]:
    from wom_sdk import AsyncReviewAnalyzer

    limits = limits or {}
    analyzer = AsyncReviewAnalyzer(model=MODEL, api_key="test", base_url=base_url,
                                   requests_per_minute=limits.get("rpm"),
                                   tokens_per_minute=limits.get("tpm"))
    sends: list[float] = []
    throttled: list[float] = []
    if trace:
        _trace(analyzer.limiter, sends, throttled)
    async with analyzer:
        t0 = time.perf_counter()
        results = await analyzer.analyze_many(texts, max_concurrency=concurrency)
        wall = time.perf_counter() - t0
        errors: dict[str, int] = {}
        for r in results:
            if r.error is not None:
                errors[r.error.kind] = errors.get(r.error.kind, 0) + 1
        usage = analyzer.usage
        return {
            "ok": sum(r.ok for r in results), "failed": sum(not r.ok for r in results),
            "errors": errors, "wall_s": wall, "client_429s": analyzer.limiter.throttled,
            "client_requests": usage.requests, "max_tokens": analyzer.max_output_tokens,
            "learned_limits": {"rpm": analyzer.limiter.requests_per_minute,
                               "tpm": analyzer.limiter.tokens_per_minute},
            **({"trace": trace_summary(sends, throttled, limits.get("rpm") or 600)}
               if trace else {}),
        }


async def run_naive(base_url: str, requests: list[dict[str, Any]],
                    concurrency: int) -> dict[str, Any]:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="test")  # max_retries=2 (default)
    sem = asyncio.Semaphore(concurrency)

    async def one(params: dict[str, Any]) -> Any:
        async with sem:
            return await client.chat.completions.create(**params)

    async with client:
        t0 = time.perf_counter()
        got = await asyncio.gather(*(one(p) for p in requests), return_exceptions=True)
        wall = time.perf_counter() - t0
    errors: dict[str, int] = {}
    for g in got:
        if isinstance(g, BaseException):
            errors[type(g).__name__] = errors.get(type(g).__name__, 0) + 1
    failed = sum(errors.values())
    return {"ok": len(got) - failed, "failed": failed, "errors": errors, "wall_s": wall,
            "max_tokens": requests[0].get("max_tokens")}


def charged_tokens(requests: list[dict[str, Any]]) -> float:
    """Mean tokens the fake server charges a request: its prompt estimate plus max_tokens."""
    from fakeserver._limits import estimate_prompt_tokens

    total = sum(estimate_prompt_tokens(p["messages"]) + p["max_tokens"] for p in requests)
    return total / len(requests)


def summarize(setting: str, client: str, limits: dict[str, int], n: int, charged: float,
              res: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    succeeded = stats.get("succeeded") or 0
    binding = float(limits["rpm"])
    binding_by = "rpm"
    if "tpm" in limits and charged:
        by_tokens = limits["tpm"] / charged
        if by_tokens < binding:
            binding, binding_by = by_tokens, "tpm"
    per_min = res["ok"] / res["wall_s"] * 60 if res["wall_s"] else 0.0
    requests = stats.get("requests") or 0
    limited = stats.get("rate_limited") or 0
    return {
        "setting": setting, "client": client, "server_limits": limits, "n": n, **res,
        "reviews_per_min": per_min,
        "binding_limit_per_min": binding, "binding": binding_by,
        "ratio_to_limit": per_min / binding if binding else None,
        "server_achieved_rpm": stats.get("achieved_rpm"),
        "server_ratio_to_limit": (stats.get("achieved_rpm") or 0) / binding if binding else None,
        "charged_tokens_per_request": charged,
        "stats_prompt_tokens_per_request": stats["prompt_tokens"] / succeeded if succeeded else 0,
        "stats_total_tokens_per_request": stats["total_tokens"] / succeeded if succeeded else 0,
        "requests": requests, "rate_limited": limited,
        "rate_limited_pct": 100.0 * limited / requests if requests else 0.0,
        "server_stats": stats,
    }


def run_one(setting: str, client: str, texts: list[str], args: argparse.Namespace,
            requests: list[dict[str, Any]]) -> dict[str, Any]:
    limits = SETTINGS[setting]
    flags = ["--responder", "wom", "--latency", str(args.latency), "--model", MODEL]
    for key, value in limits.items():
        flags += [f"--{key}", str(value)]
    with ServerProcess(*flags) as server:
        if client == "naive":
            res = asyncio.run(run_naive(server.base_url, requests, args.naive_concurrency))
        else:
            told = limits if client == "sdk" else None
            res = asyncio.run(run_sdk(server.base_url, texts, told, args.concurrency,
                                      args.trace))
    return summarize(setting, client, limits, len(texts), charged_tokens(requests), res,
                     server.stats)


HEADER = ("| setting | client | reviews | ok | failed | wall s | reviews/min | binding limit/min "
          "| ratio | 429s | 429 % of requests |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def row(r: dict[str, Any]) -> str:
    lim = ", ".join(f"{k} {v}" for k, v in r["server_limits"].items())
    return (f"| {r['setting']} ({lim}) | {r['client']} | {r['n']} | {r['ok']} | {r['failed']} "
            f"| {r['wall_s']:.1f} | {r['reviews_per_min']:.1f} "
            f"| {r['binding_limit_per_min']:.1f} ({r['binding']}) | {r['ratio_to_limit']:.3f} "
            f"| {r['rate_limited']} | {r['rate_limited_pct']:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="reviews per configuration")
    parser.add_argument("--only", default="",
                        help="comma-separated SETTING/CLIENT list, e.g. rpm/sdk,tpm/naive "
                             f"(settings {sorted(SETTINGS)}, clients {list(CLIENTS)})")
    parser.add_argument("--latency", type=float, default=0.3, help="fake server seconds/answer")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="SDK max_concurrency (default: the SDK's own)")
    parser.add_argument("--naive-concurrency", type=int, default=32)
    parser.add_argument("--trace", action="store_true",
                        help="record the SDK's send times and 429s (burstiness diagnosis)")
    parser.add_argument("--tag", default="", help="suffix for the result keys (e.g. n200)")
    parser.add_argument("--source", choices=("datasets", "examples"), default="datasets",
                        help="reviews: the shared datasets (default) or examples/reviews.csv")
    args = parser.parse_args()

    wanted = [x.strip() for x in args.only.split(",") if x.strip()] or [
        f"{s}/{c}" for s in SETTINGS for c in CLIENTS]
    for w in wanted:
        s, _, c = w.partition("/")
        if s not in SETTINGS or c not in CLIENTS:
            parser.error(f"unknown configuration {w!r}")
    texts, source = load_reviews(args.n, args.source)
    # Rendered for every configuration: the naive client sends them, and the token
    # limit in reviews/min is computed from them.
    requests = render_requests(texts)
    env = environment()
    env["reviews_source"] = source
    print(f"{len(texts)} reviews from {source}; configurations: {', '.join(wanted)}",
          file=sys.stderr)
    print(HEADER, flush=True)
    for w in wanted:
        setting, _, client = w.partition("/")
        r = run_one(setting, client, texts, args, requests)
        print(row(r), flush=True)
        key = f"{w}{'@' + args.tag if args.tag else ''}"
        path = merge_results("throughput", {key: r}, env)
    print(f"\nresults: {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
