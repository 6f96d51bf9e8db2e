"""The Batch API at scale: 20,000 reviews through ``wom analyze --batch-api``.

Starts the fake OpenAI server (``python -m fakeserver --responder wom``) with its
Batch API on a virtual clock (``--batch-validate``, ``--batch-per-line``: the
job "runs" for ``--wait`` seconds of real time), then runs::

    wom analyze reviews.txt -o out.jsonl --batch-api --base-url URL --model gpt-4o-mini \\
        --summary-json summary.json --quiet

and samples the command's CPU time and resident memory from ``/proc/PID`` every
``--sample`` seconds, marking its phases from the job's state file: *submit*
(planning, uploading, creating batches), *wait* (every batch created, none seen
ended yet: the part that lasts up to 24 hours against a real provider) and
*collect* (downloading, validating, writing, re-runs). The claim checked: while
it waits the client uses no CPU to speak of and its memory stays flat.

Then it checks the output (every id exactly once, as an insight or a typed
error), and compares the cost per review with the online path: the same
command without ``--batch-api`` on ``--online-sample`` of the reviews (a seeded
random sample; built-in gpt-4o-mini prices; the Batch API at half of them), and
prices the batch run's own tokens online (the ratio without sampling noise).

    python benchmarks/batch_api.py                       # 20,000 reviews, ~4 min
    python benchmarks/batch_api.py --n 2000 --wait 20    # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, ROOT, ServerProcess, environment, load_reviews

from wom_sdk._pricing import load_prices

MODEL = "gpt-4o-mini"
_TICK = 100  # clock ticks per second of /proc/PID/stat (USER_HZ on Linux)


def _proc(pid: int) -> tuple[float, int] | None:
    """(CPU seconds, resident KiB) of ``pid``, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmRSS:")), 0)
    return (int(stat[11]) + int(stat[12])) / _TICK, rss


#: Once the client has seen a batch end (the state file says so before it downloads).
_ENDED = frozenset({"completed", "failed", "expired", "cancelled", "collected"})


def _phase(state_file: Path) -> str:
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "submit"
    parts = state.get("parts") or []
    if not parts or not all(p.get("batch_id") for p in parts):
        return "submit"
    return "collect" if any(p["status"] in _ENDED for p in parts) else "wait"


def run_batch(base_url: str, src: Path, folder: Path, sample: float) -> dict[str, Any]:
    out, summary = folder / "batch.jsonl", folder / "batch-summary.json"
    cmd = [sys.executable, "-m", "wom_sdk", "analyze", str(src), "-o", str(out),
           "--batch-api", "--base-url", base_url, "--model", MODEL, "--api-key-env",
           "WOM_BENCH_KEY", "--summary-json", str(summary), "--quiet"]
    env = {**os.environ, "WOM_BENCH_KEY": "k"}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    samples: list[dict[str, Any]] = []

    def watch() -> None:
        state_file = out.with_name(out.name + ".batch.json")
        while proc.poll() is None:
            got = _proc(proc.pid)
            if got is not None:
                samples.append({"t": round(time.monotonic() - start, 2), "cpu_s": got[0],
                                "rss_kib": got[1], "phase": _phase(state_file)})
            time.sleep(sample)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"wom analyze --batch-api failed ({proc.returncode}): {err.decode()}")
    return {"wall_seconds": round(time.monotonic() - start, 1), "samples": samples,
            "summary": json.loads(summary.read_text(encoding="utf-8")), "output": out}


def run_online(base_url: str, src: Path, folder: Path) -> dict[str, Any]:
    out, summary = folder / "online.jsonl", folder / "online-summary.json"
    subprocess.run([sys.executable, "-m", "wom_sdk", "analyze", str(src), "-o", str(out),
                    "--base-url", base_url, "--model", MODEL, "--api-key-env", "WOM_BENCH_KEY",
                    "--summary-json", str(summary), "--quiet"], check=True,
                   env={**os.environ, "WOM_BENCH_KEY": "k"})
    return dict(json.loads(summary.read_text(encoding="utf-8")))


def check_output(out: Path, n: int) -> dict[str, Any]:
    ids: list[str] = []
    ok = failed = 0
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            ids.append(record["id"])
            if record["insight"] is not None and record["error"] is None:
                ok += 1
            elif record["error"] is not None and record["insight"] is None:
                failed += 1
    expected = {f"row-{i}" for i in range(1, n + 1)}
    return {"lines": len(ids), "distinct_ids": len(set(ids)), "insights": ok,
            "typed_errors": failed, "every_id_once": len(ids) == len(set(ids)) and
            set(ids) == expected}


def phases(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Per phase: seconds, CPU seconds, CPU share, peak and spread of resident memory."""
    found: dict[str, Any] = {}
    for name in ("submit", "wait", "collect"):
        part = [s for s in samples if s["phase"] == name]
        if len(part) < 2:
            continue
        seconds = part[-1]["t"] - part[0]["t"]
        cpu = part[-1]["cpu_s"] - part[0]["cpu_s"]
        rss = [s["rss_kib"] / 1024 for s in part]
        found[name] = {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 2),
                       "cpu_share": round(cpu / seconds, 4) if seconds else None,
                       "rss_mib_min": round(min(rss), 1), "rss_mib_max": round(max(rss), 1),
                       "rss_mib_first": round(rss[0], 1), "rss_mib_last": round(rss[-1], 1)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="reviews in the batch job")
    parser.add_argument("--wait", type=float, default=120.0,
                        help="real seconds the fake's batches take to run their lines")
    parser.add_argument("--online-sample", type=int, default=2000,
                        help="reviews run online (a seeded random sample of the batch's) to "
                             "compare the cost per review")
    parser.add_argument("--sample", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--tag", default="", help="suffix of the results file name")
    args = parser.parse_args()

    texts, where = load_reviews(args.n)
    record: dict[str, Any] = {"environment": environment(), "reviews": args.n,
                              "reviews_from": where, "model": MODEL}
    with tempfile.TemporaryDirectory(prefix="wom-bench-batch-") as tmp:
        folder = Path(tmp)
        src = folder / "reviews.txt"
        src.write_text("".join(" ".join(t.split()) + "\n" for t in texts), encoding="utf-8")
        # A seeded random sample: the batch's mix of languages and lengths.
        sample = random.Random(0).sample(texts, min(args.online_sample, len(texts)))
        sample_src = folder / "sample.txt"
        sample_src.write_text("".join(" ".join(t.split()) + "\n" for t in sample),
                              encoding="utf-8")
        per_line = args.wait / args.n
        server_args = ["--responder", "wom", "--batch-validate", "10", "--batch-per-line",
                       f"{per_line:.6f}", "--batch-finalize", "5"]
        with ServerProcess(*server_args) as srv:
            batch = run_batch(srv.base_url, src, folder, args.sample)
            online = run_online(srv.base_url, sample_src, folder)
        record["server"] = {"args": server_args, "batch_api": srv.stats.get("batch_api")}
        record["output"] = check_output(batch.pop("output"), args.n)
    s = batch["summary"]
    record["batch"] = {"wall_seconds": batch["wall_seconds"], "phases": phases(batch["samples"]),
                       "peak_rss_mib": round(max(x["rss_kib"] for x in batch["samples"]) / 1024,
                                             1),
                       "batch_api": s["batch_api"], "estimated_cost_usd": s["estimated_cost_usd"],
                       "cost_per_review_usd": s["estimated_cost_usd"] / args.n,
                       "prompt_tokens": s["prompt_tokens"],
                       "completion_tokens": s["completion_tokens"]}
    record["online"] = {"reviews": args.online_sample,
                        "estimated_cost_usd": online["estimated_cost_usd"],
                        "cost_per_review_usd": online["estimated_cost_usd"] / args.online_sample,
                        "prompt_tokens": online["prompt_tokens"],
                        "completion_tokens": online["completion_tokens"],
                        "wall_seconds": online["wall_seconds"]}
    record["cost_ratio_batch_to_online"] = round(
        record["batch"]["cost_per_review_usd"] / record["online"]["cost_per_review_usd"], 3)
    # The batch run's own tokens at the online price: the ratio without sampling noise.
    price = load_prices().lookup(MODEL)
    assert price is not None
    if_online = price.cost(s["prompt_tokens"], s["completion_tokens"])
    record["batch"]["cost_if_online_usd"] = round(if_online, 6)
    record["cost_ratio_same_tokens"] = round(s["estimated_cost_usd"] / if_online, 4)
    record["samples"] = batch["samples"]
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"batch_api{('_' + args.tag) if args.tag else ''}.json"
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    brief = {k: v for k, v in record.items() if k not in ("samples", "environment")}
    print(json.dumps(brief, indent=1))
    print(f"written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
