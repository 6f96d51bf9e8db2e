"""``wom report``: a batch JSONL file in, one self-contained HTML (or Markdown) report out."""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial

from .._exceptions import ConfigurationError
from ..report._trend import TrendRule
from ._analyze import analyzer_factory

__all__ = ["register"]

_DEFAULTS = TrendRule()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="make a word-of-mouth report from batch results (JSONL)",
        description=(
            "Aggregate a batch results file (one JSON line per review, as `wom analyze` "
            "writes) into one self-contained HTML page (charts embedded, no network) or "
            "Markdown. The input is streamed: memory does not grow with its size."
        ),
    )
    p.add_argument("results", help="batch results JSONL file")
    p.add_argument(
        "-o",
        "--output",
        help="output file; '-' for stdout (default: report.html, or report.md with --format md)",
    )
    p.add_argument(
        "--format",
        choices=("html", "md"),
        default=None,
        help="default: from the output file's suffix, else html",
    )
    p.add_argument("--title", default="Word-of-mouth report")
    p.add_argument(
        "--font",
        help="a font file for Chinese text in the charts "
        "(default: $WOM_REPORT_FONT, system CJK fonts, the report extra's font)",
    )
    p.add_argument("--top-products", type=int, default=20, metavar="N")
    g = p.add_argument_group("trend alerts (see the rule printed in the report)")
    g.add_argument(
        "--alert-min-reviews",
        type=int,
        default=_DEFAULTS.min_reviews,
        metavar="N",
        help="weeks with fewer analyzed reviews are not checked (default %(default)s)",
    )
    g.add_argument(
        "--alert-baseline-weeks",
        type=int,
        default=_DEFAULTS.baseline_weeks,
        metavar="N",
        help="weeks in the baseline (default %(default)s)",
    )
    g.add_argument(
        "--alert-min-jump",
        type=float,
        default=_DEFAULTS.min_jump,
        metavar="SHARE",
        help="minimum rise over the baseline, e.g. 0.10 = 10 points (default %(default)s)",
    )
    g.add_argument(
        "--alert-min-count",
        type=int,
        default=_DEFAULTS.min_count,
        metavar="N",
        help="minimum reviews behind an alert (default %(default)s)",
    )
    e = p.add_argument_group("aspect clustering (optional; calls the endpoint's /embeddings)")
    e.add_argument("--embed-model", help="embedding model name; without it nothing is sent")
    e.add_argument("--base-url", help="endpoint (default: $OPENAI_BASE_URL)")
    e.add_argument("--cluster-threshold", type=float, default=0.8, metavar="COS")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handle ``wom report``; returns the exit code."""
    from ..report import build_report

    fmt = args.format
    output = args.output
    if output is None:
        output = "report.md" if fmt == "md" else "report.html"
    if fmt is None:
        fmt = "md" if output.lower().endswith((".md", ".markdown")) else "html"
    if not os.path.isfile(args.results):
        print(f"wom report: no such file: {args.results}", file=sys.stderr)
        return 2
    rule = TrendRule(
        min_reviews=args.alert_min_reviews,
        baseline_weeks=args.alert_baseline_weeks,
        min_baseline_weeks=_DEFAULTS.min_baseline_weeks,
        min_jump=args.alert_min_jump,
        std_multiplier=_DEFAULTS.std_multiplier,
        min_count=args.alert_min_count,
    )
    analyzer, embed = None, None
    if args.embed_model:
        # The embedder is an analyzer like every other command's: same settings,
        # timeout, retries, rate limiter and errors (and the same test seam).
        try:
            analyzer = analyzer_factory(args)(base_url=args.base_url)
        except ConfigurationError as e:
            print(f"wom report: {e.message}", file=sys.stderr)
            return 1
        embed = partial(analyzer.embed, model=args.embed_model)
    started = time.perf_counter()
    try:
        report = build_report(
            args.results,
            embed=embed,
            trend_rule=rule,
            title=args.title,
            font=args.font,
            top_products=args.top_products,
            cluster_threshold=args.cluster_threshold,
        )
    finally:
        if analyzer is not None:
            analyzer.close()
    text = report.to_html() if fmt == "html" else report.to_markdown()
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    t = report.totals
    print(
        f"wom report: {t.reviews:,} reviews ({t.analyzed:,} analyzed, {t.failed:,} failed), "
        f"{len(report.alerts)} alert(s) -> {output} in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    for note in report.data.notes:
        print(f"wom report: note: {note}", file=sys.stderr)
    return 0
