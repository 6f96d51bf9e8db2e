"""A batch job's control flow, written once: a generator of ``_ops`` for both drivers.

Life of a job (``run``):

1. The output mode: the one the analyzer has confirmed for this endpoint and
   model, or forced (``structured_output=``); else the first review is analyzed
   online, which finds the mode (a batch cannot probe) and is its result.
2. Plan (``_planning``): every other review (or pack) becomes a request line;
   lines go into input files within the provider's limits. The state file is
   saved now, before anything exists remotely.
3. Submit: upload each file (purpose ``batch``), create its batch (24h window,
   ``metadata`` naming the job and the file), saving the state after each.
   With ``max_enqueued_tokens``, a file waits until enough queued tokens clear.
4. Wait (``_collecting``): poll every live batch; collect each that ends
   (download its output and error files, finish every answer through the online
   path's validation), writing each result once.
5. Retry: units without a result (a re-ask, a failed, expired, missing or
   malformed line) go through the online path, or into a follow-up batch
   (``retry="batch"``, at most ``retry_rounds`` rounds without an answer).
   Then every review has exactly one result.

A process killed anywhere resumes from the state file: files and batches it
created but had not recorded are found by name and metadata (``_reconcile``);
results already written are never written again (``done``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .._exceptions import BatchAPIError, ConfigurationError
from .._llm import Mode
from ._base import POLL_MAX, Steps, part_key
from ._collecting import CollectSteps
from ._limits import ENDED
from ._ops import Create, FindBatches, FindFiles, Online, Retrieve, Sleep, Submitted, Upload
from ._planning import PlanSteps
from ._state import JobState, Part, StateStore

__all__ = ["JobCore"]


class JobCore(PlanSteps, CollectSteps):
    """The state and the steps of one job (see the module docstring)."""

    @property
    def status(self) -> str:
        st = self.state
        if st is None:
            return "preparing"
        if st.finished:
            return "cancelled" if st.cancel_requested else "completed"
        states = {p.status for p in st.parts if p.in_flight}
        for s in ("cancelling", "in_progress", "validating", "finalizing"):
            if s in states:
                return s
        if states:
            return "collecting"  # ended remotely, results not read yet
        if any(p.status == "waiting" for p in st.parts):
            return "waiting"
        return "retrying" if st.pending else "submitting"

    @property
    def counts(self) -> dict[str, int]:
        """Request lines of every batch: total, completed, failed (as the provider counts)."""
        total = completed = failed = 0
        for p in self.state.parts if self.state else []:
            total += len(p.units)
            completed += p.counts.get("completed", 0)
            failed += p.counts.get("failed", 0)
        return {"total": total, "completed": completed, "failed": failed}

    @property
    def batch_ids(self) -> list[str]:
        return [p.batch_id for p in self.state.parts if p.batch_id] if self.state else []

    def run(self) -> Steps:
        """The whole job; ``Submitted`` marks the end of submitting."""
        self._open()
        st = self.state
        if st is None:
            st = yield from self._plan()
        if st is not None and not st.finished:
            if self.resumed:
                yield from self._reconcile(st)
            yield from self._submit_ready(st)
        yield Submitted()
        while st is not None and not st.finished:
            yield from self._poll_all(st)
            yield from self._submit_ready(st)
            if not any(p.in_flight for p in st.parts):
                self._drop_unsent(st)
                if any(p.status == "waiting" for p in st.parts):
                    yield Sleep(self._quota_wait)
                    continue
                if st.pending:
                    yield from self._next_round(st)
                    continue
                self._finish(st)
                self._report()
                return
            self._report()
            yield Sleep(self._interval())
        self._cleanup()

    def load(self) -> JobState | None:
        """The saved job that these settings continue, if any (``wom batches``)."""
        self._open()
        return self.state

    def refresh(self) -> Steps:
        """Poll every live batch once (no collecting)."""
        for part in self.state.parts if self.state else []:
            if part.in_flight and part.status not in ENDED:
                self._update(part, (yield Retrieve(part.batch_id or "")))
        self._save()

    def _open(self) -> None:
        st = self.store.load()
        if st is not None and not st.finished:
            problem = self._mismatch(st)
            if problem and st.live:
                raise ConfigurationError(
                    f"{self.store.path} holds a batch job that is still running with other "
                    f"settings ({problem}): run with the same settings to continue it, or "
                    f"cancel it first (`wom batches {_output_name(self.store)} --cancel`)")
            if not problem:
                self.state = st
                self.resumed = True
                self._dialogues(Mode(st.mode))

    def _mismatch(self, st: JobState) -> str:
        a, s = self.analyzer, self.settings
        wanted = {"endpoint": a._settings.endpoint, "model": a.model,
                  "batch model": s.batch_model or a.model, "pack": s.pack, "retry": s.retry}
        had = {"endpoint": st.endpoint, "model": st.model, "batch model": st.batch_model,
               "pack": st.pack, "retry": st.retry}
        return ", ".join(f"{k} {had[k]!r} there, {v!r} now" for k, v in wanted.items()
                         if had[k] != v)

    def _reconcile(self, st: JobState) -> Steps:
        """After a kill: adopt the files and batches created but not yet recorded."""
        since = int(st.created_at) - 3600
        if any(p.file_id is None and p.status == "planned" for p in st.parts):
            uploaded: dict[str, str] = yield FindFiles(f"wom-{st.run}-", since)
            for p in st.parts:
                if p.file_id is None and p.filename in uploaded:
                    p.file_id, p.status = uploaded[p.filename], "uploaded"
        if any(p.batch_id is None and p.status == "uploaded" for p in st.parts):
            batches: dict[str, dict[str, Any]] = yield FindBatches(st.run, since)
            for p in st.parts:
                found = batches.get(part_key(p))
                if p.batch_id is None and p.status == "uploaded" and found is not None:
                    p.attempts += 1
                    p.batch_id = found["id"]
                    self._update(p, found)
        refused = [p for p in st.parts if p.status == "failed" and p.batch_id is not None]
        for p in refused:
            p.status = "collected"  # nothing to collect: its reviews are planned again below
        if refused:
            # Refused last time (a file too large, a deployment missing): plan those reviews
            # again with this run's settings, which may be what changed.
            self._follow_up(st, self._open_units(u for p in refused for u in p.units),
                            next_round=False)
        self._save()

    def _submit_ready(self, st: JobState) -> Steps:
        if st.cancel_requested:
            return
        limit = st.max_enqueued_tokens or self._learned_limit
        queued = sum(p.tokens for p in st.parts if p.in_flight and p.status not in ENDED)
        for part in st.parts:
            if part.status not in ("planned", "uploaded", "waiting"):
                continue
            if limit is not None and queued and queued + part.tokens > limit:
                return  # the provider would refuse it: wait for queued tokens to clear
            yield from self._submit(st, part)
            queued += part.tokens

    def _submit(self, st: JobState, part: Part) -> Steps:
        path = self._workdir() / f".{part.filename}"
        if part.file_id is None:
            if not path.exists() or _sha256(path) != part.sha256:
                self._rewrite(st, part)
            part.file_id = yield Upload(path, part.filename)
            part.status = "uploaded"
            self._save()
        metadata = {**self.settings.metadata, "wom_run": st.run, "wom_part": part_key(part),
                    "wom_round": str(part.round)}
        batch = yield Create(part.file_id, metadata, int(st.created_at) - 3600)
        part.attempts += 1
        part.batch_id = batch["id"]
        self._update(part, batch)
        self._save()
        path.unlink(missing_ok=True)

    def _next_round(self, st: JobState) -> Steps:
        units = self._open_units(st.pending)
        st.pending = []
        if st.cancel_requested:
            self._fail(units, BatchAPIError("the batch job was cancelled before this review "
                                            "ran", code="batch_cancelled"))
        elif st.retry == "online":
            records = self._records(units)
            self._count("online_reruns", sum(len(u.ids) for u in units))
            assert self.dialogues is not None
            yield Online([(u, [records[i] for i in u.ids]) for u in units], self.dialogues,
                         self._emit, self.settings.max_concurrency)
        else:
            spent = [u for u in units if u.tries > st.retry_rounds]
            self._fail(spent, None)
            units = [u for u in units if u.tries <= st.retry_rounds]
            if units:
                self._follow_up(st, units)
        self._save()

    def _drop_unsent(self, st: JobState) -> None:
        """Files never submitted because the job was cancelled: their reviews end here."""
        for part in st.parts:
            if part.status in ("planned", "uploaded", "waiting") and st.cancel_requested:
                self._fail(self._open_units(part.units), BatchAPIError(
                    "the batch job was cancelled before this review was submitted",
                    code="batch_cancelled"))
                part.status = "collected"

    def _finish(self, st: JobState) -> None:
        st.finished = True
        self._save()
        self._cleanup()

    def _interval(self) -> float:
        if self.settings.poll_interval is not None:
            return self.settings.poll_interval
        wait, self._poll = self._poll, min(POLL_MAX, self._poll * 1.5)
        return wait


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _output_name(store: StateStore) -> str:
    name = store.path.name if store.path is not None else "OUT.jsonl"
    return name.removesuffix(".batch.json")
