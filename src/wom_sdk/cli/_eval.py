"""``wom eval``: run the analyzer on labeled reviews and print how well it did.

Kept thin: loading, metrics and comparison live in ``evaluate``; this module
parses arguments, builds the analyzer(s) and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from ..io._columns import LABEL, TEXT

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``eval`` subcommand."""
    p = subparsers.add_parser(
        "eval",
        help="measure sentiment (and aspect) accuracy on labeled reviews",
        description=(
            "Analyze labeled reviews (CSV/TSV or JSONL) and print accuracy, macro-F1, "
            "per-class precision/recall/F1, the confusion matrix (with 'mixed' and "
            "'failed' columns of their own) and the tokens spent. With --compare, a "
            "second configuration runs on the same reviews and the difference gets a "
            "paired bootstrap 95% confidence interval."
        ),
    )
    p.add_argument("labeled", help="labeled reviews: .csv, .tsv, .jsonl, .xlsx")
    p.add_argument("--text-column",
                   help=f"review text (default: first of {', '.join(TEXT.candidates)})")
    p.add_argument("--label-column",
                   help=f"gold label (default: first of {', '.join(LABEL.candidates)})")
    p.add_argument("--id-column", help="review id (default: id, review_id, 编号, ...; else row-N)")
    p.add_argument(
        "--label-map",
        metavar="SPEC",
        help="e.g. '1=positive,0=negative' (default: inferred: 0/1, 1-5 stars, "
        "or pos/neg/neu and words; the map used is printed)",
    )
    p.add_argument("--aspect-column", help="gold aspects [{term, polarity}] (JSON in a CSV cell)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N reviews")
    p.add_argument("--sample", type=int, metavar="N", help="a random sample of N reviews")
    p.add_argument(
        "--seed", type=int, default=0, help="seed for --sample and the bootstrap (default 0)"
    )
    p.add_argument(
        "--predictions-out",
        metavar="PATH",
        help="write per-review predictions as JSONL (with --compare, B goes to "
        "PATH with '.b' before the suffix)",
    )
    p.add_argument("--model")
    p.add_argument("--base-url")
    p.add_argument("--prompts-dir")
    p.add_argument("--cache", metavar="PATH", help="response cache (SQLite) shared by A and B")
    c = p.add_argument_group("comparison")
    c.add_argument(
        "--compare", action="store_true", help="also run configuration B and compare it with A"
    )
    b = c.add_mutually_exclusive_group()
    b.add_argument("--prompts-dir-b", metavar="DIR", help="B uses these prompts")
    b.add_argument("--model-b", metavar="NAME", help="B uses this model")
    c.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    p.set_defaults(func=run)


def _make_analyzer(**kwargs: Any) -> Any:
    """A ``ReviewAnalyzer`` (a seam: tests replace it with a stub)."""
    from .._client import ReviewAnalyzer

    return ReviewAnalyzer(**{k: v for k, v in kwargs.items() if v is not None})


def _b_path(path: str) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}.b{p.suffix}")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Handle ``wom eval``; returns the exit code."""
    from .._exceptions import WomError
    from ..evaluate import compare_results, load_labeled, run_eval

    out = out or sys.stdout
    err = sys.stderr
    if args.compare and not (args.prompts_dir_b or args.model_b):
        print("wom eval: --compare needs --prompts-dir-b DIR or --model-b NAME", file=err)
        return 2
    try:
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
        )
    except (OSError, ValueError) as exc:
        print(f"wom eval: {exc}", file=err)
        return 2
    if not data.items:
        print(f"wom eval: no labeled reviews in {args.labeled}", file=err)
        return 2
    gold = Counter(it.gold for it in data.items)
    print(
        f"{len(data.items)} labeled reviews from {args.labeled} "
        f"(of {data.total_rows} rows); gold: "
        + ", ".join(f"{k} {v}" for k, v in sorted(gold.items())),
        file=out,
    )
    print(f"label map: {data.label_map.describe()}", file=out)

    base = {
        "model": args.model,
        "base_url": args.base_url,
        "prompts_dir": args.prompts_dir,
        "cache": args.cache,
    }
    configs = [("A", base)]
    if args.compare:
        other = dict(base)
        if args.prompts_dir_b:
            other["prompts_dir"] = args.prompts_dir_b
        if args.model_b:
            other["model"] = args.model_b
        configs.append(("B", other))

    # ``wom_sdk.cli.main(..., analyzer_factory=...)`` passes a replacement for
    # ``ReviewAnalyzer`` (called with the same keyword arguments).
    factory = getattr(args, "analyzer_factory", None) or _make_analyzer
    results = []
    for name, kwargs in configs:
        try:
            analyzer = factory(**{k: v for k, v in kwargs.items() if v is not None})
            model = getattr(analyzer, "model", None)
            try:
                result = run_eval(analyzer, data.items)
            finally:
                close = getattr(analyzer, "close", None)
                if callable(close):
                    close()
        except WomError as exc:
            print(f"wom eval: {exc}", file=err)
            return 2
        results.append(result)
        if args.compare:
            described = ", ".join(
                f"{k}={v}" for k, v in kwargs.items() if v is not None and k != "cache"
            )
            print(f"\n== {name} ({described or 'defaults'})", file=out)
        else:
            print(file=out)
        print(result.metrics.to_text(), file=out)
        print("\nconfusion matrix (rows: gold, columns: predicted)", file=out)
        print(result.metrics.confusion.to_text(), file=out)
        if result.aspects is not None:
            print("\n" + result.aspects.to_text(), file=out)
        print("\n" + result.usage_text(model if isinstance(model, str) else None), file=out)
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
    return 0
