"""``wom analyze``: a file of reviews to a JSONL of insights (the engine is ``io._runner``)."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._constants import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from .._exceptions import OutputBusyError, OutputFileError
from .._pricing import load_prices
from ..io._columns import TEXT
from ..io._output import STDOUT, OutputMode, ResultWriter
from ..io._progress import Progress, RunSummary
from ..io._readers import FORMATS, open_source
from ..io._runner import BatchRun
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


def _add_column_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input columns (CSV, JSONL, Excel; detected by common names)")
    g.add_argument("--format", choices=FORMATS,
                   help="input format (default: from the file name, else sniffed)")
    g.add_argument("--text-column", metavar="NAME",
                   help=f"review text (default: first of {', '.join(TEXT.candidates)})")
    g.add_argument("--id-column", metavar="NAME",
                   help="review id (default: id, review_id, 编号, ...; else row-N from "
                        "the row number)")
    g.add_argument("--product-column", metavar="NAME")
    g.add_argument("--rating-column", metavar="NAME")
    g.add_argument("--date-column", metavar="NAME")
    add_reading_options(g)


def register(subparsers: Any) -> None:
    """Add ``analyze`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "analyze", help="analyze a file of reviews into a JSONL of insights",
        description="Analyze every review of INPUT with an LLM and append one JSON line per "
                    "review to OUTPUT. Re-running the same command continues where it "
                    "stopped: reviews whose id is already in OUTPUT are skipped.",
        epilog=exit_status_help(
            ok="every review ended as an insight or a per-review error",
            failed="nothing could be analyzed (no endpoint configured, the endpoint down, "
                   "the output busy or not writable)",
            interrupted="interrupted (run the same command again to continue)"))
    p.add_argument("input", metavar="INPUT",
                   help="CSV, TSV, JSONL, text (one review a line), .xlsx, or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT.jsonl",
                   help="the results, one JSON line per review; appended to (and resumed) "
                        "when it is a results file of wom, refused when it is anything else; "
                        "- for standard output (no resume)")
    _add_column_options(p)
    add_endpoint_options(p)
    g = p.add_argument_group("run")
    g.add_argument("--concurrency", type=positive_int, metavar="N",
                   help="most reviews in flight at once (default 64; the rate limit sets "
                        "the real pace)")
    g.add_argument("--pack", type=positive_int, default=1, metavar="N",
                   help="send up to N short reviews per request (fewer prompt tokens)")
    g.add_argument("--limit", type=positive_int, metavar="N",
                   help="only the first N reviews of the input")
    mode = g.add_mutually_exclusive_group()
    mode.add_argument("--overwrite", action="store_true",
                      help="start over instead of continuing OUTPUT")
    mode.add_argument("--retry-errors", action="store_true",
                      help="analyze again the reviews that failed in OUTPUT")
    g.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no summary (errors are still printed)")
    g.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")
    g.add_argument("--prices", metavar="FILE.json",
                   help='prices per 1M tokens, {"model": {"input": X, "output": Y}} '
                        "(default: WOM_PRICES, else a built-in approximate table)")
    p.set_defaults(func=run)


def _resume_command(argv: Sequence[str]) -> str:
    """The command that continues this run: the same one, minus what would start over."""
    kept = [a for a in argv if a not in ("--overwrite", "--retry-errors")]
    return shlex.join(["wom", *kept])


def run(args: argparse.Namespace) -> int:
    """``wom analyze``: the exit status."""
    if (args.input != "-" and args.output != STDOUT
            and Path(args.input).resolve() == Path(args.output).resolve()):
        return fail("the output file must not be the input file", EXIT_USAGE)
    prices = load_prices(args.prices)
    source = open_source(args.input, fmt=args.format, text_column=args.text_column,
                         id_column=args.id_column, product_column=args.product_column,
                         rating_column=args.rating_column, date_column=args.date_column,
                         **reading_options(args))
    try:
        analyzer = make_analyzer(args, **analyzer_options(args))
    except BaseException:
        source.close()
        raise
    mode = (OutputMode.OVERWRITE if args.overwrite
            else OutputMode.RETRY_ERRORS if args.retry_errors else OutputMode.RESUME)
    summary = RunSummary(input=args.input, output=args.output)
    resume = _resume_command(getattr(args, "argv", []))
    writer = ResultWriter(args.output, mode)
    batch = BatchRun(analyzer, source, writer, summary, prices=prices,
                     pack=args.pack, concurrency=args.concurrency, limit=args.limit,
                     progress=Progress.wanted(args.quiet), resume_hint=resume)
    try:
        status = batch.run()
    except (OutputBusyError, OutputFileError):
        raise  # OSErrors too, but raised before anything was sent: `main` says so
    except OSError as e:
        # A file that cannot be read or written mid-run (a full disk, a pipe closed).
        # Every line written before is complete: the same command continues later.
        where = f": {e.filename}" if e.filename else ""
        then = (f"the finished results are kept in {args.output}, run the same command "
                "again to continue" if writer.resumable else "the run stopped")
        return fail(f"{e.strerror or e}{where}; {then}", EXIT_FAILED)
    finally:
        analyzer.close()
    if not args.quiet:
        print(summary.render(), file=sys.stderr)
    if args.summary_json:
        summary.write_json(args.summary_json)
    if status == EXIT_INTERRUPTED and writer.resumable:
        print(f"Interrupted. Everything finished is in {args.output}; to continue, run the "
              f"same command again:\n  {resume}", file=sys.stderr)
    elif status == EXIT_INTERRUPTED:
        print(f"Interrupted. What finished went to {writer.name}, which cannot be resumed: "
              "give -o FILE to be able to continue a run.", file=sys.stderr)
    elif status == EXIT_FAILED:
        if args.quiet:
            fail(f"stopped: {summary.stopped_reason}")
        print("Nothing was written for the reviews that failed this way: fix the setting "
              "and run the same command again.", file=sys.stderr)
    return status
