"""Many reviews at once: ordering, per-item errors, packing, bounded concurrency.

The drivers know no analyzer: they are given callables (analyze one record,
analyze a pack of records, is a rate known yet) and return (input index,
result) pairs. The pure parts (turning inputs into records, grouping short
reviews into packs, turning an exception into an ``ErrorInfo``) are shared; the
two drivers differ only in how they wait: threads for ``ReviewAnalyzer`` (so the
sync API works inside a notebook's running event loop), tasks for
``AsyncReviewAnalyzer``.

Stopping: each driver has a cancel event (the caller's ``cancel=``, or its
own), made current around each unit of work (``_retry.cancelling``). Once it
is set, no unit starts and no request leaves; reviews not yet sent yield no
result (``RequestCancelled``), and the requests in flight finish. The driver
sets it itself when the caller stops iterating or an exception (Ctrl-C) ends
the batch, so that workers asleep in the rate limiter never send after that.

An item that is not a review (``None`` from a generator, a number) is that
item's error (``invalid_review``), in its place: the rest of the batch goes on.

With a ``Budget``, a request that would pass it is not sent (``BudgetExhausted``):
the unit it belongs to ends without results (like a cancelled one), and no new
unit is started.

Concurrency is not a fixed guess: the shared rate limiter decides when each
request starts, and the number of reviews in flight is only capped
(``max_concurrency``). Until the limiter knows a rate (configured, or learned
from the first response's headers) few requests go out, so an unknown
provider limit is not hit by a burst.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextvars
import threading
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any

from ._exceptions import APIError, InvalidReviewError, OutputError, WomError
from ._pricing import Budget, BudgetExhausted
from ._retry import RequestCancelled, cancelling
from .io._columns import TEXT_COLUMNS
from .types import BatchResult, ErrorInfo, ReviewInsight, ReviewRecord

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "PACK_MAX_CHARS",
    "AnalyzeOne",
    "AnalyzePack",
    "AsyncAnalyzeOne",
    "AsyncAnalyzePack",
    "PackAnswer",
    "ReviewInput",
    "Unit",
    "aiter_batch",
    "aiter_units",
    "error_info",
    "in_order",
    "iter_batch",
    "iter_units",
    "plan_units",
    "to_record",
]

ReviewInput = str | ReviewRecord | Mapping[str, Any]
Unit = list[tuple[int, ReviewRecord]]
#: A pack's answer: insights by review id, and the reviews that could not be sent (by id).
#: Reviews in neither were not answered: they are analyzed one by one.
PackAnswer = tuple[dict[str, ReviewInsight], dict[str, InvalidReviewError]]
AnalyzeOne = Callable[[ReviewRecord], ReviewInsight]
AnalyzePack = Callable[[Sequence[ReviewRecord]], PackAnswer]
AsyncAnalyzeOne = Callable[[ReviewRecord], Awaitable[ReviewInsight]]
AsyncAnalyzePack = Callable[[Sequence[ReviewRecord]], Awaitable[PackAnswer]]

#: Upper bound of reviews in flight; the rate limiter sets the real pace.
DEFAULT_MAX_CONCURRENCY = 64
#: In flight while no rate limit is known yet (first responses teach it).
WARMUP_CONCURRENCY = 4
#: Only reviews up to this length are packed; long ones go alone.
PACK_MAX_CHARS = 600

_TEXT_KEYS = TEXT_COLUMNS
_KNOWN = frozenset({"id", "product", "rating", "date", *_TEXT_KEYS})


def to_record(item: ReviewInput, index: int) -> ReviewRecord:
    """A ``ReviewRecord`` from a string, a record, or a mapping (id made from the index)."""
    if isinstance(item, ReviewRecord):
        return item
    if isinstance(item, str):
        return ReviewRecord(id=str(index), text=item)
    if isinstance(item, Mapping):
        text = next((item[k] for k in _TEXT_KEYS if item.get(k) is not None), "")
        rid = item.get("id")
        rating = item.get("rating")
        try:
            rating_value = float(rating) if rating not in (None, "") else None
        except (TypeError, ValueError):
            rating_value = None
        return ReviewRecord(
            id=str(rid) if rid not in (None, "") else str(index),
            text=str(text),
            product=str(item["product"]) if item.get("product") not in (None, "") else None,
            rating=rating_value,
            date=str(item["date"]) if item.get("date") not in (None, "") else None,
            extra={k: v for k, v in item.items() if k not in _KNOWN},
        )
    raise TypeError(f"review {index} is {type(item).__name__}, not a str, ReviewRecord or "
                    "mapping")


def _records(reviews: Iterable[ReviewInput], rejected: list[tuple[int, BatchResult]],
             ) -> Iterator[tuple[int, ReviewRecord]]:
    """(index, record) pairs; an item that is not a review goes to ``rejected`` as its error."""
    for i, x in enumerate(reviews):
        try:
            yield i, to_record(x, i)
        except (TypeError, ValueError) as e:
            placeholder = ReviewRecord(id=str(i), text="")
            info = ErrorInfo(kind=InvalidReviewError.kind, type=type(e).__name__,
                             message=str(e)[:500])
            rejected.append((i, BatchResult(id=placeholder.id, record=placeholder, error=info)))


def error_info(exc: BaseException) -> ErrorInfo:
    """A serializable description of why one review failed."""
    if isinstance(exc, WomError):
        return ErrorInfo.model_validate(exc.to_dict())
    # Not ours: a bug or an unexpected library error. Still one item's problem.
    return ErrorInfo(kind="internal", type=type(exc).__name__, message=str(exc)[:500])


def plan_units(records: Iterable[tuple[int, ReviewRecord]], pack: int) -> Iterator[Unit]:
    """Group short reviews into packs of up to ``pack``; long ones go alone. Streams."""
    if pack <= 1:
        for pair in records:
            yield [pair]
        return
    current: Unit = []
    for pair in records:
        if len(pair[1].text) > PACK_MAX_CHARS:
            yield [pair]
            continue
        current.append(pair)
        if len(current) >= pack:
            yield current
            current = []
    if current:
        yield current


def _ok(idx: int, rec: ReviewRecord, insight: ReviewInsight) -> tuple[int, BatchResult]:
    return idx, BatchResult(id=rec.id, record=rec, insight=insight)


def _failed(idx: int, rec: ReviewRecord, exc: BaseException) -> tuple[int, BatchResult]:
    return idx, BatchResult(id=rec.id, record=rec, error=error_info(exc))


def _limit(rate_known: Callable[[], bool], max_concurrency: int) -> int:
    return max_concurrency if rate_known() else min(max_concurrency, WARMUP_CONCURRENCY)


def _spent(budget: Budget | None) -> bool:
    return budget is not None and budget.exhausted


#: What ends a unit without results: nothing more may be sent (its reviews are done
#: by a later run).
_NOT_SENT = (RequestCancelled, BudgetExhausted)


def _pack_fallback(exc: BaseException) -> bool:
    # A pack the model could not answer is retried review by review; an
    # endpoint that is down fails every review of the pack alike.
    return isinstance(exc, OutputError | InvalidReviewError) or not isinstance(exc, APIError)


def _pack_outcome(
    unit: Unit, got: Mapping[str, ReviewInsight], invalid: Mapping[str, InvalidReviewError]
) -> tuple[list[tuple[int, BatchResult]], Unit]:
    """A pack's answer as results, and the reviews it left unanswered (sent one by one)."""
    out = [_ok(i, r, got[r.id]) for i, r in unit if r.id in got]
    out += [_failed(i, r, invalid[r.id]) for i, r in unit if r.id in invalid]
    return out, [(i, r) for i, r in unit if r.id not in got and r.id not in invalid]


class _Schedule:
    """Which unit starts next, and when: the one frame of both drivers (no I/O).

    Holds the cap on units in flight, the cancel event, the budget and the items
    rejected on the way in; the drivers only start, wait for and yield units.
    """

    def __init__(
        self,
        units: Iterable[Unit],
        *,
        rate_known: Callable[[], bool],
        max_concurrency: int | None,
        budget: Budget | None,
        cancel: threading.Event | None,
        rejected: list[tuple[int, BatchResult]] | None,
    ) -> None:
        self.cap = max_concurrency or DEFAULT_MAX_CONCURRENCY
        self.stop = cancel if cancel is not None else threading.Event()
        #: True once no more unit will start: the queue is empty, cancelled or the budget spent.
        self.exhausted = False
        self._rejected = rejected if rejected is not None else []
        self._queue = iter(units)
        self._knows_rate = rate_known
        self._spending = budget

    def next_unit(self, in_flight: int) -> Unit | None:
        """The unit to start now; None at the cap (for now) or once ``exhausted``."""
        if self.exhausted or in_flight >= _limit(self._knows_rate, self.cap):
            return None
        unit = None if self.stop.is_set() or _spent(self._spending) else next(self._queue, None)
        self.exhausted = unit is None
        return unit

    def drain(self) -> list[tuple[int, BatchResult]]:
        """The items rejected since the last call (``_records`` appends to the same list)."""
        out = self._rejected[:]
        self._rejected.clear()
        return out


# -- sync driver (threads) ----------------------------------------------------------------
def _unit_sync(
    unit: Unit, analyze_one: AnalyzeOne, analyze_pack: AnalyzePack, stop: threading.Event
) -> list[tuple[int, BatchResult]]:
    with cancelling(stop):
        return _run_unit_sync(unit, analyze_one, analyze_pack)


def _run_unit_sync(
    unit: Unit, analyze_one: AnalyzeOne, analyze_pack: AnalyzePack
) -> list[tuple[int, BatchResult]]:
    pending = unit
    out: list[tuple[int, BatchResult]] = []
    if len(unit) > 1:
        try:
            got, invalid = analyze_pack([r for _, r in unit])
        except _NOT_SENT:
            return out
        except Exception as e:
            if not _pack_fallback(e):
                return [_failed(i, r, e) for i, r in unit]
            got, invalid = {}, {}
        out, pending = _pack_outcome(unit, got, invalid)
    for i, r in pending:
        try:
            out.append(_ok(i, r, analyze_one(r)))
        except _NOT_SENT:
            break  # not sent: no result, so that a resumed run sends it
        except Exception as e:
            out.append(_failed(i, r, e))
    return out


def iter_batch(
    reviews: Iterable[ReviewInput],
    *,
    analyze_one: AnalyzeOne,
    analyze_pack: AnalyzePack,
    rate_known: Callable[[], bool],
    pack: int = 1,
    max_concurrency: int | None = None,
    budget: Budget | None = None,
    cancel: threading.Event | None = None,
) -> Iterator[tuple[int, BatchResult]]:
    """(input index, result) pairs as they complete; memory bounded by concurrency.

    ``rate_known()`` says whether the rate limiter knows a limit yet; until it
    does, at most ``WARMUP_CONCURRENCY`` units are in flight. Once ``cancel`` is
    set, or ``budget`` spent, nothing more is sent (module docstring).
    """
    rejected: list[tuple[int, BatchResult]] = []
    units = plan_units(_records(reviews, rejected), pack)
    return iter_units(units, analyze_one=analyze_one, analyze_pack=analyze_pack,
                      rate_known=rate_known, max_concurrency=max_concurrency, budget=budget,
                      cancel=cancel, rejected=rejected)


def iter_units(
    units: Iterable[Unit],
    *,
    analyze_one: AnalyzeOne,
    analyze_pack: AnalyzePack,
    rate_known: Callable[[], bool],
    max_concurrency: int | None = None,
    budget: Budget | None = None,
    cancel: threading.Event | None = None,
    rejected: list[tuple[int, BatchResult]] | None = None,
) -> Iterator[tuple[int, BatchResult]]:
    """``iter_batch`` for units already grouped (a provider batch's re-runs keep theirs)."""
    plan = _Schedule(units, rate_known=rate_known, max_concurrency=max_concurrency,
                     budget=budget, cancel=cancel, rejected=rejected)
    pool = cf.ThreadPoolExecutor(max_workers=plan.cap, thread_name_prefix="wom")
    running: set[cf.Future[list[tuple[int, BatchResult]]]] = set()
    finished = False
    # Each unit runs in a copy of the caller's context, as asyncio tasks do: the
    # caller's OpenTelemetry span is the parent of the reviews' spans.
    caller = contextvars.copy_context()
    try:
        while running or not plan.exhausted:
            while (unit := plan.next_unit(len(running))) is not None:
                running.add(pool.submit(caller.copy().run, _unit_sync, unit, analyze_one,
                                        analyze_pack, plan.stop))
            yield from plan.drain()
            if not running:
                break
            done, running = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                yield from fut.result()
        finished = True
    finally:
        if not finished:
            # Ctrl-C, or a caller that stops iterating: workers asleep in the
            # limiter must not send when they wake; do not wait for the reviews
            # in flight (each may take a timeout), drop the queued ones.
            plan.stop.set()
        pool.shutdown(wait=finished, cancel_futures=not finished)


# -- async driver (tasks) -----------------------------------------------------------------
async def _unit_async(
    unit: Unit, analyze_one: AsyncAnalyzeOne, analyze_pack: AsyncAnalyzePack,
    stop: threading.Event,
) -> list[tuple[int, BatchResult]]:
    with cancelling(stop):  # a task's own copy of the context: only its sends see it
        return await _run_unit_async(unit, analyze_one, analyze_pack)


async def _run_unit_async(
    unit: Unit, analyze_one: AsyncAnalyzeOne, analyze_pack: AsyncAnalyzePack
) -> list[tuple[int, BatchResult]]:
    pending = unit
    out: list[tuple[int, BatchResult]] = []
    if len(unit) > 1:
        try:
            got, invalid = await analyze_pack([r for _, r in unit])
        except _NOT_SENT:
            return out
        except Exception as e:
            if not _pack_fallback(e):
                return [_failed(i, r, e) for i, r in unit]
            got, invalid = {}, {}
        out, pending = _pack_outcome(unit, got, invalid)
    for i, r in pending:
        try:
            out.append(_ok(i, r, await analyze_one(r)))
        except _NOT_SENT:
            break
        except Exception as e:
            out.append(_failed(i, r, e))
    return out


async def aiter_batch(
    reviews: Iterable[ReviewInput],
    *,
    analyze_one: AsyncAnalyzeOne,
    analyze_pack: AsyncAnalyzePack,
    rate_known: Callable[[], bool],
    pack: int = 1,
    max_concurrency: int | None = None,
    budget: Budget | None = None,
    cancel: threading.Event | None = None,
) -> AsyncIterator[tuple[int, BatchResult]]:
    """Async twin of ``iter_batch``."""
    rejected: list[tuple[int, BatchResult]] = []
    units = plan_units(_records(reviews, rejected), pack)
    async for pair in aiter_units(units, analyze_one=analyze_one, analyze_pack=analyze_pack,
                                  rate_known=rate_known, max_concurrency=max_concurrency,
                                  budget=budget, cancel=cancel, rejected=rejected):
        yield pair


async def aiter_units(
    units: Iterable[Unit],
    *,
    analyze_one: AsyncAnalyzeOne,
    analyze_pack: AsyncAnalyzePack,
    rate_known: Callable[[], bool],
    max_concurrency: int | None = None,
    budget: Budget | None = None,
    cancel: threading.Event | None = None,
    rejected: list[tuple[int, BatchResult]] | None = None,
) -> AsyncIterator[tuple[int, BatchResult]]:
    """Async twin of ``iter_units``."""
    plan = _Schedule(units, rate_known=rate_known, max_concurrency=max_concurrency,
                     budget=budget, cancel=cancel, rejected=rejected)
    running: set[asyncio.Task[list[tuple[int, BatchResult]]]] = set()
    finished = False
    try:
        while running or not plan.exhausted:
            while (unit := plan.next_unit(len(running))) is not None:
                running.add(asyncio.ensure_future(
                    _unit_async(unit, analyze_one, analyze_pack, plan.stop)))
            for pair in plan.drain():
                yield pair
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                for pair in task.result():
                    yield pair
        finished = True
    finally:
        if not finished:
            plan.stop.set()
        for task in running:
            task.cancel()


def in_order(
    pairs: Iterable[tuple[int, BatchResult]], on_result: Callable[[BatchResult], None] | None
) -> list[BatchResult]:
    """Collect (index, result) pairs into input order, reporting each as it arrives."""
    got: dict[int, BatchResult] = {}
    for idx, res in pairs:
        got[idx] = res
        if on_result is not None:
            on_result(res)
    return [got[i] for i in sorted(got)]
