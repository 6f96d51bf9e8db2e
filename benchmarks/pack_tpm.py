"""Packed requests (``pack=10``) against a tokens-per-minute limit: does the limiter keep pace?

Providers charge a request ``prompt + max_tokens`` against the TPM limit when it
arrives, and a pack of N reviews asks for N answers' worth of ``max_tokens``
(``_core/_prepare.py``: ``max_output_tokens * N``). The SDK's limiter books that
correctly, but after the response it reconciles its token clock with
``prompt + analyzer.max_output_tokens`` (one answer's worth), so each pack
response hands back ~9,000 tokens the provider did charge. Once the reviews
outnumber what the first bookings cover (more packs than ``max_concurrency``),
the limiter runs ahead of the limit and meets 429s.

For each configuration a fake server runs as a subprocess
(``python -m fakeserver --responder wom --latency 0.3 --rpm 10000
--tpm 600000``), ``AsyncReviewAnalyzer(tokens_per_minute=600000,
requests_per_minute=10000).analyze_many(reviews, pack=P)`` analyzes ``--n``
reviews, and the server's stats (SIGTERM, last line) give the 429s.

* ``pack1``         pack=1, the SDK as it is;
* ``pack10``        pack=10, the SDK as it is;
* ``pack10+fix``    pack=10, with the fix proposed in benchmarks/README.md applied
                    at runtime (reconcile with the request's own ``max_tokens``);
                    skipped once the SDK has it.

The binding limit in reviews/min is ``tpm / (charged tokens per review)``, with
the charge per review = (server's prompt tokens of successful requests + 1024 x
reviews) / reviews: each review reserves one answer's ``max_tokens`` (1024)
whether it goes alone or in a pack. Timings depend on the shared machine's
load: compare rows of one run.

    python benchmarks/pack_tpm.py --n 1500
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import inspect
import json
import time
from typing import Any

from _common import MODEL, RESULTS, ServerProcess, environment, load_reviews

RPM, TPM, LATENCY = 10000, 600000, 0.3


# -- the fix, applied at runtime ----------------------------------------------------------------
def has_fix(analyzer: Any) -> bool:
    """True once ``_on_response`` sees the request it answers (the patch, now in the SDK)."""
    params = inspect.signature(analyzer._on_response).parameters
    return "req" in params or "max_tokens" in params


def apply_fix(analyzer: Any) -> None:
    """Reconcile each response with the ``max_tokens`` of the request it answers.

    Equivalent to the patch in benchmarks/README.md, without editing the SDK:
    ``_send_once`` notes its request in a context variable (one per task), and
    ``_on_response`` (synchronous, so nothing else runs in between) sees the
    request's ``max_tokens`` as the analyzer's for the length of the call.
    """
    current: contextvars.ContextVar[Any] = contextvars.ContextVar("wom_request")
    send_once, on_response = analyzer._send_once, analyzer._on_response

    async def _send_once(req: Any) -> Any:
        current.set(req)
        return await send_once(req)

    def _on_response(completion: Any, headers: Any, resv: Any) -> Any:
        default = analyzer.max_output_tokens
        analyzer.max_output_tokens = current.get().params.get("max_tokens", default)
        try:
            return on_response(completion, headers, resv)
        finally:
            analyzer.max_output_tokens = default

    analyzer._send_once, analyzer._on_response = _send_once, _on_response


async def run(base_url: str, texts: list[str], pack: int, fix: bool) -> dict[str, Any]:
    from wom_sdk import AsyncReviewAnalyzer

    analyzer = AsyncReviewAnalyzer(model=MODEL, api_key="test", base_url=base_url,
                                   requests_per_minute=RPM, tokens_per_minute=TPM)
    if fix:
        apply_fix(analyzer)
    async with analyzer:
        t0 = time.perf_counter()
        results = await analyzer.analyze_many(texts, pack=pack)
        wall = time.perf_counter() - t0
    errors: dict[str, int] = {}
    for r in results:
        if r.error is not None:
            errors[r.error.kind] = errors.get(r.error.kind, 0) + 1
    return {"ok": sum(r.ok for r in results), "failed": sum(not r.ok for r in results),
            "errors": errors, "wall_s": wall, "client_requests": analyzer.usage.requests,
            "max_tokens_per_answer": analyzer.max_output_tokens}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1500, help="reviews per configuration")
    parser.add_argument("--only", default="pack1,pack10,pack10+fix",
                        help="comma-separated configurations")
    args = parser.parse_args()
    from wom_sdk import AsyncReviewAnalyzer

    texts, _ = load_reviews(args.n)
    env = environment()
    fixed_already = has_fix(AsyncReviewAnalyzer(model=MODEL, api_key="x",
                                                base_url="http://127.0.0.1:1/v1"))
    print(f"| configuration | reviews | ok | failed | wall s | reviews/min | binding limit/min "
          f"(tpm {TPM}) | ratio | 429s | 429 % of requests |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    runs: dict[str, Any] = {}
    for name in (x.strip() for x in args.only.split(",") if x.strip()):
        pack = 10 if name.startswith("pack10") else 1
        fix = name.endswith("+fix")
        if fix and fixed_already:
            print(f"| {name} | skipped: the SDK already reconciles with the request's "
                  "max_tokens | | | | | | | | |")
            continue
        flags = ["--responder", "wom", "--latency", str(LATENCY), "--rpm", str(RPM),
                 "--tpm", str(TPM), "--model", MODEL]
        with ServerProcess(*flags) as server:
            res = asyncio.run(run(server.base_url, texts, pack, fix))
        st = server.stats
        ok = max(1, res["ok"])
        charged = (st["prompt_tokens"] + res["max_tokens_per_answer"] * ok) / ok
        binding = TPM / charged
        per_min = res["ok"] / res["wall_s"] * 60
        r = {**res, "pack": pack, "fix_applied": fix, "n": args.n,
             "charged_tokens_per_review": charged, "binding_limit_per_min": binding,
             "reviews_per_min": per_min, "ratio_to_limit": per_min / binding,
             "requests": st["requests"], "rate_limited": st["rate_limited"],
             "rate_limited_pct": 100.0 * st["rate_limited"] / max(1, st["requests"]),
             "server_stats": st}
        runs[name] = r
        print(f"| {name} | {args.n} | {r['ok']} | {r['failed']} | {r['wall_s']:.1f} "
              f"| {per_min:.1f} | {binding:.1f} | {r['ratio_to_limit']:.3f} "
              f"| {r['rate_limited']} | {r['rate_limited_pct']:.1f} |", flush=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "pack_tpm.json").write_text(
            json.dumps({"runs": runs, "environment": env}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
