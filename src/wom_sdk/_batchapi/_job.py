"""``BatchJob`` / ``AsyncBatchJob``: a job at the provider's Batch API, from Python.

The twins share everything that does not wait (``_JobView``); each adds the
methods that do (``wait``, ``results``, ``refresh``, ``cancel``), driving the
same ``JobCore`` generator with its own driver.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from .._batch import ReviewInput, to_record
from .._core import AnalyzerCore
from ..io._output import ResultWriter
from ..io._results import read_results
from ..types import BatchResult, ErrorInfo, ReviewRecord, Usage
from ._driver import AsyncAnalyzer, AsyncDriver, Run, SyncAnalyzer, SyncDriver
from ._jobcore import JobCore
from ._settings import MemorySource, RecordSource, Settings
from ._state import StateStore

__all__ = ["AsyncBatchJob", "BatchJob", "prepare", "state_path"]


def state_path(output: str | Path) -> Path:
    """Where the state of the job writing ``output`` lives: ``OUTPUT.batch.json``."""
    out = Path(output)
    return out.with_name(out.name + ".batch.json")


class _JobView:
    """What both twins show and keep (no I/O)."""

    def __init__(self, core: JobCore, *, order: list[str] | None, writer: ResultWriter | None,
                 keep: bool, on_result: Callable[[BatchResult], None] | None) -> None:
        self._core = core
        self._order = order
        self._writer = writer
        self._keep = keep
        self._on_result = on_result
        self._results: dict[str, BatchResult] = {}
        self._run = Run(core.run())
        self._progress: Callable[[Any], None] | None = None
        core.on_progress = self._report
        core._emit_to = self._emit

    @property
    def id(self) -> str | None:
        """The job's own id (also each batch's ``metadata["wom_run"]``)."""
        return self._core.state.run if self._core.state else None

    @property
    def status(self) -> str:
        """``validating``, ``in_progress``, ``finalizing``, ``cancelling`` (the provider's
        words), ``collecting`` (results being read), ``waiting`` (for queued tokens to
        clear), ``retrying`` (lines running again), ``completed`` or ``cancelled``: as last
        seen (``refresh`` asks the provider)."""
        return self._core.status

    @property
    def done(self) -> bool:
        """Whether every review has its result (a job stopped by an error is not done)."""
        return self._run.ended and self._run.error is None

    @property
    def request_counts(self) -> dict[str, int]:
        """Request lines of all its batches: ``total``, ``completed``, ``failed``."""
        return self._core.counts

    @property
    def batch_ids(self) -> list[str]:
        return self._core.batch_ids

    @property
    def state_file(self) -> Path | None:
        return self._core.store.path

    @property
    def usage(self) -> Usage:
        """Tokens of the answers that came through the Batch API (billed at its price)."""
        u = self._core.state.usage if self._core.state else {}
        return Usage(requests=u.get("requests", 0), prompt_tokens=u.get("prompt_tokens", 0),
                     completion_tokens=u.get("completion_tokens", 0))

    @property
    def stats(self) -> dict[str, int]:
        """What happened on the way: ``malformed_lines``, ``online_reruns``, ..."""
        return dict(self._core.stats)

    @property
    def elapsed(self) -> float:
        """Seconds since the job was submitted (across restarts)."""
        st = self._core.state
        return max(0.0, time.time() - st.created_at) if st else 0.0

    def describe(self) -> dict[str, Any]:
        """The job as JSON-ready data (``wom analyze --summary-json``)."""
        usage = self.usage
        return {"id": self.id, "status": self.status, "batch_ids": self.batch_ids,
                "request_counts": self.request_counts, "answers": usage.requests,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens, "stats": self.stats,
                "state_file": str(self.state_file) if self.state_file else None,
                "elapsed_seconds": round(self.elapsed, 1)}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(id={self.id!r}, status={self.status!r}, "
                f"request_counts={self.request_counts})")

    def _emit(self, result: BatchResult) -> None:
        if self._writer is not None:
            self._writer.write(result)
        if self._keep:
            self._results[result.id] = result
        if self._on_result is not None:
            self._on_result(result)

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(self)

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    @contextmanager
    def _waiting(self, timeout: float | None,
                 on_progress: Callable[[Any], None] | None) -> Iterator[float | None]:
        """The frame of both twins' ``wait``: yields the deadline; reports progress
        meanwhile; an error closes the output, a timeout keeps it (``wait`` goes on)."""
        self._progress = on_progress
        try:
            yield None if timeout is None else time.monotonic() + timeout
        except TimeoutError:
            raise
        except BaseException:
            self._close()
            raise
        finally:
            self._progress = None

    def _ordered(self) -> list[BatchResult]:
        """Every result in input order; earlier runs' results read back from the output."""
        order = self._order or list(self._results)
        missing = [i for i in order if i not in self._results]
        if missing and self._writer is not None:
            wanted = set(missing)
            for rec in read_results(self._writer.path):
                if rec.id in wanted:
                    self._results[rec.id] = _from_line(rec)
        return [self._results[i] for i in order if i in self._results]


class BatchJob(_JobView):
    """A job at the provider's Batch API (``ReviewAnalyzer.submit_batch``).

    ``wait()`` polls until every review has a result (a batch may take up to
    24 hours), ``results()`` returns them in input order, ``cancel()`` stops the
    job. With ``output=``, results are appended to that JSONL as they are
    collected and the state is saved next to it: the same ``submit_batch`` call
    in a new process continues the job instead of submitting it again.
    """

    def __init__(self, core: JobCore, driver: SyncDriver, **kw: Any) -> None:
        super().__init__(core, **kw)
        self._driver = driver

    def _start(self) -> BatchJob:
        try:
            if self._driver.run(self._run, stop_at_submitted=True):
                self._close()
        except BaseException:
            self._close()
            raise
        return self

    def wait(self, *, timeout: float | None = None,
             on_progress: Callable[[BatchJob], None] | None = None) -> None:
        """Poll, collect and re-run until every review has its result.

        Args:
            timeout: seconds to wait at most; then ``TimeoutError`` (call again to go on).
            on_progress: called with the job after each poll (``status``,
                ``request_counts``, ``elapsed``).
        """
        with self._waiting(timeout, on_progress) as deadline:
            if self._driver.run(self._run, deadline=deadline):
                self._close()

    def results(self, *, timeout: float | None = None) -> list[BatchResult]:
        """Every review's result, in input order (waits for the job first)."""
        if not self.done:
            self.wait(timeout=timeout)
        return self._ordered()

    def refresh(self) -> str:
        """Ask the provider for every batch's state now; the job's ``status``."""
        SyncDriver(self._driver.analyzer).run(Run(self._core.refresh()))
        return self.status

    def cancel(self) -> None:
        """Cancel the job's batches. ``wait()`` then collects what they finished; the
        other reviews end as ``BatchAPIError`` (code ``batch_cancelled``)."""
        self._driver.run(Run(self._core.cancel()))


class AsyncBatchJob(_JobView):
    """The async twin of ``BatchJob`` (``AsyncReviewAnalyzer.submit_batch``)."""

    def __init__(self, core: JobCore, driver: AsyncDriver, **kw: Any) -> None:
        super().__init__(core, **kw)
        self._driver = driver

    async def _start(self) -> AsyncBatchJob:
        try:
            if await self._driver.run(self._run, stop_at_submitted=True):
                self._close()
        except BaseException:
            self._close()
            raise
        return self

    async def wait(self, *, timeout: float | None = None,
                   on_progress: Callable[[AsyncBatchJob], None] | None = None) -> None:
        """Async twin of ``BatchJob.wait``."""
        with self._waiting(timeout, on_progress) as deadline:
            if await self._driver.run(self._run, deadline=deadline):
                self._close()

    async def results(self, *, timeout: float | None = None) -> list[BatchResult]:
        """Async twin of ``BatchJob.results``."""
        if not self.done:
            await self.wait(timeout=timeout)
        return self._ordered()

    async def refresh(self) -> str:
        """Async twin of ``BatchJob.refresh``."""
        await AsyncDriver(self._driver.analyzer).run(Run(self._core.refresh()))
        return self.status

    async def cancel(self) -> None:
        """Async twin of ``BatchJob.cancel``."""
        await self._driver.run(Run(self._core.cancel()))


def prepare(analyzer: AnalyzerCore, reviews: Iterable[ReviewInput] | RecordSource,
            settings: Settings, *, output: str | Path | None, done: set[str] | None = None,
            writer: ResultWriter | None = None) -> tuple[JobCore, list[str] | None,
                                                         ResultWriter | None]:
    """The core of a new or resumed job, its input order, and its output writer (opened)."""
    order: list[str] | None = None
    if hasattr(reviews, "pick"):  # a RecordSource: the CLI's file, read again when needed
        source = cast(RecordSource, reviews)
    else:
        records = [to_record(x, i) for i, x in enumerate(reviews)]
        _check_unique(records)
        source = MemorySource(records)
        order = [r.id for r in records]
    if writer is None and output is not None:
        writer = ResultWriter(output)
        done = writer.open().done
    store = StateStore(state_path(output) if output is not None else None)
    try:
        core = JobCore(analyzer, source, store, settings, done=done)
    except BaseException:
        if writer is not None:
            writer.close()
        raise
    return core, order, writer


def _check_unique(records: list[ReviewRecord]) -> None:
    seen: set[str] = set()
    twice: list[str] = []
    for r in records:
        (twice.append if r.id in seen else seen.add)(r.id)
    if twice:
        raise ValueError(f"review ids must be unique in a batch job (their results are "
                         f"matched by id); repeated: {', '.join(sorted(set(twice))[:5])}")


def _from_line(rec: Any) -> BatchResult:
    record = ReviewRecord(id=rec.id, text=rec.text or "", product=rec.product,
                          rating=rec.rating, date=rec.date, extra=rec.extra)
    error = None
    if rec.error is not None:
        error = ErrorInfo(kind=rec.error.kind, type=rec.error.type or "WomError",
                          message=rec.error.message or "", status_code=rec.error.status_code,
                          request_id=rec.error.request_id, attempts=rec.error.attempts)
    return BatchResult(id=rec.id, record=record, insight=rec.insight, error=error)


def sync_job(analyzer: SyncAnalyzer, core: JobCore, **kw: Any) -> BatchJob:
    return BatchJob(core, SyncDriver(analyzer), **kw)._start()


async def async_job(analyzer: AsyncAnalyzer, core: JobCore, **kw: Any) -> AsyncBatchJob:
    return await AsyncBatchJob(core, AsyncDriver(analyzer), **kw)._start()
