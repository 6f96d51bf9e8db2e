"""``wom analyze``: a file of reviews to a JSONL of insights.

The run streams: the input is read lazily, results are written as they
complete, and the only state that grows with the input is the set of review
ids seen (for duplicates and resuming).

Failures of the endpoint itself (a wrong key, a server that is down, a quota
used up) are not written as results right away: they are held back until the
endpoint proves usable with one answer. When ``STOP_AFTER`` reviews in a row
fail that way, the run stops without writing them, so that fixing the key and
running the same command again analyzes them, instead of leaving thousands of
"authentication" lines that would need ``--retry-errors``. Failures that belong
to one review (its answer never validated, it was empty) are written at once.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from ._exceptions import ConfigurationError
from ._jsonl import OutputBusyError, OutputMode, ResultWriter
from ._pricing import PricesError, PriceTable, load_prices
from ._progress import Progress, RunSummary
from ._readers import FORMATS, InputError, ReviewSource, count_lines, open_source

if TYPE_CHECKING:
    from ._client import ReviewAnalyzer
    from .types import BatchResult, ReviewRecord

__all__ = [
    "ENDPOINT_KINDS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "STOP_AFTER",
    "AnalyzerFactory",
    "BatchRun",
    "analyzer_factory",
    "fail",
    "positive_int",
    "register",
    "run_analyze",
]

#: Builds the analyzer from ``ReviewAnalyzer``'s keyword arguments (tests inject a mock).
AnalyzerFactory = Callable[..., "ReviewAnalyzer"]
#: Endpoint failures in a row (none of them written) after which a run stops.
STOP_AFTER = 10
#: Error kinds that say the endpoint or its settings are unusable, not the review.
ENDPOINT_KINDS = frozenset({"api", "connection", "timeout", "http_status", "authentication",
                            "rate_limit", "server", "configuration", "local_server"})
#: Failures decided before any request: they say nothing about the endpoint.
_NO_ANSWER_KINDS = frozenset({"invalid_review", "internal"})
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class BatchRun:
    """One pass of reviews through an analyzer into a JSONL file, with its summary."""

    def __init__(
        self,
        analyzer: ReviewAnalyzer,
        source: ReviewSource,
        writer: ResultWriter,
        summary: RunSummary,
        *,
        prices: PriceTable,
        pack: int = 1,
        concurrency: int | None = None,
        limit: int | None = None,
        progress: bool = False,
        on_result: Callable[[BatchResult], None] | None = None,
        resume_hint: str | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.source = source
        self.writer = writer
        self.summary = summary
        self.prices = prices
        self.pack = pack
        self.concurrency = concurrency
        self.limit = limit
        self.show_progress = progress
        self.on_result = on_result
        self.resume_hint = resume_hint
        self._done: set[str] = set()
        self._held: list[BatchResult] = []
        self._stop_reason: str | None = None
        self._tripped = False
        self._answered = False
        self._progress: Progress | None = None

    # -- feeding ------------------------------------------------------------------------------
    def _records(self) -> Iterator[ReviewRecord]:
        s = self.summary
        seen: set[str] = set()
        for rec in self.source:
            if self._stop_reason is not None:
                return
            if self.limit is not None and s.total >= self.limit:
                return
            s.total += 1
            if rec.id in seen:
                s.duplicates += 1
                if len(s.duplicate_ids) < 20:
                    s.duplicate_ids.append(rec.id)
                continue
            seen.add(rec.id)
            if rec.id in self._done:
                # Moved from one set to the other: memory stays one set of ids.
                self._done.discard(rec.id)
                s.skipped_done += 1
                continue
            yield rec

    def stop(self, reason: str) -> None:
        """Send nothing more; the reviews in flight still finish and are written."""
        if self._stop_reason is None:
            self._stop_reason = reason

    # -- receiving ----------------------------------------------------------------------------
    def _accept(self, res: BatchResult) -> None:
        kind = res.error.kind if res.error is not None else None
        if kind in ENDPOINT_KINDS:
            self._held.append(res)
            if len(self._held) >= STOP_AFTER and not self._tripped:
                self._tripped = True
                assert res.error is not None
                self.stop(f"{len(self._held)} reviews in a row failed with "
                          f"{kind} errors: {res.error.message}")
            return
        if kind not in _NO_ANSWER_KINDS and not self._tripped:
            # The endpoint answered: the failures held back were bad luck, not a
            # broken setup, and are written like any other failure.
            self._answered = True
            self._release_held()
        self._write(res)

    def _release_held(self) -> None:
        for held in self._held:
            self._write(held)
        self._held.clear()

    def _write(self, res: BatchResult) -> None:
        self.writer.write(res)
        if res.error is not None:
            self.summary.count_failure(res.error.kind)
        else:
            self.summary.analyzed += 1
        if self._progress is not None:
            self._progress.update(res.ok)
        if self.on_result is not None:
            self.on_result(res)

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> int:
        """Analyze, write and summarize; the exit status."""
        existing = self.writer.open()
        s = self.summary
        self._done = existing.done
        s.retried_errors = existing.retried
        s.repaired_truncated_line = existing.truncated_line
        s.removed_broken_lines = existing.broken_lines + existing.duplicate_lines
        self._progress = Progress(enabled=self.show_progress, total=self._estimate(),
                                  tokens=lambda: self.analyzer.usage.total_tokens)
        start = time.monotonic()
        try:
            with _SigintHandler(self):
                pairs = self.analyzer.iter_many(self._records(), pack=self.pack,
                                                max_concurrency=self.concurrency)
                for _, res in pairs:
                    self._accept(res)
            if self._answered and not self._tripped and not s.interrupted:
                # Endpoint failures at the very end of a run that otherwise worked.
                self._release_held()
        finally:
            self._progress.close()
            self.writer.close()
            self.source.close()
        self._finish(time.monotonic() - start)
        return s.exit_code

    def _finish(self, seconds: float) -> None:
        s = self.summary
        usage = self.analyzer.usage
        s.model = self.analyzer.model
        s.set_usage(usage.requests, usage.prompt_tokens, usage.completion_tokens, self.prices)
        s.set_time(seconds, self.analyzer.limiter.throttled)
        s.unreadable_rows = self.source.stats.unreadable
        s.unreadable_lines = list(self.source.stats.unreadable_lines)
        s.replaced_characters = self.source.stats.replaced
        s.not_finished = s.total - s.analyzed - s.failed - s.skipped_done - s.duplicates
        if s.interrupted:
            s.stopped_reason = self._stop_reason
            s.exit_code = EXIT_INTERRUPTED
        elif self._held:
            # Held back and never written: the same command analyzes them next time.
            first = self._held[0].error
            assert first is not None
            s.stopped_reason = self._stop_reason or (
                f"nothing could be analyzed: {first.kind} error: {first.message}")
            s.exit_code = EXIT_FAILED
        else:
            s.exit_code = EXIT_OK

    def _estimate(self) -> int | None:
        if not self.show_progress:
            return None
        lines = count_lines(self.source.name)
        if lines is None:
            return None
        rows = lines - (1 if self.source.format in ("csv", "tsv") else 0)
        if self.limit is not None:
            rows = min(rows, self.limit)
        return max(0, rows - len(self._done))

    def note(self, message: str) -> None:
        if self._progress is not None:
            self._progress.write(message)
        else:
            print(message, file=sys.stderr, flush=True)


class _SigintHandler:
    """First Ctrl-C: stop sending, finish and write what is in flight. Second: quit now."""

    def __init__(self, run: BatchRun) -> None:
        self.run = run
        self._previous: Any = None
        self._active = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> _SigintHandler:
        if self._active:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        run = self.run
        if run.summary.interrupted:
            # Every finished result is already flushed; a line cut now is
            # dropped when the run is resumed. Threads blocked in HTTP calls
            # would delay a normal exit until their timeouts.
            hint = (f" To continue, run the same command again:\n  {run.resume_hint}"
                    if run.resume_hint else "")
            print(f"\nStopped. {run.writer.written} results written this run to "
                  f"{run.writer.path}.{hint}", file=sys.stderr, flush=True)
            os._exit(EXIT_INTERRUPTED)
        run.summary.interrupted = True
        run.stop("interrupted (Ctrl-C)")
        run.note("\nInterrupted: finishing the reviews in flight (Ctrl-C again to quit now).")


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
        from ._client import ReviewAnalyzer

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
            requests_per_minute=args.rpm, tokens_per_minute=args.tpm, cache=args.cache,
            prompts_dir=args.prompts_dir)
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
