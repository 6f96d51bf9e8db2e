"""One account limit shared by worker processes: the Redis limiter, and the storm without it.

One fake OpenAI-compatible server process enforces the account limit
(``python -m fakeserver --rpm 1200 --latency 0.3 --responder wom``: one-second
slices, 429 with ``retry-after`` and ``x-ratelimit-*`` headers). ``--workers``
processes (``python -m helpers.limiter_worker``: one ``AsyncReviewAnalyzer``
each, default ``max_concurrency``) split the reviews between them and start at
the same moment. Configurations:

* ``redis``        ``limiter="redis://..."`` (a ``redis-server`` this script starts
                   on a free port, no persistence), each told 1,200 RPM;
* ``redis-learn``  the same, told nothing: the limit is learned from the headers
                   by the first answers and shared through Redis;
* ``local``        local limiters, each told the full 1,200 RPM: what several
                   replicas did before, the storm the shared limiter prevents.

Reviews/min is successful reviews over the span from the first worker's start
to the last worker's end; 429s are the server's count, as a share of all the
requests it received. The machine's load changes the numbers (each worker is a
Python process on the same cores): the JSON records the load average at the
start and the end of each configuration.

    python benchmarks/shared_limit.py             # redis and local: 4 workers, 2,000 reviews
    python benchmarks/shared_limit.py --only redis-learn --n 400 --tag n400

Results are merged into ``benchmarks/results/shared_limit.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import MODEL, ROOT, TESTS_DIR, ServerProcess, environment, load_reviews, merge_results

from helpers.redis_server import RedisServer

CONFIGS = ("redis", "redis-learn", "local")
DEFAULT = ("redis", "local")


def run_workers(texts: list[str], base_url: str, redis_url: str | None, told: bool,
                args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(TESTS_DIR)}
    procs = []
    for k in range(args.workers):
        texts_file = tmp / f"w{k}.json"
        texts_file.write_text(json.dumps(texts[k::args.workers], ensure_ascii=False),
                              encoding="utf-8")
        cmd = [sys.executable, "-m", "helpers.limiter_worker", "--texts", str(texts_file),
               "--base-url", base_url, "--model", MODEL, "--name", f"w{k}",
               "--start-at", "stdin"]
        if redis_url:
            cmd += ["--limiter", redis_url]
        if told:
            cmd += ["--rpm", str(args.rpm)]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, env=env))
    # Everyone warmed up (imports, the openai client, the templates), then one start for all.
    for k, proc in enumerate(procs):
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "READY":
            raise RuntimeError(f"worker w{k} did not start: {proc.communicate()[1][-3000:]}")
    start_at = time.time() + args.lead
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(f"{start_at!r}\n")
        proc.stdin.flush()
    out = []
    for k, proc in enumerate(procs):
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"worker w{k} failed:\n{stderr[-3000:]}")
        result = json.loads(stdout.strip().splitlines()[-1])
        result["log_lines"] = [x for x in stderr.splitlines() if "wom_sdk" in x][:10]
        out.append(result)
    return out


def run_one(config: str, texts: list[str], args: argparse.Namespace) -> dict[str, Any]:
    flags = ["--responder", "wom", "--latency", str(args.latency), "--model", MODEL,
             "--rpm", str(args.rpm)]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        redis_url = None
        if config.startswith("redis"):
            reason = RedisServer.skip_reason()
            if reason:
                raise SystemExit(f"{config}: {reason}")
            redis_url = stack.enter_context(RedisServer(Path(tmp) / "redis")).url
        server = stack.enter_context(ServerProcess(*flags))
        workers = run_workers(texts, server.base_url, redis_url, config != "redis-learn",
                              args, Path(tmp))
    stats = server.stats
    ok = sum(w["ok"] for w in workers)
    errors: dict[str, int] = {}
    for w in workers:
        for kind, count in w["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    span = max(w["t_end"] for w in workers) - min(w["t_start"] for w in workers)
    per_min = ok / span * 60 if span else 0.0
    requests = stats.get("requests") or 0
    limited = stats.get("rate_limited") or 0
    return {
        "config": config, "workers": args.workers, "n": len(texts), "limit_rpm": args.rpm,
        "latency_s": args.latency, "ok": ok, "failed": sum(w["failed"] for w in workers),
        "errors": errors, "wall_s": span, "reviews_per_min": per_min,
        "ratio_to_limit": per_min / args.rpm, "requests": requests, "rate_limited": limited,
        "rate_limited_pct": 100.0 * limited / requests if requests else 0.0,
        "server_achieved_rpm": stats.get("achieved_rpm"),
        "client_429s": sum(w["client_429s"] for w in workers),
        "late_starts": sum(bool(w["late_start"]) for w in workers),
        "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
        "per_worker": workers, "server_stats": stats,
    }


HEADER = ("| limiter | workers | reviews | ok | failed | wall s | reviews/min | of the limit "
          "| 429s | 429 % of requests |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def row(r: dict[str, Any]) -> str:
    return (f"| {r['config']} | {r['workers']} | {r['n']} | {r['ok']} | {r['failed']} "
            f"| {r['wall_s']:.1f} | {r['reviews_per_min']:.0f} | {r['ratio_to_limit']:.3f} "
            f"| {r['rate_limited']} | {r['rate_limited_pct']:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="reviews in all, split between workers")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rpm", type=int, default=1200, help="the account's limit")
    parser.add_argument("--latency", type=float, default=0.3, help="fake server seconds/answer")
    parser.add_argument("--lead", type=float, default=0.5,
                        help="seconds between the last worker's READY and the common start")
    parser.add_argument("--only", default="",
                        help=f"comma-separated configurations of {list(CONFIGS)} "
                             f"(default {','.join(DEFAULT)})")
    parser.add_argument("--tag", default="", help="suffix for the result keys")
    args = parser.parse_args()
    wanted = [x.strip() for x in args.only.split(",") if x.strip()] or list(DEFAULT)
    for w in wanted:
        if w not in CONFIGS:
            parser.error(f"unknown configuration {w!r}")
    texts, source = load_reviews(args.n)
    env = environment()
    env["reviews_source"] = source
    print(f"{len(texts)} reviews from {source}, {args.workers} workers, "
          f"limit {args.rpm} RPM: {', '.join(wanted)}", file=sys.stderr)
    print(HEADER, flush=True)
    for config in wanted:
        r = run_one(config, texts, args)
        print(row(r), flush=True)
        path = merge_results("shared_limit", {config + (f"@{args.tag}" if args.tag else ""): r},
                             env)
    print(f"\nresults: {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
