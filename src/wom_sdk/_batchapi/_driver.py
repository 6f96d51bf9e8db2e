"""The I/O of a batch job: each ``_ops`` operation with the analyzer's openai client.

Every call goes through the analyzer's ``RetryPolicy`` (``_retry.tenacity_kwargs``)
and its errors become ours (``_llm.map_openai_error``). Creating a batch is the
one call that is not idempotent (the openai client sends no idempotency key):
before each retry of ``batches.create`` the driver lists the batches and adopts
the one a lost answer had created (found by the ``metadata`` the job sets).

``SyncDriver`` and ``AsyncDriver`` are twins: the same methods, one waiting with
threads and ``time.sleep``, the other with ``await``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, Protocol

from .._batch import PackAnswer, aiter_units, iter_units
from .._exceptions import APIStatusError, WomError
from .._llm import ChatRequest, Conversation, TaskOutcome, map_openai_error
from .._retry import RetryPolicy, get_testing, tenacity_kwargs
from ..types import BatchResult, ReviewInsight, ReviewRecord
from ._limits import CHAT_ENDPOINT, COMPLETION_WINDOW
from ._ops import (
    Cancel,
    Create,
    Download,
    FindBatches,
    FindFiles,
    Online,
    Op,
    Probe,
    Retrieve,
    Sleep,
    Submitted,
    Upload,
)
from ._state import Unit
from ._units import Dialogue

__all__ = ["AsyncAnalyzer", "AsyncDriver", "Run", "SyncAnalyzer", "SyncDriver"]

#: Listing pages: as large as each list allows (files: 10,000; batches: 100).
_FILES_PAGE, _BATCHES_PAGE = 1000, 100


class SyncAnalyzer(Protocol):
    """What the sync driver uses of ``ReviewAnalyzer``."""

    _retry: RetryPolicy

    def _get_client(self) -> Any: ...
    def _drive(self, gen: Conversation, step: ChatRequest | TaskOutcome) -> TaskOutcome: ...
    def _rate_known(self) -> bool: ...
    def analyze(self, text: str, *, product: str | None = ..., rating: float | None = ...,
                brand_voice: str | None = ..., categories: Sequence[str] | None = ...,
                ) -> ReviewInsight: ...


class AsyncAnalyzer(Protocol):
    """What the async driver uses of ``AsyncReviewAnalyzer``."""

    _retry: RetryPolicy

    def _get_client(self) -> Any: ...
    async def _drive(self, gen: Conversation, step: ChatRequest | TaskOutcome
                     ) -> TaskOutcome: ...
    def _rate_known(self) -> bool: ...
    async def analyze(self, text: str, *, product: str | None = ...,
                      rating: float | None = ..., brand_voice: str | None = ...,
                      categories: Sequence[str] | None = ...) -> ReviewInsight: ...


class Run:
    """A job's generator between calls: what to send it next, and whether it has ended."""

    def __init__(self, steps: Generator[Op, Any, None]) -> None:
        self.steps = steps
        self.ended = False
        #: what ended the job, if it did not finish: raised again at every call
        self.error: BaseException | None = None
        self._value: Any = None
        self._thrown: BaseException | None = None

    def next(self) -> Op | None:
        """The next operation, or None once the job has ended."""
        if self.error is not None:
            raise self.error
        if self.ended:
            return None
        try:
            if self._thrown is not None:
                error, self._thrown = self._thrown, None
                return self.steps.throw(error)
            value, self._value = self._value, None
            return self.steps.send(value)
        except StopIteration:
            self.ended = True
            return None
        except Exception as e:
            self.ended, self.error = True, e
            raise

    def next_to_do(self, stop_at_submitted: bool) -> Op | None:
        """The next operation a driver carries out (``Submitted`` needs none); None once
        the job has ended, or at ``Submitted`` if ``stop_at_submitted`` (``ended`` says which).
        """
        while (op := self.next()) is not None:
            if not isinstance(op, Submitted):
                return op
            if stop_at_submitted:
                return None
        return None

    def answer(self, value: Any) -> None:
        self._value = value

    def fail(self, error: BaseException) -> None:
        """Raise ``error`` inside the job, where the operation was asked for."""
        self._thrown = error


def _sleep_for(op: Sleep, deadline: float | None) -> float:
    if deadline is not None and time.monotonic() + op.seconds > deadline:
        raise TimeoutError("the batch job is not finished yet; call wait() again to go on")
    return 0.0 if get_testing() is not None else op.seconds


def _mapped(e: Exception) -> BaseException:
    return map_openai_error(e) or e


def _ended_already(e: APIStatusError) -> bool:
    """A cancel refused because the batch had ended already: not an error."""
    return e.status_code in (400, 409)


def _metadata(batch: Any) -> dict[str, str]:
    return dict(getattr(batch, "metadata", None) or {})


def _part_of(run: str, batch: Any) -> str | None:
    meta = _metadata(batch)
    return meta.get("wom_part") if meta.get("wom_run") == run else None


def _result(record: ReviewRecord, insight: ReviewInsight) -> BatchResult:
    return BatchResult(id=record.id, record=record, insight=insight)


class _OnlineUnits:
    """An ``Online`` operation's units as ``iter_units`` takes them, and each one's dialogue."""

    def __init__(self, op: Online) -> None:
        self.grouped: list[list[tuple[int, ReviewRecord]]] = []
        self._by_ids: dict[tuple[str, ...], Unit] = {}
        self._dialogues = op.dialogues
        n = 0
        for unit, records in op.units:
            self._by_ids[tuple(unit.ids)] = unit
            self.grouped.append([(n + k, r) for k, r in enumerate(records)])
            n += len(records)

    def start_one(self, record: ReviewRecord) -> Dialogue:
        # A review of a pack the model could not answer goes on as a unit of its own.
        unit = self._by_ids.get((record.id,), Unit([record.id]))
        return self._dialogues.start(unit, [record])

    def start_pack(self, records: Sequence[ReviewRecord]) -> Dialogue:
        return self._dialogues.start(self._by_ids[tuple(r.id for r in records)], list(records))


class SyncDriver:
    """Carries out a job's operations for ``ReviewAnalyzer`` (blocking)."""

    def __init__(self, analyzer: SyncAnalyzer) -> None:
        self.analyzer = analyzer

    def run(self, run: Run, *, stop_at_submitted: bool = False,
            deadline: float | None = None) -> bool:
        """Go on until the job ends (True), or until ``Submitted`` (False)."""
        while (op := run.next_to_do(stop_at_submitted)) is not None:
            if isinstance(op, Sleep):
                time.sleep(_sleep_for(op, deadline))
                continue
            try:
                run.answer(self.do(op))
            except WomError as e:
                run.fail(e)
        return run.ended

    def _call(self, fn: Callable[[], Any]) -> Any:
        import tenacity

        for attempt in tenacity.Retrying(**tenacity_kwargs(self.analyzer._retry)):
            with attempt:
                try:
                    result = fn()
                except Exception as e:
                    raise _mapped(e) from e
        return result

    def do(self, op: Op) -> Any:
        client = self.analyzer._get_client()
        if isinstance(op, Upload):
            def upload() -> str:
                with op.path.open("rb") as fh:
                    return str(client.files.create(file=(op.filename, fh, "application/jsonl"),
                                                   purpose="batch").id)
            return self._call(upload)
        if isinstance(op, Create):
            return self._create(client, op)
        if isinstance(op, Retrieve):
            return self._call(lambda: client.batches.retrieve(op.batch_id).model_dump())
        if isinstance(op, Cancel):
            try:
                return self._call(lambda: client.batches.cancel(op.batch_id).model_dump())
            except APIStatusError as e:
                if _ended_already(e):
                    return None
                raise
        if isinstance(op, Download):
            def download() -> None:
                with client.files.with_streaming_response.content(op.file_id) as resp, \
                        op.dest.open("wb") as fh:
                    for chunk in resp.iter_bytes():
                        fh.write(chunk)
            return self._call(download)
        if isinstance(op, FindFiles):
            return self._call(lambda: self._find_files(client, op))
        if isinstance(op, FindBatches):
            return self._call(lambda: self._find_batches(client, op.run, op.since))
        if isinstance(op, Probe):
            try:
                return _result(op.record, self.analyzer.analyze(
                    op.record.text, product=op.record.product, rating=op.record.rating,
                    brand_voice=op.brand_voice, categories=op.categories))
            except WomError as e:
                return e
        assert isinstance(op, Online)
        return self._online(op)

    def _create(self, client: Any, op: Create) -> dict[str, Any]:
        import tenacity

        run, part = op.metadata["wom_run"], op.metadata["wom_part"]
        for attempt in tenacity.Retrying(**tenacity_kwargs(self.analyzer._retry)):
            with attempt:
                try:
                    if attempt.retry_state.attempt_number > 1:
                        found = self._find_batches(client, run, op.since).get(part)
                        if found is not None:
                            return found  # the lost answer's batch: do not pay twice
                    batch = client.batches.create(
                        input_file_id=op.file_id, endpoint=CHAT_ENDPOINT,
                        completion_window=COMPLETION_WINDOW, metadata=op.metadata)
                except Exception as e:
                    raise _mapped(e) from e
        return dict(batch.model_dump())

    @staticmethod
    def _find_files(client: Any, op: FindFiles) -> dict[str, str]:
        found: dict[str, str] = {}
        for f in client.files.list(purpose="batch", order="desc", limit=_FILES_PAGE):
            if f.created_at < op.since:
                break
            if f.filename.startswith(op.prefix):
                found.setdefault(f.filename, f.id)
        return found

    @staticmethod
    def _find_batches(client: Any, run: str, since: int) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for b in client.batches.list(limit=_BATCHES_PAGE):
            if b.created_at < since:
                break
            part = _part_of(run, b)
            if part is not None:
                found.setdefault(part, b.model_dump())
        return found

    def _online(self, op: Online) -> None:
        units, dialogues, drive = _OnlineUnits(op), op.dialogues, self.analyzer._drive

        def one(record: ReviewRecord) -> ReviewInsight:
            d = units.start_one(record)
            return dialogues.finish_one(d, drive(d.gen, d.step))

        def pack(records: Sequence[ReviewRecord]) -> PackAnswer:
            d = units.start_pack(records)
            return dialogues.finish_pack(d, drive(d.gen, d.step))

        for _, result in iter_units(units.grouped, analyze_one=one, analyze_pack=pack,
                                    rate_known=self.analyzer._rate_known,
                                    max_concurrency=op.max_concurrency):
            op.emit(result)


class AsyncDriver:
    """Async twin of ``SyncDriver`` for ``AsyncReviewAnalyzer``."""

    def __init__(self, analyzer: AsyncAnalyzer) -> None:
        self.analyzer = analyzer

    async def run(self, run: Run, *, stop_at_submitted: bool = False,
                  deadline: float | None = None) -> bool:
        """Go on until the job ends (True), or until ``Submitted`` (False)."""
        while (op := run.next_to_do(stop_at_submitted)) is not None:
            if isinstance(op, Sleep):
                await asyncio.sleep(_sleep_for(op, deadline))
                continue
            try:
                run.answer(await self.do(op))
            except WomError as e:
                run.fail(e)
        return run.ended

    async def _call(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        import tenacity

        async for attempt in tenacity.AsyncRetrying(**tenacity_kwargs(self.analyzer._retry)):
            with attempt:
                try:
                    result = await fn()
                except Exception as e:
                    raise _mapped(e) from e
        return result

    async def do(self, op: Op) -> Any:
        client = self.analyzer._get_client()
        if isinstance(op, Upload):
            async def upload() -> str:
                with op.path.open("rb") as fh:
                    created = await client.files.create(
                        file=(op.filename, fh, "application/jsonl"), purpose="batch")
                return str(created.id)
            return await self._call(upload)
        if isinstance(op, Create):
            return await self._create(client, op)
        if isinstance(op, Retrieve):
            async def retrieve() -> dict[str, Any]:
                return dict((await client.batches.retrieve(op.batch_id)).model_dump())
            return await self._call(retrieve)
        if isinstance(op, Cancel):
            async def cancel() -> dict[str, Any]:
                return dict((await client.batches.cancel(op.batch_id)).model_dump())
            try:
                return await self._call(cancel)
            except APIStatusError as e:
                if _ended_already(e):
                    return None
                raise
        if isinstance(op, Download):
            async def download() -> None:
                async with client.files.with_streaming_response.content(op.file_id) as resp:
                    with op.dest.open("wb") as fh:
                        async for chunk in resp.iter_bytes():
                            fh.write(chunk)
            return await self._call(download)
        if isinstance(op, FindFiles):
            return await self._call(lambda: self._find_files(client, op))
        if isinstance(op, FindBatches):
            return await self._call(lambda: self._find_batches(client, op.run, op.since))
        if isinstance(op, Probe):
            try:
                return _result(op.record, await self.analyzer.analyze(
                    op.record.text, product=op.record.product, rating=op.record.rating,
                    brand_voice=op.brand_voice, categories=op.categories))
            except WomError as e:
                return e
        assert isinstance(op, Online)
        return await self._online(op)

    async def _create(self, client: Any, op: Create) -> dict[str, Any]:
        import tenacity

        run, part = op.metadata["wom_run"], op.metadata["wom_part"]
        async for attempt in tenacity.AsyncRetrying(**tenacity_kwargs(self.analyzer._retry)):
            with attempt:
                try:
                    if attempt.retry_state.attempt_number > 1:
                        found = (await self._find_batches(client, run, op.since)).get(part)
                        if found is not None:
                            return found
                    batch = await client.batches.create(
                        input_file_id=op.file_id, endpoint=CHAT_ENDPOINT,
                        completion_window=COMPLETION_WINDOW, metadata=op.metadata)
                except Exception as e:
                    raise _mapped(e) from e
        return dict(batch.model_dump())

    @staticmethod
    async def _find_files(client: Any, op: FindFiles) -> dict[str, str]:
        found: dict[str, str] = {}
        async for f in client.files.list(purpose="batch", order="desc", limit=_FILES_PAGE):
            if f.created_at < op.since:
                break
            if f.filename.startswith(op.prefix):
                found.setdefault(f.filename, f.id)
        return found

    @staticmethod
    async def _find_batches(client: Any, run: str, since: int) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        async for b in client.batches.list(limit=_BATCHES_PAGE):
            if b.created_at < since:
                break
            part = _part_of(run, b)
            if part is not None:
                found.setdefault(part, b.model_dump())
        return found

    async def _online(self, op: Online) -> None:
        units, dialogues, drive = _OnlineUnits(op), op.dialogues, self.analyzer._drive

        async def one(record: ReviewRecord) -> ReviewInsight:
            d = units.start_one(record)
            return dialogues.finish_one(d, await drive(d.gen, d.step))

        async def pack(records: Sequence[ReviewRecord]) -> PackAnswer:
            d = units.start_pack(records)
            return dialogues.finish_pack(d, await drive(d.gen, d.step))

        async for _, result in aiter_units(units.grouped, analyze_one=one, analyze_pack=pack,
                                           rate_known=self.analyzer._rate_known,
                                           max_concurrency=op.max_concurrency):
            op.emit(result)
