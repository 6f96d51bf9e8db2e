"""``wom eval``: run the analyzer on labeled reviews and print how well it did.

Kept thin: loading, metrics and comparison live in ``evaluate``; this module
parses arguments, builds the analyzer(s) and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from .._constants import EXIT_OK, EXIT_USAGE
from ..evaluate import EVAL_TASKS
from ..io._columns import LABEL, TEXT
from ._common import (
    add_endpoint_options,
    add_reading_options,
    analyzer_options,
    exit_status_help,
    fail,
    make_analyzer,
    positive_int,
    reading_options,
)

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``eval`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "eval",
        help="measure sentiment (and aspect) accuracy on labeled reviews",
        description=(
            "Analyze labeled reviews (CSV/TSV, JSONL or .xlsx, read like `wom analyze` reads "
            "them) and print accuracy, macro-F1, per-class precision/recall/F1, the "
            "confusion matrix (with 'mixed' and 'failed' columns of their own) and the "
            "tokens spent. With --compare, a second configuration runs on the same reviews "
            "and the difference gets a paired bootstrap 95% confidence interval."
        ),
        epilog=exit_status_help(ok="the scores were printed",
                                failed="the analyzer could not be set up"),
    )
    p.add_argument("labeled", metavar="LABELED", help="labeled reviews: .csv, .tsv, .jsonl, .xlsx")
    g = p.add_argument_group("columns (detected by common names, as `wom analyze` does)")
    g.add_argument("--text-column", metavar="NAME",
                   help=f"review text (default: first of {', '.join(TEXT.candidates)})")
    g.add_argument("--label-column", metavar="NAME",
                   help=f"gold label (default: first of {', '.join(LABEL.candidates)})")
    g.add_argument("--id-column", metavar="NAME",
                   help="review id (default: id, review_id, 编号, ...; else row-N)")
    g.add_argument("--aspect-column", metavar="NAME",
                   help="gold aspects [{term, polarity}] (JSON in a CSV cell)")
    g.add_argument(
        "--label-map",
        metavar="SPEC",
        help="e.g. '1=positive,0=negative' (default: inferred: 0/1, 1-5 stars, "
        "or pos/neg/neu and words; the map used is printed)",
    )
    add_reading_options(g)
    p.add_argument(
        "--task",
        choices=EVAL_TASKS,
        default="analyze",
        help="what labels the reviews: 'analyze' (the full insight; aspects are scored "
        "from it) or 'sentiment' (the sentiment() task alone: a short answer, several "
        "times cheaper; no aspects) (default %(default)s)",
    )
    s = p.add_argument_group("which reviews")
    s.add_argument("--limit", type=positive_int, metavar="N", help="only the first N reviews")
    s.add_argument("--sample", type=positive_int, metavar="N",
                   help="a random sample of N reviews")
    s.add_argument(
        "--seed", type=int, default=0, help="seed for --sample and the bootstrap (default 0)"
    )
    p.add_argument(
        "--predictions-out",
        metavar="PATH",
        help="write per-review predictions as JSONL (with --compare, B goes to "
        "PATH with '.b' before the suffix)",
    )
    add_endpoint_options(p)
    c = p.add_argument_group("comparison")
    c.add_argument(
        "--compare", action="store_true", help="also run configuration B and compare it with A"
    )
    b = c.add_mutually_exclusive_group()
    b.add_argument("--prompts-dir-b", metavar="DIR", help="B uses these prompts")
    b.add_argument("--model-b", metavar="NAME", help="B uses this model")
    c.add_argument("--resamples", type=positive_int, default=1000, metavar="N",
                   help="bootstrap resamples (default %(default)s)")
    p.set_defaults(func=run)


def _b_path(path: str) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}.b{p.suffix}")


def run(args: argparse.Namespace) -> int:
    """``wom eval``: the exit status."""
    from ..evaluate import compare_results, load_labeled, run_eval

    out = sys.stdout
    if args.compare and not (args.prompts_dir_b or args.model_b):
        return fail("--compare needs --prompts-dir-b DIR or --model-b NAME", EXIT_USAGE)
    data = load_labeled(
        args.labeled,
        text_column=args.text_column,
        label_column=args.label_column,
        id_column=args.id_column,
        aspect_column=args.aspect_column,
        label_map=args.label_map,
        limit=args.limit,
        sample=args.sample,
        seed=args.seed,
        **reading_options(args),
    )
    if not data.items:
        return fail(f"no labeled reviews in {args.labeled}", EXIT_USAGE)
    gold = Counter(it.gold for it in data.items)
    print(
        f"{len(data.items)} labeled reviews from {args.labeled} "
        f"(of {data.total_rows} rows); gold: "
        + ", ".join(f"{k} {v}" for k, v in sorted(gold.items())),
        file=out,
    )
    print(f"label map: {data.label_map.describe()}", file=out)
    print(f"task: {args.task}", file=out)
    if args.task != "analyze" and any(it.aspects is not None for it in data.items):
        print("aspects: not scored (they need --task analyze)", file=out)
    for note in data.notes:
        print(f"input: {note}", file=out)
    if data.repeated_ids:
        shown = ", ".join(data.repeated_ids[:5]) + (", ..." if len(data.repeated_ids) > 5 else "")
        print(f"{len(data.repeated_ids)} id(s) on more than one row ({shown}): each counted "
              "once, its last row wins", file=out)

    base = analyzer_options(args)
    configs = [("A", base)]
    if args.compare:
        other = dict(base)
        if args.prompts_dir_b:
            other["prompts_dir"] = args.prompts_dir_b
        if args.model_b:
            other["model"] = args.model_b
        configs.append(("B", other))

    results = []
    for name, options in configs:
        analyzer = make_analyzer(args, **options)
        model = getattr(analyzer, "model", None)
        base_url = getattr(analyzer, "base_url", None)
        try:
            result = run_eval(analyzer, data.items, task=args.task)
        finally:
            analyzer.close()
        results.append(result)
        if args.compare:
            described = ", ".join(
                f"{k}={v}" for k, v in options.items() if k not in ("cache", "api_key")
            )
            print(f"\n== {name} ({described or 'defaults'})", file=out)
        else:
            print(file=out)
        print(result.metrics.to_text(), file=out)
        print("\nconfusion matrix (rows: gold, columns: predicted)", file=out)
        print(result.metrics.confusion.to_text(), file=out)
        if result.aspects is not None:
            print("\n" + result.aspects.to_text(), file=out)
        print("\n" + result.usage_text(model if isinstance(model, str) else None,
                                        base_url if isinstance(base_url, str) else None),
              file=out)
        if args.predictions_out:
            path = Path(args.predictions_out) if name == "A" else _b_path(args.predictions_out)
            result.write_predictions(path)
            print(f"predictions -> {path}", file=out)

    if args.compare:
        comparison = compare_results(
            results[0], results[1], resamples=args.resamples, seed=args.seed
        )
        print("\n== B vs A", file=out)
        print(comparison.to_text("A", "B"), file=out)
    return EXIT_OK
