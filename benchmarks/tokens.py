"""Tokens per review with and without packing (``pack=1`` vs ``pack=10``).

A fake OpenAI-compatible server runs as a subprocess
(``python -m wom_sdk.testing --responder wom --latency 0``, no limits);
``AsyncReviewAnalyzer.analyze_many(reviews, pack=P)`` analyzes the same
``--n`` reviews once per ``--packs`` value with a fresh analyzer, and
``analyzer.usage`` gives the prompt and completion tokens spent. An httpx2
request hook records every request body actually sent, so the ``max_tokens``
each request reserves is counted too: providers charge ``prompt + max_tokens``
against a tokens-per-minute limit when the request arrives, so that sum is
what a TPM-bound run pays per review.

Token counts are the fake server's estimates (1 token per CJK character,
1 per 4 other characters, +4 per message), the same rule the SDK budgets with.
Prompt tokens are meaningful; completion tokens are those of the fake
responder's compact answers, not of a real model.

    python benchmarks/tokens.py --n 200 --packs 1,10
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
EXAMPLES = ROOT / "examples" / "reviews.csv"
DATA = Path("/work/shared/data/norm")
MODEL = "fake-model"


# -- shared helpers (copied in each benchmark so that each file runs alone) -----------------
def load_reviews(n: int, source: str = "examples") -> tuple[list[dict[str, Any]], str]:
    """``n`` reviews as mappings (id, text, product, rating), cycled if fewer exist.

    ``examples``: examples/reviews.csv (with its product and rating columns, which
    the prompt includes); ``datasets``: half Chinese, half English texts from the
    shared datasets (text only).
    """
    if source == "examples":
        if not EXAMPLES.is_file():
            raise SystemExit(f"{EXAMPLES} not found: use --source datasets")
        with EXAMPLES.open(encoding="utf-8", newline="") as fh:
            rows = [{k: row.get(k) for k in ("id", "text", "product", "rating")}
                    for row in csv.DictReader(fh) if (row.get("text") or "").strip()]
        where = str(EXAMPLES.relative_to(ROOT))
    else:
        zh = _jsonl_texts(DATA / "online_shopping_10_cats.jsonl", (n + 1) // 2)
        en = _jsonl_texts(DATA / "uci_amazon_cells.jsonl", n // 2)
        texts = [t for pair in zip(zh, en, strict=False) for t in pair] + zh[len(en):]
        rows = [{"text": t} for t in texts]
        where = "online_shopping_10_cats.jsonl + uci_amazon_cells.jsonl (interleaved)"
    if not rows:
        raise SystemExit("no reviews found")
    out = []
    for i in range(n):
        row = dict(rows[i % len(rows)])
        # Distinct ids even when cycling: packing maps answers back by id.
        row["id"] = f"{row.get('id') or 'r'}-{i}"
        out.append(row)
    return out, where


def _count_examples() -> int:
    with EXAMPLES.open(encoding="utf-8", newline="") as fh:
        return sum(1 for row in csv.DictReader(fh) if (row.get("text") or "").strip())


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


def _sources_digest() -> str:
    import hashlib

    import wom_sdk

    h = hashlib.sha256()
    for f in sorted(Path(wom_sdk.__file__).parent.rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


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
        # The SDK is being edited while benchmarks run: identify the exact sources measured.
        "sdk_sources_sha256": _sources_digest(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


async def run_pack(base_url: str, reviews: list[dict[str, Any]], pack: int) -> dict[str, Any]:
    import httpx2

    from wom_sdk import AsyncReviewAnalyzer

    sent: list[dict[str, Any]] = []

    async def record(request: httpx2.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            body = json.loads(request.content)
            sent.append({"max_tokens": body.get("max_tokens") or 0,
                         "reviews": body["messages"][-1]["content"].count(' id="') or 1})

    http = httpx2.AsyncClient(event_hooks={"request": [record]}, timeout=60)
    analyzer = AsyncReviewAnalyzer(model=MODEL, api_key="test", base_url=base_url,
                                   http_client=http)
    async with analyzer:
        results = await analyzer.analyze_many(reviews, pack=pack)
    await http.aclose()
    u = analyzer.usage
    n = len(reviews)
    reserved = sum(s["max_tokens"] for s in sent)
    packed_with = Counter(int(r.insight.extra.get("packed_with", 1)) for r in results
                          if r.insight is not None)
    return {
        "pack": pack, "n": n, "ok": sum(r.ok for r in results),
        "failed": sum(not r.ok for r in results),
        "requests": u.requests, "http_requests": len(sent),
        "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
        "max_tokens_reserved": reserved,
        "requests_per_review": u.requests / n,
        "prompt_per_review": u.prompt_tokens / n,
        "completion_per_review": u.completion_tokens / n,
        "total_per_review": (u.prompt_tokens + u.completion_tokens) / n,
        "tpm_charge_per_review": (u.prompt_tokens + reserved) / n,
        "reviews_by_pack_size": dict(sorted(packed_with.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None,
                        help="reviews (default: every example review, or 200 from the datasets)")
    parser.add_argument("--source", choices=("examples", "datasets"), default="examples",
                        help="examples/reviews.csv (default) or the shared datasets")
    parser.add_argument("--packs", default="1,10", help="comma-separated pack sizes")
    args = parser.parse_args()
    packs = [int(p) for p in args.packs.split(",")]
    if args.n is None:
        args.n = _count_examples() if args.source == "examples" else 200
    reviews, source = load_reviews(args.n, args.source)
    env = environment()
    env["reviews_source"] = source
    runs = []
    with ServerProcess("--responder", "wom", "--latency", "0", "--model", MODEL) as server:
        for pack in packs:
            runs.append(asyncio.run(run_pack(server.base_url, reviews, pack)))
    base = runs[0]

    def saving(r: dict[str, Any], key: str) -> float:
        return 100.0 * (1 - r[key] / base[key]) if base[key] else 0.0

    for r in runs:
        r["saving_vs_first_pct"] = {k: saving(r, k) for k in (
            "prompt_per_review", "completion_per_review", "total_per_review",
            "tpm_charge_per_review", "requests_per_review")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "tokens.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.setdefault("by_source", {})[args.source] = {
        "runs": runs, "server_stats": server.stats, "environment": env}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    print(f"reviews: {args.n} from {source}\n")
    print("| pack | reviews | ok | requests | prompt tok/review | completion tok/review "
          "| total tok/review | TPM charge/review (prompt + max_tokens) | prompt saving "
          "| total saving | TPM-charge saving |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        s = r["saving_vs_first_pct"]
        print(f"| {r['pack']} | {r['n']} | {r['ok']} | {r['requests']} "
              f"| {r['prompt_per_review']:.1f} | {r['completion_per_review']:.1f} "
              f"| {r['total_per_review']:.1f} | {r['tpm_charge_per_review']:.1f} "
              f"| {s['prompt_per_review']:.1f} % | {s['total_per_review']:.1f} % "
              f"| {s['tpm_charge_per_review']:.1f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
