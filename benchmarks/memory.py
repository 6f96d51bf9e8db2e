"""Peak memory of ``wom analyze`` on a large input: does it stay flat as the input grows?

Generates a text file of ``--lines`` short reviews (one a line; cycled from the
shared datasets), starts a fake OpenAI-compatible server as a subprocess with
no latency and no limits (``python -m fakeserver --responder wom
--latency 0``), then runs, for each ``--limits`` value::

    /usr/bin/time -v wom analyze reviews.txt -o out.jsonl --base-url URL \
        --model fake-model --limit N --overwrite --quiet

and reads the peak resident set size from ``/usr/bin/time`` (``Maximum
resident set size``). The CLI's RSS is also sampled every ``--sample``
seconds from ``/proc/PID/status`` together with the output size, so the JSON
shows how memory moves during the run, not only its peak. Without
``/usr/bin/time`` the CLI is run directly and ``os.wait4`` gives its peak RSS.

The claim checked: the CLI streams (lazy reader, results written as they
complete), so its peak RSS should not grow with the input beyond the one
structure documented to grow: the set of review ids seen (duplicates and
resuming).

    python benchmarks/memory.py --lines 200000 --limits 2000,20000,200000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import DATA, MODEL, RESULTS, ServerProcess, environment

SHORT = 200  # characters: "short reviews"


def make_input(path: Path, lines: int) -> dict[str, Any]:
    """``lines`` short reviews, one a line, cycled from the Chinese and English datasets."""
    pool: list[str] = []
    for name in ("online_shopping_10_cats.jsonl", "uci_amazon_cells.jsonl", "waimai_10k.jsonl"):
        with (DATA / name).open(encoding="utf-8") as fh:
            for line in fh:
                text = " ".join((json.loads(line).get("text") or "").split())
                if 0 < len(text) <= SHORT:
                    pool.append(text)
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            out.write(pool[i % len(pool)] + "\n")
    return {"lines": lines, "distinct_texts": min(lines, len(pool)),
            "bytes": path.stat().st_size}



def _rss_kb(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of ``pid`` in kB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
    if "VmRSS" not in fields:
        return None
    return int(fields["VmRSS"]), int(fields.get("VmHWM", 0))


def _child_pid(pid: int) -> int | None:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(kids[0]) if kids else None


def id_set_mib(n: int) -> float:
    """Memory of a set of ``n`` ids like the ones the CLI gives lines of a text file."""
    import tracemalloc

    tracemalloc.start()
    ids = {f"row-{i}" for i in range(1, n + 1)}
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del ids
    return size / 2**20


def run_cli(base_url: str, src: Path, out: Path, limit: int, sample: float) -> dict[str, Any]:
    wom = shutil.which("wom") or str(Path(sys.executable).with_name("wom"))
    cmd = [wom, "analyze", str(src), "-o", str(out), "--base-url", base_url, "--model", MODEL,
           "--limit", str(limit), "--overwrite", "--quiet"]
    timer = Path("/usr/bin/time")
    use_time = timer.is_file()
    full = [str(timer), "-v", *cmd] if use_time else cmd
    env = {**os.environ, "OPENAI_API_KEY": "test"}
    samples: list[dict[str, float]] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen(full, stderr=subprocess.PIPE, text=True, env=env)
    stderr_chunks: list[str] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    target: int | None = None if use_time else proc.pid
    while proc.poll() is None:
        if target is None:
            target = _child_pid(proc.pid)
        got = _rss_kb(target) if target is not None else None
        if got is not None:
            samples.append({"t": round(time.perf_counter() - t0, 2), "rss_kb": got[0],
                            "hwm_kb": got[1],
                            "output_bytes": out.stat().st_size if out.exists() else 0})
        time.sleep(sample)
    wall = time.perf_counter() - t0
    reader.join()
    stderr = "".join(stderr_chunks)
    peak = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    if m:
        peak = int(m.group(1))
    elif samples:
        peak = max(s["hwm_kb"] for s in samples)
    with out.open("rb") as fh:
        written = sum(1 for _ in fh)
    ok = 0
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            ok += json.loads(line).get("insight") is not None
    # RSS when 10 %, 50 % and 90 % of the output was written (the very last sample
    # may fall in the interpreter's teardown, when memory is already being freed).
    final = max((x["output_bytes"] for x in samples), default=0) or 1
    at = {str(pct): next((x["rss_kb"] for x in samples if x["output_bytes"] >= final * pct / 100),
                         None) for pct in (10, 50, 90)}
    return {
        "limit": limit, "exit_code": proc.returncode, "written": written, "ok": ok,
        "rss_kb_at_output_pct": at,
        "failed": written - ok, "wall_s": wall, "reviews_per_s": written / wall if wall else 0,
        "peak_rss_kb": peak, "peak_rss_source": "/usr/bin/time -v" if m else "/proc VmHWM",
        "samples": samples, "command": " ".join(cmd),
        "stderr_tail": stderr[-3000:] if proc.returncode else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines of the input file")
    parser.add_argument("--limits", default="2000,20000,200000",
                        help="comma-separated --limit values, one CLI run each")
    parser.add_argument("--sample", type=float, default=0.5, help="seconds between RSS samples")
    parser.add_argument("--workdir", default=None, help="where input and outputs go (temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the input and output files")
    args = parser.parse_args()
    limits = [int(x) for x in args.limits.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="wom-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "reviews.txt"
    made = make_input(src, args.lines)
    env = environment()
    runs: list[dict[str, Any]] = []
    path = RESULTS / "memory.json"
    print("| --limit | written | ok | failed | wall s | reviews/s | peak RSS MiB "
          "| RSS at 10 % / 50 % / 90 % of the output, MiB |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---|", flush=True)
    try:
        for limit in limits:
            out = work / f"out-{limit}.jsonl"
            with ServerProcess("--responder", "wom", "--latency", "0", "--model", MODEL) as srv:
                r = run_cli(srv.base_url, src, out, limit, args.sample)
            r["server_stats"] = srv.stats
            runs.append(r)
            if not args.keep:
                out.unlink(missing_ok=True)
            peak = (r["peak_rss_kb"] or 0) / 1024
            at = " / ".join("n/a" if v is None else f"{v / 1024:.1f}"
                            for v in r["rss_kb_at_output_pct"].values())
            print(f"| {limit} | {r['written']} | {r['ok']} | {r['failed']} | {r['wall_s']:.1f} "
                  f"| {r['reviews_per_s']:.1f} | {peak:.1f} | {at} |", flush=True)
            RESULTS.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"input": made, "runs": runs, "environment": env},
                                       indent=2) + "\n", encoding="utf-8")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if len(runs) >= 2 and runs[0]["peak_rss_kb"] and runs[-1]["peak_rss_kb"]:
        a, b = runs[0], runs[-1]
        growth = (b["peak_rss_kb"] - a["peak_rss_kb"]) / 1024
        per_10k = growth / ((b["written"] - a["written"]) / 10_000)
        print(f"\npeak RSS growth from --limit {a['limit']} to {b['limit']}: {growth:+.1f} MiB "
              f"({per_10k:+.2f} MiB per 10,000 reviews)")
        ids = id_set_mib(b["written"])
        print(f"for comparison, a set of {b['written']} ids 'row-N' (what the CLI keeps to "
              f"skip duplicates and resume) takes {ids:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
