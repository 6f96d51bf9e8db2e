"""What every step of a batch job shares: its state and its bookkeeping (no I/O)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

from .._batch import error_info
from .._core import AnalyzerCore
from .._exceptions import InputError, WomError
from ..types import BatchResult, ErrorInfo, ReviewRecord, Usage
from ._limits import ENDED
from ._ops import Cancel, Op
from ._settings import RecordSource, Settings
from ._state import JobState, Part, StateStore, Unit
from ._units import Dialogues, Fed

__all__ = ["JobBase", "Steps", "changed", "failure", "part_key"]

Steps = Generator[Op, Any, None]
#: Polls start this often and slow down to ``POLL_MAX`` (Azure asks for >= 60 s).
POLL_FIRST, POLL_MAX = 5.0, 60.0


class JobBase:
    """The state of one job, and the bookkeeping its steps share."""

    def __init__(self, analyzer: AnalyzerCore, source: RecordSource, store: StateStore,
                 settings: Settings, *, done: set[str] | None = None,
                 emit: Callable[[BatchResult], None] | None = None) -> None:
        self.analyzer = analyzer
        self.source = source
        self.store = store
        self.settings = settings
        self.done: set[str] = done if done is not None else set()
        self._emit_to = emit
        self.state: JobState | None = None
        self.dialogues: Dialogues | None = None
        self.resumed = False
        #: what happened, for summaries: malformed lines, online re-runs, ...
        self.stats: dict[str, int] = {}
        self._tmp: Path | None = None
        self._poll = POLL_FIRST
        self._poll_errors = 0
        self._quota_wait = 0.0
        self._learned_limit: int | None = None
        #: called after every poll of the live batches (progress displays)
        self.on_progress: Callable[[], None] | None = None

    def cancel(self) -> Steps:
        """Cancel every live batch; nothing more is submitted or retried."""
        st = self.state
        if st is None or st.finished:
            return
        st.cancel_requested = True
        self._save()
        for part in st.parts:
            if part.in_flight and part.status not in ENDED and part.status != "cancelling":
                batch = yield Cancel(part.batch_id or "")
                if batch is not None:
                    self._update(part, batch)
        self._save()

    def _update(self, part: Part, batch: dict[str, Any]) -> None:
        part.status = str(batch.get("status") or part.status)
        counts = batch.get("request_counts") or {}
        part.counts = {k: int(counts.get(k) or 0) for k in ("total", "completed", "failed")}
        part.output_file_id = batch.get("output_file_id")
        part.error_file_id = batch.get("error_file_id")
        errors = (batch.get("errors") or {}).get("data") or []
        if errors:
            part.message = "; ".join(f"{e.get('code')}: {e.get('message')}"
                                     for e in errors[:3])

    def _apply(self, st: JobState, fed: Fed) -> None:
        for result in fed.results:
            self._emit(result)
        st.pending += fed.again

    def _open_units(self, units: Iterable[Unit]) -> list[Unit]:
        """Units still without results; a pack partly written goes on as single reviews."""
        out: list[Unit] = []
        for u in units:
            left = [i for i in u.ids if i not in self.done]
            if len(left) == len(u.ids):
                out.append(u)
            else:
                out += [Unit([i], tries=u.tries, error=u.error) for i in left]
        return out

    def _fail(self, units: list[Unit], error: WomError | None) -> None:
        records = self._records(units)
        for u in units:
            info = (ErrorInfo.model_validate(error.to_dict()) if error is not None else
                    ErrorInfo.model_validate(u.error or {"kind": "batch_api", "type":
                                             "BatchAPIError", "message": "no result"}))
            for i in u.ids:
                self._emit(BatchResult(id=i, record=records[i], error=info))

    def _emit(self, result: BatchResult) -> None:
        if result.id in self.done:
            return  # every id once, whatever a resumed collection finds again
        self.done.add(result.id)
        if self._emit_to is not None:
            self._emit_to(result)

    def _all_done(self, unit: Unit) -> bool:
        return all(i in self.done for i in unit.ids)

    def _records(self, units: Iterable[Unit]) -> dict[str, ReviewRecord]:
        ids = {i for u in units for i in u.ids}
        found = self.source.pick(ids) if ids else {}
        if len(found) < len(ids):
            gone = sorted(ids - found.keys())[:3]
            raise InputError(f"reviews of this batch job are not in the input any more "
                             f"({', '.join(gone)}...): run it with the same input")
        return found

    def _book(self, prompt: int, completion: int) -> None:
        assert self.state is not None
        usage = self.state.usage
        usage["requests"] = usage.get("requests", 0) + 1
        usage["prompt_tokens"] = usage.get("prompt_tokens", 0) + prompt
        usage["completion_tokens"] = usage.get("completion_tokens", 0) + completion
        self.analyzer._count(Usage(requests=1, prompt_tokens=prompt, completion_tokens=completion))

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress()

    def _count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def _save(self) -> None:
        if self.state is not None:
            self.store.save(self.state)

    def _workdir(self) -> Path:
        folder = self.store.workdir()
        if folder is not None:
            return folder
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="wom-batch-"))
        return self._tmp

    def _cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def part_key(part: Part) -> str:
    """The batch's ``wom_part`` metadata: the file and which attempt at it."""
    return f"{part.number}.{part.attempts + 1}"


def failure(record: ReviewRecord, error: WomError) -> BatchResult:
    return BatchResult(id=record.id, record=record, error=error_info(error))



def changed(store: StateStore) -> InputError:
    where = f" (state: {store.path})" if store.path is not None else ""
    return InputError("the reviews or the analyzer's settings changed since this batch job "
                      "was submitted: its requests cannot be matched to the reviews any "
                      f"more{where}. Run it with the same input and settings")
