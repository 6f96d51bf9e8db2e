"""``wom report``: a batch JSONL file in, one self-contained HTML (or Markdown) report out."""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from typing import Any

from .._constants import EXIT_OK
from ..io._results import check_results_file
from ..report._compare import DEFAULT_FDR, DEFAULT_GROUPS
from ..report._drivers import DEFAULT_MIN_REVIEWS, DEFAULT_RESAMPLES
from ._common import (
    add_connection_options,
    add_results_argument,
    add_trend_options,
    api_key_from_env,
    exit_status_help,
    make_analyzer,
    positive_int,
    share,
    trend_rule,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``report`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "report",
        help="make a word-of-mouth report from batch results (JSONL)",
        description=(
            "Aggregate a batch results file (one JSON line per review, as `wom analyze` "
            "writes) into one self-contained HTML page (charts embedded, no network) or "
            "Markdown. The input is streamed: memory does not grow with its size."
        ),
        epilog=exit_status_help(ok="the report was written",
                                failed="the report could not be made or written"),
    )
    add_results_argument(p)
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
    p.add_argument("--top-products", type=positive_int, default=20, metavar="N",
                   help="products in the per-product table (default %(default)s)")
    add_trend_options(p)
    c = p.add_argument_group("drivers and competitors (see the method notes in the report)")
    c.add_argument("--compare-by", metavar="COLUMN",
                   help="compare groups side by side: product, or a column kept in the "
                        "results (brand, shop, channel: 品牌, 店铺, 渠道, ...; or any "
                        "column `wom analyze --keep-columns` kept)")
    c.add_argument("--us", metavar="VALUE",
                   help="the group that is us (default: the one with the most reviews)")
    c.add_argument("--compare-groups", type=positive_int, default=DEFAULT_GROUPS, metavar="N",
                   help="groups shown, us included (default %(default)s)")
    c.add_argument("--fdr", type=share, default=DEFAULT_FDR, metavar="Q",
                   help="false discovery rate of the comparison's tests, Benjamini-Hochberg "
                        "(default %(default)s)")
    c.add_argument("--resamples", type=positive_int, default=DEFAULT_RESAMPLES, metavar="N",
                   help="bootstrap resamples of each driver's 95%% interval "
                        "(default %(default)s)")
    c.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the bootstrap's seed: the same seed gives the same intervals "
                        "(default %(default)s)")
    c.add_argument("--min-theme-reviews", type=positive_int, default=DEFAULT_MIN_REVIEWS,
                   metavar="N",
                   help="reviews a theme needs, with and without it, to be measured as a "
                        "driver (default %(default)s)")
    e = p.add_argument_group("aspect clustering (optional; calls the endpoint's /embeddings)")
    e.add_argument("--embed-model", metavar="NAME",
                   help="embedding model name; without it nothing is sent")
    add_connection_options(e)
    e.add_argument("--cluster-threshold", type=share, default=0.8, metavar="COS",
                   help="cosine similarity that joins two aspects (default %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``wom report``: the exit status."""
    from ..report import build_report

    fmt = args.format
    output = args.output
    if output is None:
        output = "report.md" if fmt == "md" else "report.html"
    if fmt is None:
        fmt = "md" if output.lower().endswith((".md", ".markdown")) else "html"
    check_results_file(args.results)
    rule = trend_rule(args)
    analyzer, embed = None, None
    if args.embed_model:
        # The embedder is an analyzer like every other command's: same settings,
        # timeout, retries, rate limiter and errors (and the same test seam).
        options = {"base_url": args.base_url, "api_key": api_key_from_env(args.api_key_env)}
        analyzer = make_analyzer(args, **{k: v for k, v in options.items() if v is not None})
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
            compare_by=args.compare_by,
            us=args.us,
            compare_groups=args.compare_groups,
            fdr=args.fdr,
            resamples=args.resamples,
            seed=args.seed,
            min_theme_reviews=args.min_theme_reviews,
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
    c = report.comparison
    if c is not None and c.groups:
        print(f"wom report: by {c.by}: us = {c.us}, {len(c.groups)} group(s) shown, "
              f"{len(c.they_beat_us)} theme(s) where they beat us, {len(c.we_beat_them)} "
              "where we beat them", file=sys.stderr)
    for note in report.data.notes:
        print(f"wom report: note: {note}", file=sys.stderr)
    return EXIT_OK
