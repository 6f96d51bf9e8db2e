"""Step 4 of a job: poll the live batches, and collect each that ends."""

from __future__ import annotations

from typing import Any

from .._exceptions import APIConnectionError, BatchAPIError, RateLimitError, ServerError
from .._llm import ChatRequest
from ..types import ReviewRecord
from ._base import POLL_FIRST, JobBase, Steps, changed
from ._limits import ENDED
from ._lines import CANCELLED, body_bytes, digest, parse_custom_id, read_results, retryable
from ._ops import Download, Retrieve
from ._state import JobState, Part, Unit
from ._units import Fed

__all__ = ["QUOTA_CODE", "CollectSteps"]

#: Polls in a row that may fail (after the retry policy's own tries) before the wait stops.
_POLL_ERRORS = 10
#: Batches refused for the enqueued-token limit with nothing of ours queued: give up after.
_QUOTA_TRIES = 8
QUOTA_CODE = "token_limit_exceeded"


class CollectSteps(JobBase):
    """Poll, and turn each ended batch's output and error files into results."""

    def _poll_all(self, st: JobState) -> Steps:
        for part in st.parts:
            if not part.in_flight:
                continue
            if part.status not in ENDED:
                before = part.status
                try:
                    batch = yield Retrieve(part.batch_id or "")
                except (APIConnectionError, ServerError, RateLimitError):
                    # A long wait outlives network blips: try again at the next poll.
                    self._poll_errors += 1
                    if self._poll_errors > _POLL_ERRORS:
                        raise
                    continue
                self._poll_errors = 0
                self._update(part, batch)
                if part.status != before:
                    self._poll = POLL_FIRST
                    self._save()
                if part.status in ("cancelling", "cancelled") and not st.cancel_requested:
                    # Cancelled from elsewhere (the dashboard, `wom batches --cancel`):
                    # the whole job is.
                    yield from self.cancel()
            if part.status in ENDED:
                yield from self._collect(st, part)

    def _collect(self, st: JobState, part: Part) -> Steps:
        if part.status == "failed":
            self._refused(st, part)
            return
        assert self.dialogues is not None
        units = part.units
        records = self._records([u for u in units if not self._all_done(u)])
        seen: set[int] = set()
        for file_id in (part.output_file_id, part.error_file_id):
            if not file_id:
                continue
            path = self._workdir() / f".{part.filename}.{file_id}.out"
            try:
                yield Download(file_id, path)
                for line in read_results(path, part.batch_id):
                    k = _unit_index(line, part)
                    if k is None:
                        self._count("malformed_lines" if line is None else "unknown_lines")
                        continue
                    if k in seen or self._all_done(units[k]):
                        continue
                    seen.add(k)
                    self._apply(st, self._answer(part, units[k], records, line))
            finally:
                path.unlink(missing_ok=True)
        cancelled = part.status == "cancelled" or st.cancel_requested
        missing = BatchAPIError(
            "the batch was cancelled before this review ran" if cancelled else
            "the batch returned no line for this request (or one that could not be read)",
            code="batch_cancelled" if cancelled else "invalid_line", batch_id=part.batch_id)
        for k, unit in enumerate(units):
            if k not in seen and not self._all_done(unit):
                self._count("missing_lines")
                d = self.dialogues.start(unit, [records[i] for i in unit.ids])
                self._apply(st, self.dialogues.failed(d, missing, retry=not cancelled))
        part.status = "collected"
        self._save()

    def _answer(self, part: Part, unit: Unit, records: dict[str, ReviewRecord],
                line: Any) -> Fed:
        assert self.dialogues is not None
        d = self.dialogues.start(unit, [records[i] for i in unit.ids])
        if not isinstance(d.step, ChatRequest) or \
                digest(body_bytes(self.dialogues.body(d.step))) != unit.digest:
            raise changed(self.store)
        if line.completion is not None:
            fed = self.dialogues.feed(d, line.completion, part.batch_id)
            if fed.answer is not None:
                self._book(fed.answer.prompt_tokens, fed.answer.completion_tokens)
            return fed
        error = line.error
        if getattr(error, "code", None) == CANCELLED:
            return self.dialogues.failed(d, error, retry=False)
        if not retryable(error) and d.pack is not None:
            return Fed(again=[Unit([i]) for i in unit.ids])  # a pack refused: one by one
        return self.dialogues.failed(d, error, retry=retryable(error))

    def _refused(self, st: JobState, part: Part) -> None:
        """A batch that failed validation: the enqueued-token limit, or the file itself."""
        message = part.message or "no reason given"
        if QUOTA_CODE not in message:
            self._save()
            raise BatchAPIError(f"the provider refused batch {part.batch_id} "
                                f"({part.filename}): {message}", code="failed",
                                batch_id=part.batch_id)
        if part.attempts >= _QUOTA_TRIES:
            raise BatchAPIError(
                f"the enqueued-token limit refused {part.filename} {part.attempts} times "
                f"({message}); set max_enqueued_tokens (--max-enqueued-tokens) to your limit "
                "for this model, or use smaller files", code=QUOTA_CODE, batch_id=part.batch_id)
        queued = sum(p.tokens for p in st.parts
                     if p is not part and p.in_flight and p.status not in ENDED)
        self._learned_limit = queued or None
        self._quota_wait = min(1800.0, 60.0 * 2 ** (part.attempts - 1))
        part.status, part.batch_id = "waiting", None
        self._save()


def _unit_index(line: Any, part: Part) -> int | None:
    if line is None:
        return None
    parsed = parse_custom_id(line.custom_id)
    if parsed is None or parsed[0] != part.number or parsed[1] >= len(part.units):
        return None
    return parsed[1]
