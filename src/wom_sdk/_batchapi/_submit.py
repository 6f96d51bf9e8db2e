"""``submit_batch`` on both analyzers: the provider's Batch API at half the price.

Mixins of ``ReviewAnalyzer`` and ``AsyncReviewAnalyzer`` (which keep only
their own I/O in ``_client``): the arguments and the docs live here, once per
twin, and the work in ``_job`` / ``_jobcore``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

from .._batch import ReviewInput
from .._core import AnalyzerCore
from ..types import BatchResult
from ._driver import AsyncAnalyzer, SyncAnalyzer
from ._job import AsyncBatchJob, BatchJob, async_job, prepare, sync_job
from ._settings import DEFAULT_RETRY_ROUNDS, Settings

__all__ = ["AsyncBatchSubmitter", "BatchSubmitter"]

Retry = Literal["online", "batch"]


class BatchSubmitter:
    """``ReviewAnalyzer.submit_batch``."""

    def submit_batch(
        self, reviews: Iterable[ReviewInput], *, pack: int = 1,
        output: str | Path | None = None, retry: Retry = "online",
        retry_rounds: int = DEFAULT_RETRY_ROUNDS, batch_model: str | None = None,
        max_requests_per_file: int | None = None, max_enqueued_tokens: int | None = None,
        metadata: Mapping[str, str] | None = None, brand_voice: str | None = None,
        categories: Sequence[str] | None = None, poll_interval: float | None = None,
        max_concurrency: int | None = None,
        on_result: Callable[[BatchResult], None] | None = None,
    ) -> BatchJob:
        """Analyze many reviews through the provider's Batch API (OpenAI, Azure OpenAI).

        Half the online price, a queue limit of its own, results within 24 hours.
        The same prompts, schema, cleaning, redaction, validation and grounding as
        ``analyze``. Returns once the input files are uploaded and their batches
        created; ``job.wait()`` then collects, ``job.results()`` returns one
        ``BatchResult`` per review, in input order.

        Args:
            reviews: strings, ``ReviewRecord``s or mappings (as ``analyze_many``);
                ids must be unique.
            pack: up to this many short reviews per request line.
            output: a JSONL file to append results to as they are collected; the
                job's state is saved next to it (``OUTPUT.batch.json``), so the same
                call in a new process continues the job (nothing is paid twice).
            retry: how lines without a usable answer (a re-ask, failed, expired,
                malformed) run again: ``"online"`` (the rate-limited online path) or
                ``"batch"`` (follow-up batches).
            retry_rounds: follow-up batches a line may go through without an answer.
            batch_model: the model (Azure: the Global-Batch deployment) named in the
                request lines; default the analyzer's model.
            max_requests_per_file: smaller input files than the provider allows.
            max_enqueued_tokens: the account's enqueued-token limit for the model
                (OpenAI: Limits page; Azure: the deployment's quota): files wait
                until it has room instead of being refused.
            metadata: your own pairs, set on each batch (up to 13).
            poll_interval: seconds between polls (default 5 s growing to 60 s).
            max_concurrency: cap on online re-runs in flight.
            on_result: called with each result as it is collected.
        """
        settings = Settings(pack=pack, retry=retry, retry_rounds=retry_rounds,
                            batch_model=batch_model, max_requests_per_file=max_requests_per_file,
                            max_enqueued_tokens=max_enqueued_tokens,
                            metadata=dict(metadata or {}), brand_voice=brand_voice,
                            categories=categories, poll_interval=poll_interval,
                            max_concurrency=max_concurrency)
        core, order, writer = prepare(cast(AnalyzerCore, self), reviews, settings, output=output)
        return sync_job(cast(SyncAnalyzer, self), core, order=order, writer=writer, keep=True,
                        on_result=on_result)


class AsyncBatchSubmitter:
    """``AsyncReviewAnalyzer.submit_batch``."""

    async def submit_batch(
        self, reviews: Iterable[ReviewInput], *, pack: int = 1,
        output: str | Path | None = None, retry: Retry = "online",
        retry_rounds: int = DEFAULT_RETRY_ROUNDS, batch_model: str | None = None,
        max_requests_per_file: int | None = None, max_enqueued_tokens: int | None = None,
        metadata: Mapping[str, str] | None = None, brand_voice: str | None = None,
        categories: Sequence[str] | None = None, poll_interval: float | None = None,
        max_concurrency: int | None = None,
        on_result: Callable[[BatchResult], None] | None = None,
    ) -> AsyncBatchJob:
        """Async twin of ``ReviewAnalyzer.submit_batch``."""
        settings = Settings(pack=pack, retry=retry, retry_rounds=retry_rounds,
                            batch_model=batch_model, max_requests_per_file=max_requests_per_file,
                            max_enqueued_tokens=max_enqueued_tokens,
                            metadata=dict(metadata or {}), brand_voice=brand_voice,
                            categories=categories, poll_interval=poll_interval,
                            max_concurrency=max_concurrency)
        core, order, writer = prepare(cast(AnalyzerCore, self), reviews, settings, output=output)
        return await async_job(cast(AsyncAnalyzer, self), core, order=order, writer=writer,
                               keep=True, on_result=on_result)


