"""Steps 1 and 2 of a job: the output mode, and the request lines in their files."""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator, Iterator
from typing import Any

from .._batch import plan_units
from .._exceptions import APIError, BatchAPIError, InvalidReviewError, WomError
from .._llm import ChatRequest, Mode
from ..types import BatchResult, ReviewRecord
from ._base import JobBase, changed, failure
from ._limits import limits_for
from ._lines import PartWriter, body_bytes
from ._ops import Op, Probe
from ._state import JobState, Part, Unit
from ._units import Dialogues

__all__ = ["PlanSteps"]

#: Reviews tried online to find the output mode before giving up.
_PROBES = 3


class PlanSteps(JobBase):
    """Find the output mode; turn reviews into request lines, in files within the limits."""

    def _dialogues(self, mode: Mode) -> Dialogues:
        s = self.settings
        self.dialogues = Dialogues(self.analyzer, mode, batch_model=s.batch_model or
                                   self.analyzer.model, brand_voice=s.brand_voice,
                                   categories=s.categories)
        return self.dialogues

    def _plan(self) -> Generator[Op, Any, JobState | None]:
        todo = (r for r in self.source.records() if r.id not in self.done)
        mode = yield from self._mode(todo)
        if mode is None:
            return None  # nothing left to analyze
        dialogues = self._dialogues(mode)
        a, s = self.analyzer, self.settings
        st = JobState(run=uuid.uuid4().hex[:16], created_at=time.time(),
                      endpoint=a._settings.endpoint, model=a.model,
                      batch_model=s.batch_model or a.model, pack=s.pack, mode=mode.value,
                      retry=s.retry, retry_rounds=s.retry_rounds,
                      max_enqueued_tokens=s.max_enqueued_tokens)
        self.state = st
        writer = self._writer(st, 1)
        try:
            for group in plan_units(enumerate(todo), s.pack):
                for unit, d in self._start_group([r for _, r in group], dialogues):
                    self._add(writer, unit, d.step)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        st.parts = writer.parts
        if not st.parts:
            st.finished = True
        self._save()
        return st

    def _mode(self, todo: Iterator[ReviewRecord]) -> Generator[Op, Any, Mode | None]:
        """The output mode: known, forced, or found by analyzing reviews online."""
        key = (self.analyzer._settings.endpoint, self.analyzer.model)
        tries = 0
        while tries < _PROBES:
            mode, confirmed = self.analyzer._memory.get(key)
            if confirmed:
                return mode
            record = next(todo, None)
            if record is None:
                return None
            result: BatchResult | WomError = yield Probe(record, self.settings.brand_voice,
                                                         self.settings.categories)
            if isinstance(result, APIError):
                raise result  # the endpoint is not usable: nothing was created
            if isinstance(result, WomError):
                self._emit(failure(record, result))
                # An empty review never reached the endpoint: it says nothing of the mode.
                tries += not isinstance(result, InvalidReviewError)
                continue
            self._emit(result)
            self.stats["online_probe"] = self.stats.get("online_probe", 0) + 1
            assert result.insight is not None
            used = result.insight.extra.get("structured_output")
            if used in {m.value for m in Mode}:
                return Mode(used)
        raise BatchAPIError(f"could not find an output mode that works with {key[1]} at "
                            f"{key[0]}: the first {_PROBES} reviews failed online; set "
                            "structured_output= to the mode the endpoint supports",
                            code="no_mode")

    def _start_group(self, records: list[ReviewRecord], dialogues: Dialogues
                     ) -> Iterator[tuple[Unit, Any]]:
        """The units of one planned group: a pack, or single reviews (invalid ones reported)."""
        try:
            d = dialogues.start(Unit([r.id for r in records]), records)
        except InvalidReviewError as e:
            self._emit(failure(records[0], e))
            return
        if d.pack is not None:
            for rid, err in d.pack.invalid.items():
                self._emit(failure(next(r for r in records if r.id == rid), err))
            ids = [d.pack.real_ids[alias] for alias in d.pack.items]
            if len(ids) > 1:
                yield Unit(ids), d
                return
            records = [r for r in records if r.id in ids]
            for r in records:  # one review left: it goes alone, as online
                yield Unit([r.id]), dialogues.start(Unit([r.id]), [r])
            return
        yield d.unit, d

    def _writer(self, st: JobState, round_: int) -> PartWriter:
        limits = limits_for(self.analyzer.base_url)
        per_file = min(self.settings.max_requests_per_file or limits.max_requests,
                       limits.max_requests)
        first = max((p.number for p in st.parts), default=0) + 1
        return PartWriter(self._workdir(), st.run, round_, first, max_requests=per_file,
                          max_bytes=limits.max_bytes, max_tokens=st.max_enqueued_tokens)

    def _add(self, writer: PartWriter, unit: Unit, request: Any) -> None:
        assert self.dialogues is not None
        assert isinstance(request, ChatRequest)
        body = body_bytes(self.dialogues.body(request))
        tokens = request.estimated_tokens - int(request.params.get("max_tokens") or 0)
        writer.add(unit, body, max(tokens, 1))

    def _rewrite(self, st: JobState, part: Part) -> None:
        """The input file again, from the reviews (it went with a temporary folder)."""
        assert self.dialogues is not None
        records = self._records(part.units)
        writer = PartWriter(self._workdir(), st.run, part.round, part.number,
                            max_requests=len(part.units), max_bytes=2**62, max_tokens=None)
        for unit in part.units:
            d = self.dialogues.start(unit, [records[i] for i in unit.ids])
            self._add(writer, Unit(unit.ids), d.step)
        writer.close()
        if [p.sha256 for p in writer.parts] != [part.sha256]:
            writer.abort()
            raise changed(self.store)

    def _follow_up(self, st: JobState, units: list[Unit], *, next_round: bool = True) -> None:
        """New input files for these units' next requests (a new round, or this one again)."""
        assert self.dialogues is not None
        records = self._records(units)
        round_ = st.round + 1 if next_round else st.round
        writer = self._writer(st, round_)
        for unit in units:
            d = self.dialogues.start(unit, [records[i] for i in unit.ids])
            if isinstance(d.step, ChatRequest):
                self._add(writer, unit, d.step)
            else:  # cannot happen: a history ends in a re-ask
                self._apply(st, self.dialogues.finish(d, d.step))
        writer.close()
        st.round = round_
        st.parts += writer.parts
        self._save()
