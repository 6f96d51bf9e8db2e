"""What both analyzers share and what does no I/O: prepare, finish, pack, bookkeeping.

``AnalyzerCore`` holds the settings (``_state``) and turns a review into a
``TaskCall`` (clean, redact, detect the script, render the prompt:
``_prepare``), and a validated answer into the public result (``_finish``, by
the task's row in ``_tasks.TASKS``). Around each HTTP exchange it supplies what
is the same for both twins (``_exchange``): the response cache, usage
counting, the limiter's bookkeeping (``_on_response``, ``_on_error``), and the
arguments of the openai client and of the retry loop. ``ReviewAnalyzer`` /
``AsyncReviewAnalyzer`` (``_client``) add only the waiting.

A path that does not send over HTTP (a provider's batch API) uses the same
pieces: ``_prepare`` -> ``next(_llm.converse(prep.call, memory))`` is the
request body; a raw completion body -> ``_llm.response_from_completion`` ->
``_llm.advance`` -> ``_finish`` is the result.

The parts are mixins over ``CoreState``, whose ``__init__`` declares every
attribute they share; each adds methods only.
"""

from __future__ import annotations

from ._exchange import ExchangeMixin
from ._finish import FinishMixin
from ._prepare import Pack, Prepared, PrepareMixin
from ._state import StructuredOutput

__all__ = ["AnalyzerCore", "Pack", "Prepared", "StructuredOutput"]


class AnalyzerCore(PrepareMixin, FinishMixin, ExchangeMixin):
    """Shared, I/O-free core of both analyzers. See ``ReviewAnalyzer`` for the arguments."""
