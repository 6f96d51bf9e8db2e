"""Analyze three example reviews and print what wom-sdk finds.

    pip install wom-sdk
    export OPENAI_API_KEY=sk-...          # or OPENAI_BASE_URL=http://... for another endpoint
    python examples/analyze_reviews.py

With neither variable set, the script starts the bundled local model instead
(Qwen2.5-Coder 1.5B Instruct on your CPU; needs the `local` extra). It is a
small model: good for private data, offline work and trying the SDK; hosted
models are more accurate and faster.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from pathlib import Path

from wom_sdk import ReviewAnalyzer
from wom_sdk.types import BatchResult

REVIEWS = Path(__file__).with_name("reviews.csv")
HOW_MANY = 3


def load_reviews(n: int) -> list[dict[str, str]]:
    with REVIEWS.open(encoding="utf-8", newline="") as f:
        return [row for _, row in zip(range(n), csv.DictReader(f), strict=False)]


def show(result: BatchResult) -> None:
    print(f"\n[{result.id}] {result.record.product}: {result.record.text}")
    if result.insight is None:
        assert result.error is not None
        print(f"  failed ({result.error.kind}): {result.error.message}")
        return
    insight = result.insight
    print(f"  sentiment: {insight.sentiment.label} ({insight.sentiment.score:+.2f})")
    for c in insight.complaints:
        print(f"  complaint [{c.category}, {c.severity}] {c.aspect}: “{c.quote}”")
    for p in insight.praise:
        print(f"  praise {p.aspect}: “{p.quote}”")
    review = "  (needs human review before posting)" if insight.reply.needs_human_review else ""
    print(f"  reply: {insight.reply.text}{review}")


def main() -> int:
    reviews = load_reviews(HOW_MANY)
    with contextlib.ExitStack() as stack:
        if os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"):
            analyzer = ReviewAnalyzer()  # reads OPENAI_API_KEY, OPENAI_BASE_URL, WOM_MODEL
            print(f"Using {analyzer.model} at {analyzer.base_url or 'api.openai.com'}.")
        else:
            from wom_sdk import local

            available, why = local.is_available()
            if not available:
                print("Set OPENAI_API_KEY (or OPENAI_BASE_URL for another OpenAI-compatible "
                      f"endpoint), or install the bundled local model:\n  {local.INSTALL_HINT}"
                      f"\n({why})", file=sys.stderr)
                return 1
            print("No OPENAI_API_KEY or OPENAI_BASE_URL: starting the bundled local model "
                  "(Qwen2.5-Coder 1.5B Instruct, on your CPU).\nA small model: private and "
                  "offline, ~10-30 s per review on 2 idle cores, less accurate than a hosted one.\n"
                  "Set OPENAI_API_KEY (or OPENAI_BASE_URL) to use a hosted model.")
            server = stack.enter_context(local.LocalServer())
            # Long timeout, few re-asks: a busy CPU can take a minute over one answer.
            analyzer = ReviewAnalyzer(**server.analyzer_options())
        stack.enter_context(analyzer)
        # One at a time keeps the local server's queue short; a real endpoint
        # would take max_concurrency=8 or more.
        analyzer.analyze_many(reviews, max_concurrency=1, on_result=show)
    print(f"\nTokens used: {analyzer.usage.prompt_tokens} in, "
          f"{analyzer.usage.completion_tokens} out.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
