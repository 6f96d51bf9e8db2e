"""``wom analyze``: a file of reviews to a JSONL of insights (the engine is ``io._runner``)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError
from .._pricing import PricesError, load_prices
from ..io._progress import Progress, RunSummary
from ..io._readers import FORMATS, InputError, open_source
from ..io._results import OutputBusyError, OutputMode, ResultWriter
from ..io._runner import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, BatchRun

if TYPE_CHECKING:
    from .._client import ReviewAnalyzer

__all__ = [
    "AnalyzerFactory",
    "analyzer_factory",
    "fail",
    "positive_int",
    "register",
    "run_analyze",
]

#: Builds the analyzer from ``ReviewAnalyzer``'s keyword arguments (tests inject a mock).
AnalyzerFactory = Callable[..., "ReviewAnalyzer"]


# -- the `analyze` command ----------------------------------------------------------------------
def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _add_endpoint_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("endpoint (default: WOM_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL)")
    g.add_argument("--model", help="model name as the endpoint knows it (default gpt-4o-mini)")
    g.add_argument("--base-url", metavar="URL",
                   help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    g.add_argument("--api-key-env", metavar="NAME",
                   help="read the API key from this environment variable instead of "
                        "OPENAI_API_KEY (a key is never given on the command line)")
    g.add_argument("--rpm", type=positive_float, metavar="N",
                   help="the provider's requests-per-minute limit (default: learned "
                        "from its headers)")
    g.add_argument("--tpm", type=positive_float, metavar="N",
                   help="the provider's tokens-per-minute limit")
    g.add_argument("--limiter", metavar="URL",
                   help="share the rate limit with every process using this Redis, e.g. "
                        "redis://host:6379/0 (needs the redis extra)")
    g.add_argument("--limiter-key", metavar="NAME",
                   help="with --limiter: the account whose limit is shared, when several "
                        "use the same endpoint and model")
    g.add_argument("--concurrency", type=positive_int, metavar="N",
                   help="most reviews in flight at once (default 64; the rate limit sets "
                        "the real pace)")
    g.add_argument("--pack", type=positive_int, default=1, metavar="N",
                   help="send up to N short reviews per request (fewer prompt tokens)")
    g.add_argument("--cache", metavar="PATH",
                   help="SQLite file answering identical requests again for free")
    g.add_argument("--prompts-dir", metavar="DIR",
                   help="folder of Jinja templates overriding the built-in prompts by name")


def _add_column_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("input columns (CSV, JSONL, Excel; detected by common names)")
    g.add_argument("--format", choices=FORMATS,
                   help="input format (default: from the file name, else sniffed)")
    g.add_argument("--text-column", metavar="NAME",
                   help="review text (default: first of text, review, content, comment, "
                        "评论, 内容, 评价)")
    g.add_argument("--id-column", metavar="NAME",
                   help="review id (default: id; else row-N from the row number)")
    g.add_argument("--product-column", metavar="NAME")
    g.add_argument("--rating-column", metavar="NAME")
    g.add_argument("--date-column", metavar="NAME")


def register(subparsers: Any) -> None:
    """Add ``analyze`` to the ``wom`` parser's subcommands."""
    p = subparsers.add_parser(
        "analyze", help="analyze a file of reviews into a JSONL of insights",
        description="Analyze every review of INPUT with an LLM and append one JSON line per "
                    "review to OUTPUT. Re-running the same command continues where it "
                    "stopped: reviews whose id is already in OUTPUT are skipped.",
        epilog="exit status: 0 every review ended as an insight or a per-review error; "
               "1 nothing could be analyzed (configuration, endpoint down); 2 usage error; "
               "130 interrupted (run the same command again to continue)")
    p.add_argument("input", metavar="INPUT",
                   help="CSV, TSV, JSONL, text (one review a line), .xlsx, or - for stdin")
    p.add_argument("-o", "--output", required=True, metavar="OUTPUT.jsonl")
    _add_column_options(p)
    _add_endpoint_options(p)
    g = p.add_argument_group("run")
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
    p.set_defaults(func=run_analyze)


def analyzer_factory(args: argparse.Namespace) -> AnalyzerFactory:
    factory: AnalyzerFactory | None = getattr(args, "analyzer_factory", None)
    if factory is None:
        from .._client import ReviewAnalyzer

        factory = ReviewAnalyzer
    return factory


def _api_key(name: str | None) -> str | None:
    if name is None:
        return None
    key = os.environ.get(name, "").strip()
    if not key:
        raise ConfigurationError(f"--api-key-env {name}: the environment variable {name} "
                                 "is not set (or is empty)")
    return key


def _limits(args: argparse.Namespace) -> dict[str, Any]:
    """The analyzer's rate-limit arguments from --rpm, --tpm, --limiter, --limiter-key."""
    rpm, tpm = args.rpm, args.tpm
    if args.limiter_key is not None:
        if not args.limiter:
            raise ConfigurationError("--limiter-key needs --limiter redis://...")
        from .._ratelimit import RedisRateLimiter

        try:
            limiter = RedisRateLimiter(args.limiter, key=args.limiter_key,
                                       requests_per_minute=rpm, tokens_per_minute=tpm)
        except ValueError as e:
            raise ConfigurationError(str(e)) from None
        return {"limiter": limiter}
    kw: dict[str, Any] = {"requests_per_minute": rpm, "tokens_per_minute": tpm}
    if args.limiter:
        kw["limiter"] = args.limiter
    return kw


def _resume_command(argv: Sequence[str]) -> str:
    """The command that continues this run: the same one, minus what would start over."""
    kept = [a for a in argv if a not in ("--overwrite", "--retry-errors")]
    return shlex.join(["wom", *kept])


def fail(message: str, status: int) -> int:
    print(f"wom: error: {message}", file=sys.stderr)
    return status


def run_analyze(args: argparse.Namespace) -> int:
    """``wom analyze``: the exit status."""
    if args.input != "-" and Path(args.input).resolve() == Path(args.output).resolve():
        return fail("the output file must not be the input file", EXIT_USAGE)
    try:
        prices = load_prices(args.prices)
        source = open_source(args.input, fmt=args.format, text_column=args.text_column,
                             id_column=args.id_column, product_column=args.product_column,
                             rating_column=args.rating_column, date_column=args.date_column)
    except (InputError, PricesError) as e:
        return fail(str(e), EXIT_USAGE)
    try:
        analyzer = analyzer_factory(args)(
            model=args.model, api_key=_api_key(args.api_key_env), base_url=args.base_url,
            cache=args.cache, prompts_dir=args.prompts_dir, **_limits(args))
    except ConfigurationError as e:
        source.close()
        return fail(e.message, EXIT_FAILED)
    mode = (OutputMode.OVERWRITE if args.overwrite
            else OutputMode.RETRY_ERRORS if args.retry_errors else OutputMode.RESUME)
    summary = RunSummary(input=args.input, output=args.output)
    resume = _resume_command(getattr(args, "argv", []))
    run = BatchRun(analyzer, source, ResultWriter(args.output, mode), summary, prices=prices,
                   pack=args.pack, concurrency=args.concurrency, limit=args.limit,
                   progress=Progress.wanted(args.quiet), resume_hint=resume)
    try:
        status = run.run()
    except OutputBusyError as e:
        return fail(str(e), EXIT_FAILED)
    except OSError as e:
        # A file that cannot be read or written (permissions, a full disk).
        # Every line written before is complete: the same command continues later.
        where = f": {e.filename}" if e.filename else ""
        return fail(f"{e.strerror or e}{where}; the finished results are kept in "
                     f"{args.output}, run the same command again to continue", EXIT_FAILED)
    finally:
        analyzer.close()
    if not args.quiet:
        print(summary.render(), file=sys.stderr)
    if args.summary_json:
        summary.write_json(args.summary_json)
    if status == EXIT_INTERRUPTED:
        print(f"Interrupted. Everything finished is in {args.output}; to continue, run the "
              f"same command again:\n  {resume}", file=sys.stderr)
    elif status == EXIT_FAILED:
        if args.quiet:
            print(f"wom: stopped: {summary.stopped_reason}", file=sys.stderr)
        print("Nothing was written for the reviews that failed this way: fix the setting "
              "and run the same command again.", file=sys.stderr)
    return status
