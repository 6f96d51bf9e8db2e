"""The SDK's own CPU cost per review, next to raw ``openai`` calls for the same requests.

A fake OpenAI-compatible server runs in a separate process with no latency and
no limits (``python -m wom_sdk.testing --latency 0 --responder wom``), so the
CPU time of *this* process (``time.process_time()``) is the client's alone.
Two sequential loops over the same ``--n`` reviews, after ``--warmup`` calls
each (imports, connection, the SDK's structured-output probe):

* ``raw``  ``openai.OpenAI().chat.completions.create(**params)``, where
  ``params`` is exactly what the SDK sends for that review (rendered before
  the loop: messages, json_schema ``response_format``, ``max_tokens``);
* ``sdk``  ``ReviewAnalyzer.analyze(text)``: cleaning, redaction, prompt
  rendering, the request, validation, grounding and the reply checks.

The loops alternate ``--repeats`` times and the median is reported, because
the machine is shared; the ratio of two medians of one run is the number to
quote, not the absolute milliseconds. With ``--profile`` the SDK loop is run
once more under cProfile (timer: process CPU time; cProfile's own per-call
cost inflates call-heavy code, so read its numbers as shares), and the top functions are written to
``benchmarks/results/overhead_profile.txt``. A split of the SDK's time into
its no-I/O phases (prepare, the HTTP call itself, validation and results) is
measured as well, by timing those internals directly.

    python benchmarks/overhead.py --n 500 --warmup 50 --repeats 3 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import json
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
EXAMPLES = ROOT / "examples" / "reviews.csv"
DATA = Path("/work/shared/data/norm")
MODEL = "fake-model"
TARGET_RATIO = 1.5
TARGET_MS = 2.0


# -- shared helpers (copied in each benchmark so that each file runs alone) -----------------
def load_reviews(n: int) -> tuple[list[str], str]:
    """``n`` review texts: examples/reviews.csv if present, else half Chinese, half English."""
    if EXAMPLES.is_file():
        with EXAMPLES.open(encoding="utf-8", newline="") as fh:
            texts = [row["text"] for row in csv.DictReader(fh) if (row.get("text") or "").strip()]
        source = str(EXAMPLES.relative_to(ROOT))
    else:
        zh = _jsonl_texts(DATA / "online_shopping_10_cats.jsonl", (n + 1) // 2)
        en = _jsonl_texts(DATA / "uci_amazon_cells.jsonl", n // 2)
        texts = [t for pair in zip(zh, en, strict=False) for t in pair] + zh[len(en):]
        source = "online_shopping_10_cats.jsonl + uci_amazon_cells.jsonl (interleaved)"
    if not texts:
        raise SystemExit("no reviews found")
    return [texts[i % len(texts)] for i in range(n)], source


def _jsonl_texts(path: Path, n: int) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("text") or ""
            if text.strip():
                out.append(text)
            if len(out) >= n:
                break
    return out


class ServerProcess:
    """``python -m wom_sdk.testing`` in a subprocess; ``stats`` is read after SIGTERM."""

    def __init__(self, *args: str) -> None:
        self.args = [sys.executable, "-m", "wom_sdk.testing", "--port", "0", *args]
        self.stats: dict[str, Any] = {}
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        self._proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("READY "):
            self._proc.kill()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.base_url = line.split(maxsplit=1)[1].strip()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self._proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            out, _ = self._proc.communicate()
        lines = [x for x in out.splitlines() if x.startswith("{")]
        self.stats = json.loads(lines[-1]) if lines else {}


def environment() -> dict[str, Any]:
    import openai

    import wom_sdk

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "wom_sdk": wom_sdk.__version__,
        "openai": openai.__version__,
        "git_commit": commit,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def render_requests(texts: list[str]) -> list[dict[str, Any]]:
    """The exact ``chat.completions.create`` parameters the SDK sends for each review."""
    from wom_sdk import ReviewAnalyzer
    from wom_sdk._llm import EndpointMemory, Mode, converse

    analyzer = ReviewAnalyzer(model=MODEL, api_key="unused", base_url="http://127.0.0.1:1/v1")
    memory = EndpointMemory(Mode.JSON_SCHEMA)  # what "auto" settles on with this server
    out = []
    for text in texts:
        call = analyzer._prepare("analyze", text).call
        assert call is not None
        out.append(next(converse(call, memory)).params)
    return out


# -- the loops --------------------------------------------------------------------------------
def timed(fn: Any, items: list[Any]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``fn(item)`` over ``items``, sequentially."""
    c0, w0 = time.process_time(), time.perf_counter()
    for item in items:
        fn(item)
    return time.process_time() - c0, time.perf_counter() - w0


def phases(analyzer: Any, texts: list[str], raw_client: Any,
           requests: list[dict[str, Any]]) -> dict[str, float]:
    """CPU ms per review of the SDK's phases, timed separately (no network in 1 and 3)."""
    from wom_sdk._llm import ChatResponse, converse

    c0 = time.process_time()
    preps = [analyzer._prepare("analyze", t) for t in texts]
    prepare = time.process_time() - c0

    c0 = time.process_time()
    raws = [raw_client.chat.completions.with_raw_response.create(**p) for p in requests]
    completions = [(r.parse(), r.headers) for r in raws]
    http = time.process_time() - c0

    from wom_sdk._llm import response_from_completion

    c0 = time.process_time()
    for prep, (completion, headers) in zip(preps, completions, strict=True):
        resp: ChatResponse = response_from_completion(completion, headers)
        gen = converse(prep.call, analyzer._memory)
        next(gen)
        try:
            gen.send(resp)
        except StopIteration as stop:
            analyzer._finish(prep, stop.value)
    finish = time.process_time() - c0
    n = len(texts)
    return {"prepare_ms": 1000 * prepare / n, "http_raw_response_ms": 1000 * http / n,
            "validate_and_results_ms": 1000 * finish / n}


def profile_sdk(analyzer: Any, texts: list[str], top: int) -> tuple[str, list[dict[str, Any]]]:
    # CPU time, not wall time: the machine is shared, and waiting is not the SDK's cost.
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for t in texts:
        analyzer.analyze(t)
    prof.disable()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("cumulative").print_stats(top)
    st.sort_stats("tottime").print_stats(top)
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        if "wom_sdk" in file:
            rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": nc,
                         "tottime_ms_per_review": 1000 * tt / len(texts),
                         "cumtime_ms_per_review": 1000 * ct / len(texts)})
    rows.sort(key=lambda r: r["cumtime_ms_per_review"], reverse=True)
    return buf.getvalue(), rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="measured requests per loop")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3, help="alternating raw/sdk rounds")
    parser.add_argument("--profile", action="store_true", help="also cProfile the SDK loop")
    parser.add_argument("--top", type=int, default=40, help="rows of the profile listing")
    args = parser.parse_args()

    import openai

    from wom_sdk import ReviewAnalyzer

    texts, source = load_reviews(args.n + args.warmup)
    warm, measured = texts[:args.warmup], texts[args.warmup:]
    requests = render_requests(texts)
    warm_req, measured_req = requests[:args.warmup], requests[args.warmup:]
    env = environment()
    env["reviews_source"] = source

    with ServerProcess("--responder", "wom", "--latency", "0", "--model", MODEL) as server:
        raw = openai.OpenAI(base_url=server.base_url, api_key="test")
        sdk = ReviewAnalyzer(model=MODEL, api_key="test", base_url=server.base_url)

        def raw_call(params: dict[str, Any]) -> Any:
            return raw.chat.completions.create(**params)

        timed(raw_call, warm_req)
        timed(sdk.analyze, warm)
        rounds: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}
        for _ in range(args.repeats):
            rounds["raw"].append(timed(raw_call, measured_req))
            rounds["sdk"].append(timed(sdk.analyze, measured))
        split = phases(sdk, measured, raw, measured_req)
        profile_text, hotspots = (profile_sdk(sdk, measured, args.top) if args.profile
                                  else ("", []))
        sdk.close()
        raw.close()

    n = len(measured)
    per = {k: {"cpu_ms": [1000 * c / n for c, _ in v], "wall_ms": [1000 * w / n for _, w in v]}
           for k, v in rounds.items()}
    raw_ms = statistics.median(per["raw"]["cpu_ms"])
    sdk_ms = statistics.median(per["sdk"]["cpu_ms"])
    result = {
        "n": n, "warmup": args.warmup, "repeats": args.repeats, "rounds": per,
        "raw_cpu_ms_per_review": raw_ms, "sdk_cpu_ms_per_review": sdk_ms,
        "ratio": sdk_ms / raw_ms, "sdk_extra_cpu_ms": sdk_ms - raw_ms,
        "raw_wall_ms_per_review": statistics.median(per["raw"]["wall_ms"]),
        "sdk_wall_ms_per_review": statistics.median(per["sdk"]["wall_ms"]),
        "target": {"ratio_max": TARGET_RATIO, "sdk_ms_max": TARGET_MS,
                   "met": sdk_ms / raw_ms <= TARGET_RATIO and sdk_ms <= TARGET_MS},
        "sdk_phases": split,
        "server_stats": server.stats,
        "hotspots": hotspots[:args.top],
        "environment": env,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "overhead.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if profile_text:
        (RESULTS / "overhead_profile.txt").write_text(profile_text, encoding="utf-8")

    print("| client | requests | CPU ms/review (median of rounds) | wall ms/review | "
          "ratio to raw |\n|---|---:|---:|---:|---:|")
    print(f"| raw openai.OpenAI | {n} x {args.repeats} | {raw_ms:.2f} "
          f"| {result['raw_wall_ms_per_review']:.2f} | 1.00 |")
    print(f"| wom ReviewAnalyzer.analyze | {n} x {args.repeats} | {sdk_ms:.2f} "
          f"| {result['sdk_wall_ms_per_review']:.2f} | {result['ratio']:.2f} |")
    print(f"\nSDK phases (CPU ms/review): prepare {split['prepare_ms']:.2f}, HTTP+parse "
          f"{split['http_raw_response_ms']:.2f}, validate+results "
          f"{split['validate_and_results_ms']:.2f}")
    print(f"target (<= {TARGET_RATIO}x raw and <= {TARGET_MS} ms): "
          f"{'met' if result['target']['met'] else 'MISSED'}")
    if hotspots:
        print("\n| SDK function | calls | own ms/review | cumulative ms/review |\n"
              "|---|---:|---:|---:|")
        for h in hotspots[:15]:
            print(f"| {h['function']} | {h['calls']} | {h['tottime_ms_per_review']:.3f} "
                  f"| {h['cumtime_ms_per_review']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
