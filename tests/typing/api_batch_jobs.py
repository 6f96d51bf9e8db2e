"""``submit_batch`` and the job it returns, sync and async (type-checked, never run)."""

from __future__ import annotations

from pathlib import Path
from typing import assert_type

from wom_sdk import AsyncBatchJob, AsyncReviewAnalyzer, BatchJob, ReviewAnalyzer, Usage
from wom_sdk.types import BatchResult


def sync_api(a: ReviewAnalyzer) -> None:
    job = a.submit_batch(["a", {"id": "2", "text": "b"}], pack=5, output="out.jsonl",
                         retry="batch", batch_model="gpt-4o-mini-batch",
                         max_enqueued_tokens=2_000_000, metadata={"team": "cx"})
    assert_type(job, BatchJob)
    job.wait(timeout=3600, on_progress=lambda j: print(j.status, j.request_counts))
    assert_type(job.results(), list[BatchResult])
    assert_type(job.refresh(), str)
    assert_type(job.status, str)
    assert_type(job.done, bool)
    assert_type(job.request_counts, dict[str, int])
    assert_type(job.batch_ids, list[str])
    assert_type(job.state_file, Path | None)
    assert_type(job.usage, Usage)
    job.cancel()
    a.submit_batch(["a"], retry="later")  # type: ignore[arg-type]
    a.submit_batch(["a"], 5)  # type: ignore[call-arg]


async def async_api(a: AsyncReviewAnalyzer) -> None:
    job = await a.submit_batch(["a", "b"], pack=2)
    assert_type(job, AsyncBatchJob)
    await job.wait(on_progress=lambda j: print(j.elapsed))
    assert_type(await job.results(), list[BatchResult])
    assert_type(await job.refresh(), str)
    await job.cancel()
    _ = a.submit_batch(["a"]).status  # type: ignore[attr-defined]
