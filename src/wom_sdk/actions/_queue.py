"""The reply queue: the reviews that deserve a reply, most urgent first, for a service team.

Each analyzed review that deserves a reply (``_urgency``: a flag, a complaint,
3 stars or less, a negative or mixed sentiment) is scored by ``urgency`` and
the ``limit`` most urgent are kept in a bounded heap while the results stream
by: memory holds the queue, not the input. Failed reviews have no suggested
reply and are counted, not queued.

Written as CSV (UTF-8 with a byte-order mark, so Excel opens Chinese intact;
CRLF rows, RFC 4180 quoting) or ``.xlsx`` (the ``pandas`` extra's openpyxl,
write-only: streamed to disk). A review is hostile text: any cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a NUL is prefixed
with ``'`` so that a spreadsheet shows it as text instead of running it as a
formula (OWASP ASVS 5.0 requirement 1.2.10, "CSV and Formula Injection";
CWE-1236). Numbers we write ourselves (score, rating) stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import ConfigurationError
from ..io._results import ResultRecord
from ..io._rows import _PANDAS_HINT
from ._source import Results, iter_records, replacing
from ._urgency import MostUrgent, Urgency, record_day, urgency

__all__ = [
    "QUEUE_COLUMNS",
    "QueueEntry",
    "ReplyQueue",
    "escape_cell",
    "reply_queue",
    "write_queue",
]

DEFAULT_LIMIT = 1000
#: The queue's columns, in order; the input's other columns (``extra``) follow, by name.
QUEUE_COLUMNS: tuple[str, ...] = (
    "rank", "urgency", "why", "id", "date", "product", "rating", "sentiment", "complaints",
    "review", "suggested_reply", "needs_human_review", "human_review_reasons",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


@dataclass(frozen=True)
class QueueEntry:
    """One review in the queue."""

    record: ResultRecord
    urgency: Urgency

    def row(self, rank: int, extra_columns: Sequence[str]) -> list[Any]:
        """The entry's cells in ``QUEUE_COLUMNS`` order, then ``extra_columns``."""
        r, insight = self.record, self.record.insight
        assert insight is not None  # only analyzed reviews are queued
        complaints = "\n".join(f"{c.category} / {c.aspect} ({c.severity}): {c.quote}"
                               for c in insight.complaints)
        # 5.0 stars read "5", as the shop's export had it.
        rating = int(r.rating) if r.rating is not None and r.rating.is_integer() else r.rating
        cells: list[Any] = [
            rank, self.urgency.score, self.urgency.explain(), r.id, r.date, r.product, rating,
            insight.sentiment.label, complaints, r.text, insight.reply.text,
            "yes" if insight.reply.needs_human_review else "no",
            ", ".join(insight.reply.review_reasons),
        ]
        cells += [_cell_value(r.extra.get(name)) for name in extra_columns]
        return cells


def _cell_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@dataclass(frozen=True)
class ReplyQueue:
    """The queue, most urgent first, and what was counted on the way."""

    entries: tuple[QueueEntry, ...]
    #: reviews that deserve a reply (``entries`` holds at most ``limit`` of them)
    deserving: int
    records: int
    #: reviews without an insight: nothing to reply with
    failed: int
    as_of: dt.date | None

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """The input's other columns that the queued reviews have, sorted by name."""
        return tuple(sorted({k for e in self.entries for k in e.record.extra}))

    def rows(self) -> Iterator[list[Any]]:
        """The header, then one row per entry."""
        extra = self.extra_columns
        yield [*QUEUE_COLUMNS, *extra]
        for rank, entry in enumerate(self.entries, start=1):
            yield entry.row(rank, extra)


def reply_queue(results: Results, *, as_of: dt.date | None = None,
                limit: int = DEFAULT_LIMIT) -> ReplyQueue:
    """The ``limit`` most urgent reviews that deserve a reply, in one streaming pass.

    Args:
        results: a results JSONL path, or records as ``build_report`` takes them.
        as_of: the day recency is measured from (None: recency scores nothing).
        limit: the most entries kept; all that deserve a reply are counted.
    """
    if limit < 1:
        raise ValueError("limit must be >= 1")
    most = MostUrgent[QueueEntry](limit)
    deserving = records = failed = 0
    for record in iter_records(results):
        records += 1
        if record.insight is None:
            failed += 1
            continue
        score = urgency(record, as_of=as_of)
        if not score.deserves_reply:
            continue
        deserving += 1
        most.offer(QueueEntry(record, score), score.score, record_day(record), record.id)
    return ReplyQueue(most.items(), deserving, records, failed, as_of)


def escape_cell(value: Any) -> Any:
    """A cell as a spreadsheet may safely open it: text that could start a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write_csv(rows: Iterator[list[Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for row in rows:
            writer.writerow(["" if v is None else escape_cell(v) for v in row])


def _write_xlsx(rows: Iterator[list[Any]], path: Path) -> None:
    try:
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    except ImportError:
        raise ConfigurationError(f"writing .xlsx needs openpyxl: {_PANDAS_HINT}") from None
    book = Workbook(write_only=True)
    sheet = book.create_sheet("queue")
    for row in rows:
        # XML cannot hold most control characters; openpyxl refuses them outright.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
                      for v in map(escape_cell, row)])
    book.save(path)


_WRITERS: dict[str, Callable[[Iterator[list[Any]], Path], None]] = {
    "csv": _write_csv, "xlsx": _write_xlsx,
}


def write_queue(queue: ReplyQueue, path: str | os.PathLike[str],
                format: str | None = None) -> Path:
    """Write the queue as CSV or ``.xlsx`` (``format`` defaults to the path's suffix).

    Written to a temporary file beside ``path`` and moved into place: a reader
    (or a crash) never sees half a queue.
    """
    target = Path(path)
    fmt = format or ("xlsx" if target.suffix.lower() == ".xlsx" else "csv")
    if fmt not in _WRITERS:
        raise ValueError(f"format must be 'csv' or 'xlsx', not {fmt!r}")
    with replacing(target) as tmp:
        _WRITERS[fmt](queue.rows(), tmp)
    return target
