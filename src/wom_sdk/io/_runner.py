"""A file of reviews through an analyzer into a JSONL of results: ``wom analyze``'s engine.

The run streams: the input is read lazily, results are written as they
complete, and the only state that grows with the input is the set of review
ids seen (for duplicates and resuming).

Failures of the endpoint itself (a wrong key, a server that is down, a quota
used up) are not written as results right away: they are held back until the
endpoint proves usable with one answer. When ``STOP_AFTER`` reviews in a row
fail that way, the run stops without writing them, so that fixing the key and
running the same command again analyzes them, instead of leaving thousands of
"authentication" lines that would need ``--retry-errors``. Failures that belong
to one review (its answer never validated, it was empty) are written at once,
and so are input rows that the reader's rule does not send (``RejectedRow``:
an ``input`` error naming the line).

Stopping (the first Ctrl-C, or the endpoint failing ``STOP_AFTER`` times in a
row) sets the run's cancel event: no review is read or sent after it, the
reviews asleep in the rate limiter wake and send nothing, and those in flight
finish and are written. A second Ctrl-C exits at once. Either way every
finished result is on its own whole line, so the same command continues.

With a budget (``--budget``), the analyzer yields a result for every review it
took from the input, except when the budget stopped it: then the reviews not
done are simply not written, the run says so (``EXIT_BUDGET``), and the same
command continues with them.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from .._constants import EXIT_BUDGET, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .._pricing import PriceTable
from ..types import BatchResult, ErrorInfo
from ._output import ResultWriter
from ._progress import Progress, RunSummary
from ._readers import RejectedRow, ReviewSource, count_lines

if TYPE_CHECKING:
    from .._client import ReviewAnalyzer
    from ..types import ReviewRecord

__all__ = ["ENDPOINT_KINDS", "STOP_AFTER", "BatchRun"]

#: Endpoint failures in a row (none of them written) after which a run stops.
STOP_AFTER = 10
#: Error kinds that say the endpoint or its settings are unusable, not the review.
ENDPOINT_KINDS = frozenset({"api", "connection", "timeout", "http_status", "authentication",
                            "rate_limit", "server", "configuration", "local_server",
                            "bad_request", "unsupported_feature", "permission_denied",
                            "not_found", "unprocessable", "incompatible_endpoint"})
#: Failures decided before any request: they say nothing about the endpoint.
_NO_ANSWER_KINDS = frozenset({"invalid_review", "internal"})


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
        budget: float | None = None,
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
        self.budget = budget
        summary.budget_usd = budget
        self._fed = 0  # reviews handed to the analyzer
        self._received = 0  # results it gave back
        self._input_done = False
        self._done: set[str] = set()
        #: set to send nothing more (``stop``); the analyzer's batch checks it
        self._cancel = threading.Event()
        self._held: list[BatchResult] = []
        self._stop_reason: str | None = None
        self._tripped = False
        self._answered = False
        self._progress: Progress | None = None

    # -- feeding ------------------------------------------------------------------------------
    def _records(self) -> Iterator[ReviewRecord]:
        s = self.summary
        seen: set[str] = set()
        for entry in self.source.entries():
            if self._stop_reason is not None:
                return
            if self.limit is not None and s.total >= self.limit:
                self._input_done = True
                return
            rec = entry.record if isinstance(entry, RejectedRow) else entry
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
            if isinstance(entry, RejectedRow):
                # Not sent: written as this review's error, so it is neither lost
                # nor silently cut (fix the file, then --retry-errors).
                error = ErrorInfo(kind="input", type="InputError", message=entry.reason)
                self._write(BatchResult(id=rec.id, record=rec, error=error))
                continue
            self._fed += 1
            yield rec
        self._input_done = True

    def stop(self, reason: str) -> None:
        """Send nothing more; the reviews in flight still finish and are written."""
        if self._stop_reason is None:
            self._stop_reason = reason
        self._cancel.set()

    # -- receiving ----------------------------------------------------------------------------
    def _accept(self, res: BatchResult) -> None:
        self._received += 1
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
        """Analyze, write and summarize; the exit status (``EXIT_*`` of ``_constants``)."""
        # Lazy but for its checks: a budget that cannot be kept fails before any file is touched.
        pairs = self.analyzer.iter_many(self._records(), pack=self.pack,
                                        max_concurrency=self.concurrency, max_cost_usd=self.budget,
                                        cancel=self._cancel)
        existing = self.writer.open()
        s = self.summary
        self._done = existing.done
        s.retried_errors = existing.retried
        s.repaired_truncated_line = existing.truncated_line
        s.removed_broken_lines = existing.broken_lines + existing.duplicate_lines
        s.foreign_lines = existing.foreign_lines
        s.foreign_line_numbers = list(existing.foreign_line_numbers)
        s.output = self.writer.name
        s.resumable = self.writer.resumable
        self._progress = Progress(enabled=self.show_progress, total=self._estimate(),
                                  tokens=lambda: self.analyzer.usage.total_tokens)
        start = time.monotonic()
        try:
            with _StopSignals(self):
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
        s.model = self.analyzer.model
        s.set_usage(self.analyzer.usage, self.prices, self.analyzer.base_url)
        s.set_time(seconds, self.analyzer.limiter.throttled)
        s.read_stats(self.source.stats)
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
        elif self.budget is not None and (not self._input_done or self._fed > self._received):
            cost = s.estimated_cost_usd
            spent = f"${cost:.4f} spent" if cost is not None else "cost unknown"
            s.stopped_reason = (f"the budget of ${self.budget:g} was reached ({spent}); the "
                                "reviews not done are not in the output: run the same command "
                                "again (with a new --budget) to continue")
            s.exit_code = EXIT_BUDGET
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


class _StopSignals:
    """First Ctrl-C: stop sending, finish and write what is in flight. Second: quit now.

    SIGTERM (``kill``, ``docker stop``, systemd) is taken the same way here, not as the
    KeyboardInterrupt the CLI makes of it elsewhere: a supervisor's stop should not throw
    away answers already paid for. Docker and systemd send SIGKILL after their grace
    period (10 s and 90 s by default), which the requests in flight usually beat; a
    killed run is still resumable.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, run: BatchRun) -> None:
        self.run = run
        self._previous: dict[int, Any] = {}
        self._active = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> _StopSignals:
        if self._active:
            for sig in self._SIGNALS:
                # An ignored signal stays ignored (the Unix convention): a shell starts
                # a background job (`wom ... &`) with SIGINT ignored so that the
                # terminal's Ctrl-C does not reach it.
                if signal.getsignal(sig) is not signal.SIG_IGN:
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        run = self.run
        if run.summary.interrupted:
            # Every finished result is already flushed; a line cut now is
            # dropped when the run is resumed. Threads blocked in HTTP calls
            # would delay a normal exit until their timeouts.
            hint = (f" To continue, run the same command again:\n  {run.resume_hint}"
                    if run.resume_hint and run.writer.resumable else "")
            print(f"\nStopped. {run.writer.written} results written this run to "
                  f"{run.writer.name}.{hint}", file=sys.stderr, flush=True)
            os._exit(EXIT_INTERRUPTED)
        what = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        run.summary.interrupted = True
        run.stop(f"interrupted ({what})")
        run.note(f"\nInterrupted ({what}): finishing the reviews in flight "
                 f"({what} again to quit now).")
