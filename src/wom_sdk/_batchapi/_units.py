"""One unit's dialogue through the analyzer's own core: no second pipeline for batches.

A unit (one review, or a pack) is prepared exactly as the online path prepares
it (``AnalyzerCore._prepare`` / ``_prepare_pack``: cleaning, redaction, the
prompt), its first request is ``next(converse(call, memory))``, and an answer
read from an output file goes through ``response_from_completion`` ->
``advance`` -> ``_finish``: the same validation, grounding, re-asks and reply
checks. The output mode is fixed for the whole job (``EndpointMemory(mode)``):
a batch cannot probe, so the mode was confirmed online first.

A later round continues a dialogue by replaying the answers it already had
(``Unit.history``): the re-ask request that follows is the one the online path
would send.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._batch import PackAnswer, error_info
from .._core import AnalyzerCore, Pack, Prepared
from .._exceptions import OutputError, WomError
from .._llm import (
    ChatRequest,
    ChatResponse,
    EndpointMemory,
    Mode,
    TaskOutcome,
    advance,
    converse,
    response_from_completion,
)
from ..types import BatchResult, ReviewInsight, ReviewRecord
from ._state import Unit

__all__ = ["Dialogue", "Dialogues", "Fed"]

Conversation = Generator[ChatRequest, ChatResponse, TaskOutcome]


@dataclass
class Dialogue:
    """A unit, prepared, with its conversation at the request to send next."""

    unit: Unit
    records: list[ReviewRecord]
    prep: Prepared | None
    pack: Pack | None
    gen: Conversation
    step: ChatRequest | TaskOutcome
    first: ChatRequest


@dataclass
class Fed:
    """What an answer (or its absence) made of a unit: results, and units to send again."""

    results: list[BatchResult] = field(default_factory=list)
    again: list[Unit] = field(default_factory=list)
    #: the answer's usage, when there was one
    answer: ChatResponse | None = None


class Dialogues:
    """Starts, continues and finishes units for one job."""

    def __init__(self, core: AnalyzerCore, mode: Mode, *, batch_model: str,
                 brand_voice: str | None, categories: Sequence[str] | None) -> None:
        self.core = core
        self.mode = mode
        self.batch_model = batch_model
        self.brand_voice = brand_voice
        self.categories = categories
        # Forced and confirmed: converse never probes (probing=False) inside a batch.
        self.memory = EndpointMemory(mode)

    def start(self, unit: Unit, records: list[ReviewRecord]) -> Dialogue:
        """Prepare the unit and replay the answers it already had."""
        prep: Prepared | None = None
        pack: Pack | None = None
        if len(records) == 1:
            r = records[0]
            prep = self.core._prepare("analyze", r.text, product=r.product, rating=r.rating,
                                      brand_voice=self.brand_voice, categories=self.categories)
            call = prep.call
        else:
            pack = self.core._prepare_pack(records, brand_voice=self.brand_voice,
                                           categories=self.categories)
            call = pack.call
        assert call is not None
        gen = converse(call, self.memory)
        first = advance(gen)
        assert isinstance(first, ChatRequest)
        step: ChatRequest | TaskOutcome = first
        for answer in unit.history:
            step = advance(gen, ChatResponse.from_json(answer, cached=False))
        return Dialogue(unit, records, prep, pack, gen, step, first)

    def body(self, request: ChatRequest) -> dict[str, Any]:
        """The request as a batch line sends it: the batch deployment as the model."""
        return {**request.params, "model": self.batch_model}

    def feed(self, d: Dialogue, completion: dict[str, Any], batch_id: str | None) -> Fed:
        """One answer from an output file, through validation and grounding."""
        try:
            resp = response_from_completion(completion, {})
        except WomError as e:  # a body without choices: as if it had not come
            return self.failed(d, e)
        try:
            step = advance(d.gen, resp)
        except OutputError as e:
            fed = self._output_error(d, e)
            fed.answer = resp
            return fed
        if isinstance(step, ChatRequest):
            again = Unit(d.unit.ids, d.unit.digest, [*d.unit.history, resp.to_json()])
            return Fed(again=[again], answer=resp)
        fed = self.finish(d, step, {"batch_id": batch_id} if batch_id else None)
        fed.answer = resp
        return fed

    def failed(self, d: Dialogue, error: WomError, *, retry: bool = True) -> Fed:
        """No answer: the unit goes again (``retry``), or ends with ``error``."""
        if retry:
            unit = Unit(d.unit.ids, d.unit.digest, d.unit.history, d.unit.tries + 1,
                        _info(error))
            return Fed(again=[unit])
        return Fed(results=[_failure(r, error) for r in d.records])

    def finish_one(self, d: Dialogue, outcome: TaskOutcome) -> ReviewInsight:
        assert d.prep is not None
        insight: ReviewInsight = self.core._finish(d.prep, outcome)
        return insight

    def finish_pack(self, d: Dialogue, outcome: TaskOutcome) -> PackAnswer:
        """Insights by id, and the reviews that could not be sent (``_batch.PackAnswer``)."""
        assert d.pack is not None
        return self.core._finish_pack(d.pack, outcome), d.pack.invalid

    def finish(self, d: Dialogue, outcome: TaskOutcome,
               extra: dict[str, Any] | None = None) -> Fed:
        """The results of a finished dialogue; a pack's unanswered reviews go again, alone."""
        if d.prep is not None:
            return Fed(results=[_success(d.records[0], self.finish_one(d, outcome), extra)])
        assert d.pack is not None
        got, _ = self.finish_pack(d, outcome)
        by_id = {r.id: r for r in d.records}
        fed = Fed(results=[_success(by_id[i], got[i], extra) for i in d.unit.ids if i in got])
        fed.results += [_failure(by_id[i], e) for i, e in d.pack.invalid.items()]
        fed.again = [Unit([i]) for i in d.unit.ids if i not in got and i not in d.pack.invalid]
        return fed

    def _output_error(self, d: Dialogue, error: OutputError) -> Fed:
        if d.pack is not None:
            # A pack the model could not answer: its reviews go again one by one,
            # as the online path does (``_batch._pack_fallback``).
            return Fed(again=[Unit([i]) for i in d.unit.ids])
        return Fed(results=[_failure(d.records[0], error)])


def _info(error: WomError) -> dict[str, Any]:
    return error_info(error).model_dump()


def _success(record: ReviewRecord, insight: ReviewInsight,
             extra: dict[str, Any] | None) -> BatchResult:
    if extra:
        insight = insight.model_copy(update={"extra": {**insight.extra, **extra}})
    return BatchResult(id=record.id, record=record, insight=insight)


def _failure(record: ReviewRecord, error: BaseException) -> BatchResult:
    return BatchResult(id=record.id, record=record, error=error_info(error))
