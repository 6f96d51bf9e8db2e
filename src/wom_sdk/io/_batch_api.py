"""``wom analyze --batch-api``: a file of reviews through the provider's Batch API.

The same conventions as the online run (``_runner.BatchRun``, whose record
feed, result writing and summary this reuses): one line per review in the
output, appended as results are collected; ids already there are skipped;
the summary at the end. What differs is the engine: a ``BatchJob`` whose state
file sits next to the output (``OUT.jsonl.batch.json``), so that the same
command, run again after a kill (or a Ctrl-C while it waits), continues the job
instead of submitting it again.

While the job waits the input is not held in memory: it is read again when a
batch's results come back (standard input, which cannot be read twice, is the
exception).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from .._batchapi._job import BatchJob, prepare, sync_job
from .._batchapi._limits import BATCH_PRICE_FACTOR
from .._batchapi._settings import MemorySource, Settings
from .._pricing import PriceTable
from ..types import ReviewRecord, Usage
from ._output import ResultWriter
from ._progress import RunSummary, _duration
from ._readers import ReviewSource
from ._runner import BatchRun

if TYPE_CHECKING:
    from .._client import ReviewAnalyzer

__all__ = ["BatchApiRun", "BatchApiSummary", "FileSource", "JobProgress"]


class FileSource:
    """The input file as a job's ``RecordSource``: the first pass counts, later ones pick."""

    def __init__(self, first: Callable[[], Iterator[ReviewRecord]],
                 reopen: Callable[[], ReviewSource]) -> None:
        self._first = first
        self._reopen = reopen

    def records(self) -> Iterator[ReviewRecord]:
        return self._first()

    def pick(self, ids: set[str]) -> dict[str, ReviewRecord]:
        found: dict[str, ReviewRecord] = {}
        source = self._reopen()
        try:
            for rec in source:
                if rec.id in ids and rec.id not in found:  # the first of a repeated id
                    found[rec.id] = rec
                    if len(found) == len(ids):
                        break
        finally:
            source.close()
        return found


class JobProgress:
    """What a waiting job shows on stderr: its state, its counts, the time since submission.

    On a terminal, one line rewritten in place at each poll; elsewhere (a log, CI)
    a line only when the job's state changes.
    """

    def __init__(self, *, tty: bool, stream: IO[str] | None = None) -> None:
        self.tty = tty
        self.stream = stream or sys.stderr
        self._last = ""
        self._width = 0

    def __call__(self, job: Any) -> None:
        counts = job.request_counts
        done = counts["completed"] + counts["failed"]
        line = (f"batch job {job.id}: {job.status}, {len(job.batch_ids)} batch(es), "
                f"{done:,}/{counts['total']:,} requests done ({counts['failed']:,} failed), "
                f"{_duration(job.elapsed)} since submitted")
        if self.tty:
            self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
            self.stream.flush()
        elif job.status != self._last:
            print(line, file=self.stream, flush=True)
        self._last = job.status

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class BatchApiSummary(RunSummary):
    """``RunSummary`` with the Batch API's part (``BatchJob.describe()``)."""

    batch_api: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        b = self.batch_api
        if not b:
            return super().render()
        stats = b.get("stats", {})
        lines = [f"  batch API: job {b.get('id')}, {b['answers']:,} answers in "
                 f"{len(b['batch_ids'])} batch(es), {b['prompt_tokens']:,} tokens in, "
                 f"{b['completion_tokens']:,} out, at {BATCH_PRICE_FACTOR:.0%} of the online "
                 f"price; state: {b.get('state_file')}"]
        extra = [f"{stats[k]:,} {label}" for k, label in (
            ("online_probe", "review(s) analyzed online to find the output mode"),
            ("online_reruns", "review(s) re-run online"),
            ("malformed_lines", "malformed output line(s)"),
            ("missing_lines", "request(s) without an output line")) if stats.get(k)]
        if extra:
            lines.append("  batch API: " + ", ".join(extra))
        return "\n".join([super().render(), *lines])


class BatchApiRun(BatchRun):
    """``BatchRun`` with a provider batch job as the engine (see the module docstring)."""

    def __init__(self, analyzer: ReviewAnalyzer, source: ReviewSource, writer: ResultWriter,
                 summary: RunSummary, *, prices: PriceTable, settings: Settings,
                 reopen: Callable[[], ReviewSource] | None, limit: int | None = None,
                 progress: JobProgress | None = None, resume_hint: str | None = None) -> None:
        super().__init__(analyzer, source, writer, summary, prices=prices, pack=settings.pack,
                         limit=limit, resume_hint=resume_hint)
        self.settings = settings
        self.reopen = reopen
        self.job_progress = progress
        self.job: BatchJob | None = None

    def run(self) -> int:
        existing = self.writer.open()
        s = self.summary
        self._done = set(existing.done)
        s.retried_errors = existing.retried
        s.repaired_truncated_line = existing.truncated_line
        s.removed_broken_lines = existing.broken_lines + existing.duplicate_lines
        start = time.monotonic()
        online_before = self.analyzer.usage
        try:
            if self.reopen is None:  # standard input: read once, kept
                source: Any = MemorySource(list(self._records()))
            else:
                source = FileSource(self._records, self.reopen)
            core, _, _ = prepare(self.analyzer, source, self.settings, output=self.writer.path,
                                 done=set(existing.done), writer=self.writer)
            self.job = sync_job(self.analyzer, core, order=None, writer=None, keep=False,
                                on_result=self._write)
            self.job.wait(on_progress=self.job_progress)
            if core.resumed and s.total == 0:
                for _ in self._records():  # count the input for the summary
                    pass
        except KeyboardInterrupt:
            s.interrupted = True
            # Ctrl-C, or SIGTERM (the CLI raises KeyboardInterrupt for both).
            self.stop("interrupted; the batches keep running at the provider")
        finally:
            if self.job_progress is not None:
                self.job_progress.close()
            self.writer.close()
            self.source.close()
        self._finish(time.monotonic() - start)
        self._price(online_before)
        if isinstance(s, BatchApiSummary) and self.job is not None:
            s.batch_api = self.job.describe()
        return s.exit_code

    def _price(self, online_before: Any) -> None:
        """The cost: batch answers at the batch price, online requests at the online price."""
        s = self.summary
        price = (self.prices.lookup(self.analyzer.model, self.analyzer.base_url)
                 if self.analyzer.model else None)
        if price is None or self.job is None:
            return
        batch = self.job.usage
        total = self.analyzer.usage
        online_prompt = total.prompt_tokens - online_before.prompt_tokens - batch.prompt_tokens
        online_completion = (total.completion_tokens - online_before.completion_tokens
                             - batch.completion_tokens)
        online = Usage(prompt_tokens=max(0, online_prompt),
                       completion_tokens=max(0, online_completion))
        cost = price.cost(online) + BATCH_PRICE_FACTOR * price.cost(batch)
        s.estimated_cost_usd = round(cost, 6)
        s.price_source = (f"{self.prices.source}; Batch API answers at "
                          f"{BATCH_PRICE_FACTOR:.0%} of it")
