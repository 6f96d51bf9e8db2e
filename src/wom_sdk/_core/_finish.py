"""Finishing results: a validated answer -> the public result, by the task's row in ``TASKS``.

What the model said is combined with what we know ourselves (the cleaned
review, truncation, redactions restored or not, the reply policy, the leak
markers of the system message actually sent, usage and warnings); a pack's
answer becomes one insight per review, its cost shared evenly.
"""

from __future__ import annotations

from typing import Any

from .._llm import TaskOutcome
from .._tasks import Finishing, leak_markers
from ..types import ReviewInsight, Usage
from ._prepare import Pack, Prepared
from ._state import CoreState

__all__ = ["FinishMixin"]


class FinishMixin(CoreState):
    """Turns answers into results (``_finish``, ``_finish_pack``)."""

    @staticmethod
    def _truncation_note(prep: Prepared) -> list[str]:
        if not prep.cleaned.truncated:
            return []
        return [
            f"review truncated from {prep.cleaned.original_length} to "
            f"{len(prep.cleaned.text)} characters before analysis"
        ]

    def _finishing(
        self, prep: Prepared, outcome: TaskOutcome, usage: Usage, warnings: list[str]
    ) -> Finishing:
        redacted = prep.redacted
        restore = (
            redacted.restore if redacted is not None and self.restore_redactions else _unchanged
        )
        return Finishing(
            review=prep.cleaned.text,
            language_hint=prep.language_hint,
            restore=restore,
            reply_policy=self.reply_policy,
            # From the system message actually sent: a custom prompts_dir is guarded too.
            leak_markers=leak_markers(outcome.system),
            model=self.model,
            usage=usage,
            warnings=warnings,
            mode=outcome.mode.value,
            truncated=prep.cleaned.truncated,
            redactions=sum(redacted.counts.values()) if redacted is not None else 0,
        )

    def _finish(self, prep: Prepared, outcome: TaskOutcome) -> Any:
        """The public result of one review's task, built by its row in ``TASKS``."""
        warnings = [*outcome.warnings, *self._truncation_note(prep)]
        finishing = self._finishing(prep, outcome, outcome.usage, warnings)
        return prep.task.build(outcome.output, finishing)

    def _finish_pack(self, pack: Pack, outcome: TaskOutcome) -> dict[str, ReviewInsight]:
        """Insights keyed by the caller's review ids (reviews the answer lacked are absent)."""
        results = outcome.output.results
        n = max(1, len(results))
        # The request's cost is shared evenly; the analyzer's own total stays exact.
        share = outcome.usage.split(n)
        got: dict[str, ReviewInsight] = {}
        for k, item in enumerate(results):
            prep = pack.items[item.id]
            usage = share + Usage(requests=outcome.usage.requests if k == 0 else 0)
            # Each review gets its own grounding warnings, not the whole answer's.
            warnings = [*self._truncation_note(prep), *outcome.item_warnings.get(item.id, [])]
            finishing = self._finishing(prep, outcome, usage, warnings)
            insight = prep.task.build(item, finishing)
            extra = {**insight.extra, "packed_with": n}
            got[pack.real_ids[item.id]] = insight.model_copy(update={"extra": extra})
        return got


def _unchanged(text: str) -> str:
    return text
