"""The providers' Batch API (OpenAI, Azure OpenAI): many reviews at half the price.

``submit_batch`` (``_submit``, mixed into both analyzers) plans request lines
through the analyzer's own core (``_units``), writes them into input files
within the documented limits (``_lines``, ``_limits``), saves a state file
before anything is created remotely (``_state``), and returns a ``BatchJob``
(``_job``). The job's control flow is one generator (``_jobcore``) of
operations (``_ops``) that a sync and an async driver carry out with the
analyzer's openai client (``_driver``).
"""

from __future__ import annotations

from ._job import AsyncBatchJob, BatchJob, state_path
from ._submit import AsyncBatchSubmitter, BatchSubmitter

__all__ = ["AsyncBatchJob", "AsyncBatchSubmitter", "BatchJob", "BatchSubmitter", "state_path"]
