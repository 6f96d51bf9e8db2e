"""Tokens per review with and without packing (``pack=1`` vs ``pack=10``).

A fake OpenAI-compatible server runs as a subprocess
(``python -m fakeserver --responder wom --latency 0``, no limits);
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
import json
from collections import Counter
from typing import Any

from _common import (
    DATASETS_WHERE,
    EXAMPLES,
    MODEL,
    RESULTS,
    ROOT,
    ServerProcess,
    dataset_texts,
    environment,
    example_rows,
)


def load_reviews(n: int, source: str = "examples") -> tuple[list[dict[str, Any]], str]:
    """``n`` reviews as mappings (id, text, product, rating), cycled if fewer exist.

    ``examples``: examples/reviews.csv (with its product and rating columns, which
    the prompt includes); ``datasets``: half Chinese, half English texts from the
    shared datasets (text only).
    """
    if source == "examples":
        rows = example_rows(("id", "text", "product", "rating"))
        where = str(EXAMPLES.relative_to(ROOT))
    else:
        rows = [{"text": t} for t in dataset_texts(n)]
        where = DATASETS_WHERE
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
    return len(example_rows(("text",)))


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
