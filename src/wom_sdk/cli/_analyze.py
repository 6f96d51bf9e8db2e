"""``wom analyze``: a file of reviews to a JSONL of insights (the engine is ``io._runner``)."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._batchapi._settings import Settings
from .._constants import EXIT_BUDGET, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from .._exceptions import OutputBusyError, OutputFileError
from .._pricing import load_prices
from .._tasks import SECTION_NAMES
from ..io._batch_api import BatchApiRun, BatchApiSummary, JobProgress
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
    positive_float,
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
    g.add_argument("--keep-columns", action="append", default=[], metavar="NAMES",
                   type=lambda text: [n.strip() for n in text.split(",") if n.strip()],
                   help="other input columns to carry into the results' `extra`, comma "
                        "separated; 'all' or 'none'. Default: the recognised ones (brand, "
                        "shop, channel: 品牌, 店铺, 渠道, ...) plus the ones named; other "
                        "columns (a customer's name or phone) are left out")
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
            interrupted="interrupted (run the same command again to continue)",
            more=((EXIT_BUDGET,
                   "stopped at the --budget (run the same command again to continue)"),)))
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
    g.add_argument("--include", action="append", choices=SECTION_NAMES, metavar="SECTION",
                   help="add an optional section to every analysis (repeatable): "
                        f"{', '.join(SECTION_NAMES)} (who it was bought for and what for)")
    g.add_argument("--prices", metavar="FILE.json",
                   help='prices per 1M tokens, {"model": {"input": X, "output": Y, '
                        '"cached_input": Z}}, before the genai-prices data (default: WOM_PRICES)')
    g.add_argument("--budget", type=positive_float, metavar="USD",
                   help="spend at most USD US dollars this run: no request that could pass it "
                        "is sent; the reviews not done are left for the next run (needs the "
                        "model's price: genai-prices, or --prices)")
    _add_batch_options(p)
    p.set_defaults(func=run)


def _add_batch_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "Batch API (OpenAI, Azure OpenAI: half the price, results within 24 hours)")
    g.add_argument("--batch-api", action="store_true",
                   help="send the reviews as provider batch jobs; the job's state is kept in "
                        "OUTPUT.batch.json, so the same command continues it after a stop "
                        "(`wom batches OUTPUT` shows it)")
    g.add_argument("--batch-retry", choices=("online", "batch"), default="online",
                   help="lines without a usable answer run again online (default) or in "
                        "follow-up batches")
    g.add_argument("--batch-model", metavar="NAME",
                   help="the model named in the batch (Azure: the Global-Batch deployment); "
                        "default --model")
    g.add_argument("--max-enqueued-tokens", type=positive_int, metavar="N",
                   help="the account's enqueued-token limit for the model: files wait for "
                        "room instead of being refused")
    g.add_argument("--max-requests-per-file", type=positive_int, metavar="N",
                   help="smaller input files than the provider allows (50,000; Azure 100,000)")
    g.add_argument("--poll-interval", type=positive_float, metavar="SECONDS",
                   help="seconds between polls (default 5, growing to 60)")


def _resume_command(argv: Sequence[str]) -> str:
    """The command that continues this run: the same one, minus what would start over."""
    kept = [a for a in argv if a not in ("--overwrite", "--retry-errors")]
    return shlex.join(["wom", *kept])


def _batch_api_run(args: argparse.Namespace, analyzer: Any, source: Any, writer: ResultWriter,
                   summary: RunSummary, prices: Any, resume: str) -> BatchApiRun:
    def reopen() -> Any:
        return open_source(args.input, fmt=args.format, text_column=args.text_column,
                           id_column=args.id_column, product_column=args.product_column,
                           rating_column=args.rating_column, date_column=args.date_column)

    settings = Settings(pack=args.pack, retry=args.batch_retry, batch_model=args.batch_model,
                        max_requests_per_file=args.max_requests_per_file,
                        max_enqueued_tokens=args.max_enqueued_tokens,
                        poll_interval=args.poll_interval, max_concurrency=args.concurrency)
    progress = None if args.quiet else JobProgress(tty=Progress.wanted(False))
    return BatchApiRun(analyzer, source, writer, summary, prices=prices, settings=settings,
                       reopen=None if args.input == "-" else reopen, limit=args.limit,
                       progress=progress, resume_hint=resume)


def run(args: argparse.Namespace) -> int:
    """``wom analyze``: the exit status."""
    if (args.input != "-" and args.output != STDOUT
            and Path(args.input).resolve() == Path(args.output).resolve()):
        return fail("the output file must not be the input file", EXIT_USAGE)
    if args.batch_api and args.budget is not None:
        # A batch's cost is known only when its output comes back, hours later: nothing
        # could be held back before it is spent.
        return fail("--budget cannot be kept with --batch-api (a batch is priced when it "
                    "completes); estimate with --limit N first", EXIT_USAGE)
    prices = load_prices(args.prices)
    source = open_source(args.input, fmt=args.format, text_column=args.text_column,
                         id_column=args.id_column, product_column=args.product_column,
                         rating_column=args.rating_column, date_column=args.date_column,
                         keep_columns=[n for names in args.keep_columns for n in names],
                         **reading_options(args))
    options = analyzer_options(args)
    if args.prices is not None:
        options["prices"] = args.prices  # for the budget, as for the summary
    if args.include:
        options["include"] = tuple(args.include)
    try:
        analyzer = make_analyzer(args, **options)
    except BaseException:
        source.close()
        raise
    mode = (OutputMode.OVERWRITE if args.overwrite
            else OutputMode.RETRY_ERRORS if args.retry_errors else OutputMode.RESUME)
    resume = _resume_command(getattr(args, "argv", []))
    writer = ResultWriter(args.output, mode)
    if args.batch_api:
        summary: RunSummary = BatchApiSummary(input=args.input, output=args.output)
        batch: BatchRun = _batch_api_run(args, analyzer, source, writer, summary, prices, resume)
    else:
        summary = RunSummary(input=args.input, output=args.output)
        batch = BatchRun(analyzer, source, writer, summary, prices=prices, pack=args.pack,
                         concurrency=args.concurrency, limit=args.limit,
                         progress=Progress.wanted(args.quiet), resume_hint=resume,
                         budget=args.budget)
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
    if status == EXIT_BUDGET:
        print(f"Stopped at the budget. Everything finished is in {args.output}; to continue, "
              f"run the same command again:\n  {resume}", file=sys.stderr)
    elif status == EXIT_INTERRUPTED and writer.resumable:
        print(f"Interrupted. Everything finished is in {args.output}; to continue, run the "
              f"same command again:\n  {resume}", file=sys.stderr)
        if args.batch_api:
            print(f"The batches keep running at the provider; `wom batches {args.output}` "
                  f"shows them, `wom batches {args.output} --cancel` cancels them.",
                  file=sys.stderr)
    elif status == EXIT_INTERRUPTED:
        print(f"Interrupted. What finished went to {writer.name}, which cannot be resumed: "
              "give -o FILE to be able to continue a run.", file=sys.stderr)
    elif status == EXIT_FAILED:
        if args.quiet:
            fail(f"stopped: {summary.stopped_reason}")
        print("Nothing was written for the reviews that failed this way: fix the setting "
              "and run the same command again.", file=sys.stderr)
    return status
