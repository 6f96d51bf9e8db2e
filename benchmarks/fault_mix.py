"""Under a 20% fault mix, what share of reviews ends as an insight, and is the rest typed?

A fake OpenAI-compatible server runs as a subprocess (``python -m fakeserver
--responder wom --faults ...``): one chat request in five gets a fault drawn
from every kind the server knows except the json_schema probe rejection
(``tests/fakeserver/_faults.py``), truncation included::

    429 4%, 500 3%, 503 2%, drop 2%, hang 1%, invalid_json 3%,
    schema_break 2%, truncate 2%, refusal 1%          (20% in all)

``ReviewAnalyzer.analyze_many`` analyzes ``--n`` reviews with its default
retries (``RetryPolicy``'s attempts; shorter waits, which change the time, not
the outcome) and a 1 s request timeout (a "hang" holds the connection 2 s).
Every review must end as an insight or a typed per-item error (an error kind
of the SDK's tree: never "internal"), none lost or doubled. The figure is the
share of insights; ``gap_by_kind`` says which failures make up the rest (a
refusal is final by design; a truncated answer is final until the SDK retries
it, issue 8 item 10).

    python benchmarks/fault_mix.py --n 2000
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

from _common import MODEL, RESULTS, ServerProcess, environment, load_reviews

MIX = {"429": 0.04, "500": 0.03, "503": 0.02, "drop": 0.02, "hang": 0.01,
       "invalid_json": 0.03, "schema_break": 0.02, "truncate": 0.02, "refusal": 0.01}
TARGET = 0.985
#: Error kinds of the SDK's tree that a fault may legitimately end as.
TYPED = {"truncated", "refusal", "validation", "timeout", "connection", "server",
         "rate_limit", "http_status", "api", "content_filter"}


def run(n: int, seed: int, concurrency: int) -> dict[str, Any]:
    from wom_sdk import RetryPolicy, ReviewAnalyzer

    reviews, where = load_reviews(n)
    spec = ",".join(f"{k}={v}" for k, v in MIX.items())
    retry = RetryPolicy(wait_initial=0.05, wait_max=0.5, wait_jitter=0.05)
    with ServerProcess("--responder", "wom", "--faults", spec, "--seed", str(seed),
                       "--hang-seconds", "2", "--retry-after", "0.1") as srv:
        analyzer = ReviewAnalyzer(model=MODEL, base_url=srv.base_url, retry=retry, timeout=1.0)
        started = time.monotonic()
        results = analyzer.analyze_many(reviews, max_concurrency=concurrency)
        seconds = time.monotonic() - started
        usage = analyzer.usage
        analyzer.close()
    ids = [r.id for r in results]
    assert ids == [str(i) for i in range(n)], "a review was lost or doubled"
    assert all((r.insight is None) != (r.error is None) for r in results)
    kinds = Counter(r.error.kind for r in results if r.error is not None)
    ok = sum(r.ok for r in results)
    untyped = {k: v for k, v in kinds.items() if k not in TYPED}
    return {
        "reviews": n,
        "reviews_from": where,
        "fault_mix": MIX,
        "fault_share": round(sum(MIX.values()), 4),
        "seed": seed,
        "insights": ok,
        "insight_share": round(ok / n, 4),
        "target": TARGET,
        "meets_target": ok / n >= TARGET,
        "typed_errors": sum(kinds.values()) - sum(untyped.values()),
        "untyped_errors": untyped,
        "gap_by_kind": {k: round(v / n, 4) for k, v in kinds.most_common()},
        "requests": usage.requests,
        "server_faults": srv.stats.get("faults"),
        "server_requests": srv.stats.get("requests"),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--concurrency", type=int, default=32)
    args = p.parse_args()
    result = {"environment": environment(), **run(args.n, args.seed, args.concurrency)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fault_mix.json").write_text(json.dumps(result, indent=2) + "\n",
                                            encoding="utf-8")
    gap = ", ".join(f"{k} {v:.2%}" for k, v in result["gap_by_kind"].items())
    print(f"{result['insights']}/{result['reviews']} insights "
          f"({result['insight_share']:.2%}; target {TARGET:.1%}), the rest typed errors: "
          f"{gap or 'none'}; {result['seconds']} s")


if __name__ == "__main__":
    main()
