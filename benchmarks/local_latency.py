"""Seconds per review with the bundled local model, and the prompt tokens llama.cpp evaluates.

For each configuration (threads x n_ctx x n_batch x task x pack x prompts), a
fresh ``wom_sdk.local.LocalServer`` starts, one warm-up review fills its prompt
cache (as the first review of any real run would), then ``--n`` reviews run
one at a time, the way ``wom analyze`` drives the local server (it answers one
request at a time): ``analyzer.sentiment(text)`` / ``analyzer.analyze(text)``
for ``pack=1``, ``analyzer.analyze_many(reviews, pack=P)`` otherwise.

What the server really computed is read from its log, one block per request:
``Llama.generate: N prefix-match hit, remaining M prompt tokens to eval``
(llama-cpp-python reuses the longest common prefix of the previous prompt) and
llama.cpp's ``llama_perf_context_print`` lines (prompt eval and eval times).
``prompt_tokens`` is what the endpoint reports (the whole prompt);
``prompt_tokens_evaluated`` is what was actually processed.

Timings depend on what else the machine runs: every result records the load
average before and after. Re-run on a quiet machine for numbers to publish.

    python benchmarks/local_latency.py                         # the defaults: ~10 min
    python benchmarks/local_latency.py --threads 1,2 --tasks sentiment,analyze --packs 1,10 --n 10
    python benchmarks/local_latency.py --prompts-rev bbf0260 --tag old-layout   # the old layout
    python benchmarks/local_latency.py --tasks analyze --n 100 --tag wom-analyze-100
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import DATA, RESULTS, ROOT, environment

from wom_sdk import ReviewAnalyzer
from wom_sdk.local import DEFAULT_N_CTX, LocalServer

_PREFIX = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens")
_PERF = re.compile(r"llama_perf_context_print:\s+(prompt eval|eval) time =\s+([\d.]+) ms /\s+(\d+)")


def reviews_from(path: Path, n: int, offset: int) -> list[dict[str, Any]]:
    """Reviews ``offset`` .. ``offset + n`` of a normalized JSONL set, as analyze_many input."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if (row.get("text") or "").strip():
                rows.append({"id": str(row["id"]), "text": row["text"]})
    if len(rows) < offset + n:
        raise SystemExit(f"{path} has only {len(rows)} reviews")
    # Spread over the file: its first rows are often one product or one label.
    step = max(1, (len(rows) - offset) // n)
    return [rows[offset + i * step] for i in range(n)]


def prompts_at(rev: str) -> str:
    """``prompts/`` as of git revision ``rev``, copied into a temporary directory."""
    target = Path(tempfile.mkdtemp(prefix=f"wom-prompts-{rev}-"))
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "prompts/"],
                           capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"],
                              capture_output=True, text=True, check=True).stdout
        (target / Path(name).name).write_text(text, encoding="utf-8")
    return str(target)


def parse_log(text: str) -> list[dict[str, float]]:
    """One dict per request in the server's log: prefix hit, tokens evaluated, ms."""
    out: list[dict[str, float]] = []
    current: dict[str, float] = {}
    for line in text.splitlines():
        if m := _PREFIX.search(line):
            current = {"prefix_hit": int(m[1]), "prompt_evaluated": int(m[2])}
            out.append(current)
        elif (m := _PERF.search(line)) and current:
            key = "prompt_ms" if m[1] == "prompt eval" else "eval_ms"
            current[key] = float(m[2])
            if key == "eval_ms":
                current["eval_tokens"] = int(m[3])
    return out


def run_one(config: dict[str, Any], warmup: list[dict[str, Any]], reviews: list[dict[str, Any]],
            model_path: str | None) -> dict[str, Any]:
    extra = ["--n_batch", str(config["n_batch"]), "--n_ubatch", str(config["n_batch"]),
             *config["server_args"].split()]
    server = LocalServer(model_path=model_path, n_ctx=config["n_ctx"],
                         n_threads=config["threads"], extra_args=extra)
    load_before = os.getloadavg()
    with server:
        assert server._process is not None
        command = server._process.args
        threads_used = int(command[command.index("--n_threads") + 1])
        options = server.analyzer_options()
        if config["prompts_dir"]:
            options["prompts_dir"] = config["prompts_dir"]
        with ReviewAnalyzer(**options) as analyzer:
            task, pack = config["task"], config["pack"]

            def call(batch: list[dict[str, Any]]) -> list[bool]:
                if pack > 1:
                    results = analyzer.analyze_many(batch, pack=pack, max_concurrency=1)
                    return [r.insight is not None for r in results]
                oks = []
                for review in batch:
                    try:
                        getattr(analyzer, task)(review["text"])
                        oks.append(True)
                    except Exception:
                        oks.append(False)
                return oks

            assert server.log_path is not None
            # Distinct reviews: a pack maps its answers back by id.
            call(warmup[:pack])
            skip = len(parse_log(server.log_path.read_text(encoding="utf-8", errors="replace")))
            usage_before = analyzer.usage
            started = time.monotonic()
            per_review: list[float] = []
            oks: list[bool] = []
            step = pack if pack > 1 else 1
            for i in range(0, len(reviews), step):
                t = time.monotonic()
                batch_ok = call(reviews[i:i + step])
                oks.extend(batch_ok)
                per_review.extend([(time.monotonic() - t) / len(batch_ok)] * len(batch_ok))
            wall = time.monotonic() - started
            usage = analyzer.usage
            log = parse_log(server.log_path.read_text(encoding="utf-8", errors="replace"))[skip:]
    n = len(reviews)
    return {
        **config,
        "threads_used": threads_used,
        "reviews": n,
        "failed": oks.count(False),
        "seconds_per_review_mean": round(wall / n, 2),
        "seconds_per_review_median": round(statistics.median(per_review), 2),
        "reviews_per_minute": round(60 * n / wall, 2),
        "requests": usage.requests - usage_before.requests,
        "prompt_tokens_per_review": round(
            (usage.prompt_tokens - usage_before.prompt_tokens) / n, 1),
        "completion_tokens_per_review": round(
            (usage.completion_tokens - usage_before.completion_tokens) / n, 1),
        "prompt_tokens_evaluated_per_review": round(
            sum(r["prompt_evaluated"] for r in log) / n, 1),
        "prompt_eval_seconds_per_review": round(
            sum(r.get("prompt_ms", 0) for r in log) / n / 1e3, 2),
        "decode_seconds_per_review": round(sum(r.get("eval_ms", 0) for r in log) / n / 1e3, 2),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default=str(DATA / "waimai_10k.jsonl"), help="normalized JSONL set")
    ap.add_argument("--n", type=int, default=10, help="reviews per configuration")
    ap.add_argument("--threads", default="auto",
                    help="comma-separated, e.g. 1,2; auto: the server's default (half the cores)")
    ap.add_argument("--n-ctx", default=str(DEFAULT_N_CTX), help="comma-separated")
    ap.add_argument("--n-batch", default="512", help="comma-separated (n_batch = n_ubatch)")
    ap.add_argument("--tasks", default="sentiment,analyze", help="sentiment, analyze")
    ap.add_argument("--packs", default="1,10", help="pack sizes (analyze only for > 1)")
    ap.add_argument("--prompts-dir", default=None, help="templates to use instead of prompts/")
    ap.add_argument("--prompts-rev", default=None,
                    help="use prompts/ as of this git revision (e.g. bbf0260, the layout "
                         "before the shared prefix)")
    ap.add_argument("--model-path", default=None, help="GGUF file (default: the bundled model)")
    ap.add_argument("--server-args", default="",
                    help='more llama_cpp.server arguments, e.g. "--flash_attn true"')
    ap.add_argument("--tag", default="", help="suffix of the result file name")
    args = ap.parse_args()

    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    if args.prompts_rev:
        args.prompts_dir = prompts_at(args.prompts_rev)
    pool = reviews_from(Path(args.data), args.n + max(ints(args.packs)), offset=0)
    warm = max(ints(args.packs))
    warmup, reviews = pool[:warm], pool[warm:]
    env = environment()
    rows = []
    for threads, n_ctx, n_batch, task, pack in itertools.product(
        [None] if args.threads == "auto" else ints(args.threads), ints(args.n_ctx),
        ints(args.n_batch),
        args.tasks.split(","), ints(args.packs),
    ):
        if pack > 1 and task != "analyze":
            continue  # packing exists for the analyze task only
        config = {"threads": threads, "n_ctx": n_ctx, "n_batch": n_batch, "task": task,
                  "pack": pack, "prompts_dir": args.prompts_dir, "server_args": args.server_args}
        row = run_one(config, warmup, reviews, args.model_path)
        rows.append(row)
        print(json.dumps(row), flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"local_latency{'-' + args.tag if args.tag else ''}.json"
    out.write_text(json.dumps({"environment": env, "data": args.data, "results": rows},
                              indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
