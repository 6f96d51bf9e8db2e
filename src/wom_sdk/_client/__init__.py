"""``ReviewAnalyzer`` and ``AsyncReviewAnalyzer``: the I/O of the analyzers.

Everything that does not wait (settings, preparing requests, finishing
results, bookkeeping) is ``_core.AnalyzerCore``. The twins add what waits: the
openai client, sending with retries, driving the ``_llm.converse`` dialogue,
and the public methods, which name a task of ``_tasks.TASKS``. Each twin has
its module (``_sync``, ``_async``); a test checks that their public methods
take the same parameters.
"""

from __future__ import annotations

from ._async import AsyncReviewAnalyzer
from ._sync import ReviewAnalyzer

__all__ = ["AsyncReviewAnalyzer", "ReviewAnalyzer"]
