"""Requests spent per review on each provider profile: the first call, and steady state.

For every profile of the fake server (``tests/fakeserver/_profiles.py``: the
documented request rules, error bodies and answers of OpenAI chat and
reasoning models, Azure's v1 API, DeepSeek, Qwen, Anthropic's and Gemini's
OpenAI layers, Ollama, vLLM, llama.cpp), a fresh analyzer:

* ``first``: requests its first ``analyze`` spends (probing and adapting included);
* ``steady``: requests per review over the next ``--n`` single reviews;
* ``batch``: requests per review of a fresh analyzer's ``analyze_many`` of ``--n``
  reviews at ``--concurrency`` (probing included: the first review probes alone);
* ``pack``: requests for ``pack=10`` of ten reviews, once the mode is known.

Counts, not timings: the result does not depend on the machine's load. Writes
``benchmarks/results/providers.json`` and prints the README's table::

    python benchmarks/providers.py            # --n 20 --concurrency 8
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from _common import RESULTS, environment, load_reviews

from fakeserver import PROFILES, FakeOpenAIServer, wom_responder
from wom_sdk import RetryPolicy, ReviewAnalyzer

#: (profile, model) pairs: the default model for OpenAI's reasoning models, and one
#: under a deployment name that says nothing of the model (its parameters are adapted).
RUNS = [
    ("openai-chat", "gpt-4.1-mini"),
    ("openai-reasoning", "gpt-6-luna"),
    ("openai-reasoning", "reviews-prod"),
    ("azure", "reviews-gpt"),
    ("deepseek", "deepseek-chat"),
    ("qwen", "qwen-plus"),
    ("anthropic", "claude-sonnet-4-5"),
    ("gemini", "gemini-3-flash-preview"),
    ("ollama", "llama3.2"),
    ("vllm", "Qwen/Qwen2.5-7B-Instruct"),
    ("llama.cpp", "gemma-3-270m"),
]
RETRY = RetryPolicy(attempts=3, wait_initial=0, wait_max=0, wait_jitter=0)


def _chat_requests(srv: FakeOpenAIServer) -> int:
    return sum(1 for r in srv.requests if r.path.endswith("/chat/completions"))


def measure(name: str, model: str, reviews: list[str], concurrency: int) -> dict[str, Any]:
    profile = PROFILES[name]()
    with FakeOpenAIServer(responder=wom_responder, profile=profile,
                          max_recorded=100_000) as srv:
        url = srv.url + profile.prefix

        def fresh() -> ReviewAnalyzer:
            return ReviewAnalyzer(model=model, base_url=url, api_key="bench",
                                  retry=RETRY)

        a = fresh()
        first_insight = a.analyze(reviews[0])
        first = _chat_requests(srv)
        for text in reviews[1:]:
            a.analyze(text)
        steady = (_chat_requests(srv) - first) / max(1, len(reviews) - 1)
        before = _chat_requests(srv)
        packed = a.analyze_many(reviews[:10], pack=10)
        pack = _chat_requests(srv) - before
        before = _chat_requests(srv)
        batch = fresh().analyze_many(reviews, max_concurrency=concurrency)
        batch_requests = _chat_requests(srv) - before
    failed = sum(not r.ok for r in [*packed, *batch])
    return {
        "provider": name,
        "model": model,
        "mode": first_insight.extra["structured_output"],
        "first": first,
        "steady": round(steady, 3),
        "batch_per_review": round(batch_requests / len(reviews), 3),
        "pack_of_10": pack,
        "failed": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=20, help="reviews per profile (>= 10)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    reviews, where = load_reviews(max(10, args.n))
    rows = [measure(name, model, reviews, args.concurrency) for name, model in RUNS]
    result = {"benchmark": "providers", "reviews": where, "n": len(reviews),
              "concurrency": args.concurrency, "environment": environment(), "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "providers.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| provider | model | mode reached | first call | steady | batch of "
          f"{len(reviews)} (per review) | pack=10 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['provider']} | `{r['model']}` | {r['mode']} | {r['first']} | "
              f"{r['steady']:g} | {r['batch_per_review']:g} | {r['pack_of_10']} |")


if __name__ == "__main__":
    main()
