"""Streaming input for ``wom analyze`` and ``wom eval``: open a file, check it, read rows lazily.

Every reader is a generator over one row at a time, so a file of a few hundred
thousand reviews costs the memory of one row (and of the batch in flight), not
of the file. Opening a source settles everything that can be wrong with the
file before any output is touched and any request is sent: it is a file (not a
folder), it is text in a known encoding or an Excel workbook (``_encoding``),
its header has the columns asked for (``_columns``).

Two layers: ``open_rows`` yields each row as a mapping of header name to
value (whatever the format: ``_rows``), and ``open_source`` turns rows into
``ReviewRecord`` objects with the columns found by the one rule of ``_columns``.
``wom eval`` reads its labeled files through ``open_rows`` too, so a file that
``wom analyze`` reads, ``wom eval`` reads the same way.

Ids come from the id column when there is one; otherwise ``row-N``, where N is
the line number (text, JSONL) or the data row number (CSV, Excel: 1 is the
first row under the header). Ids must stay the same from one run to the next,
because resuming skips the ids already in the output.

**The rule for CSV rows that do not fit the header** (never a silent cut):

- fewer fields: the missing columns are empty; the row is analyzed and noted;
- more fields (an unquoted comma in the text, usually): when the review text is
  the header's last column, the surplus fields are joined back into it with the
  delimiter (nothing is lost) and the row is noted; otherwise the row is not
  sent: ``wom analyze`` writes it as an ``input`` error naming its line (fix the
  file, then ``--retry-errors``);
- a row spanning more than ``MAX_SPAN`` lines (an unclosed quote that swallowed
  the rows below it) is not sent either, and named the same way.
"""

from __future__ import annotations

import io
import itertools
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .._exceptions import InputError
from ..types import ReviewRecord
from ._columns import KEEP_ALL, Columns, resolve_columns
from ._encoding import (
    HEAD_BYTES,
    TextEncoding,
    choose_encoding,
    file_chunks,
    repaired_lines,
    text_stream,
)
from ._rows import (
    MAX_SPAN,
    SHAPE,
    ReadStats,
    Row,
    RowShape,
    cell_text,
    delimited_rows,
    jsonl_rows,
    sniff,
    txt_rows,
    xlsx_rows,
)

__all__ = [
    "FORMATS",
    "ReadStats",
    "RejectedRow",
    "ReviewSource",
    "Row",
    "RowSource",
    "cell_text",
    "count_lines",
    "fit_row",
    "open_rows",
    "open_source",
]

FORMATS = ("csv", "tsv", "jsonl", "txt", "xlsx")

_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".txt": "txt", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


# -- turning one row into a record --------------------------------------------------------------
def _rating(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    s = cell_text(value)
    # "4星", "4/5", "4.5 stars": the first number is the rating.
    m = _NUMBER.search(s) if s else None
    return float(m.group()) if m else None


def _record(row: Mapping[Any, Any], cols: Columns, number: int) -> ReviewRecord:
    text = row.get(cols.text)
    extra = {k: v for k, v in row.items()
             if isinstance(k, str) and cols.keeps(k) and v not in (None, "")}
    return ReviewRecord(
        id=(cell_text(row.get(cols.id)) if cols.id else None) or f"row-{number}",
        text="" if text is None else (text if isinstance(text, str) else str(text)),
        product=cell_text(row.get(cols.product)) if cols.product else None,
        rating=_rating(row.get(cols.rating)) if cols.rating else None,
        date=cell_text(row.get(cols.date)) if cols.date else None,
        extra=extra,
    )


@dataclass(frozen=True)
class RejectedRow:
    """A row that is not sent, and why (``wom analyze`` writes it as an ``input`` error)."""

    record: ReviewRecord
    line: int
    reason: str


def fit_row(row: Mapping[Any, Any], header: list[str], text_column: str | None,
            delimiter: str, stats: ReadStats, rid: Callable[[], str]) -> str | None:
    """Apply the rule for rows that do not fit the header (module docstring).

    Joins a surplus back into the text in place (``row`` must be a dict) and
    notes it; returns the reason a row must not be sent, else None. ``rid()``
    gives the row's id for the note.
    """
    shape: RowShape | None = row.get(SHAPE)
    if shape is None:
        return None
    where = f"line {shape.line} (id {rid()})"
    if shape.span > MAX_SPAN:
        stats.rejected_rows += 1
        reason = (f"{where}: one quoted field runs over {shape.span} lines, an unclosed "
                  "quote? The rows inside it are not analyzed; fix the quote")
        stats.note_row(reason)
        return reason
    if shape.fields < shape.expected:
        stats.short_rows += 1
        stats.note_row(f"{where}: {shape.fields} fields, the header has {shape.expected}: "
                       "the missing ones are empty")
        return None
    extra = len(shape.surplus)
    if text_column is not None and header and header[-1] == text_column:
        assert isinstance(row, dict)
        row[text_column] = delimiter.join([str(row.get(text_column) or ""), *shape.surplus])
        stats.joined_rows += 1
        stats.note_row(f"{where}: {shape.fields} fields, the header has {shape.expected}: "
                       f"the last {extra} joined back into the text (an unquoted "
                       f"{_name(delimiter)} in it?)")
        return None
    stats.rejected_rows += 1
    reason = (f"{where}: {shape.fields} fields, the header has {shape.expected} (an unquoted "
              f"{_name(delimiter)} in a field?): not sent, so that nothing is cut; quote "
              "that field, then run again with --retry-errors")
    stats.note_row(reason)
    return reason


def _name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else "comma"


# -- opening a source ---------------------------------------------------------------------------
class RowSource:
    """An opened input: its format, header and encoding, and one pass over its rows."""

    def __init__(self, name: str, fmt: str, header: list[str], rows: Iterator[Row],
                 stats: ReadStats, closers: tuple[Callable[[], None], ...] = ()) -> None:
        self.name = name
        self.format = fmt
        self.header = header
        self.stats = stats
        self.delimiter = "\t" if fmt == "tsv" else ","
        self._rows = rows
        self._closers = closers

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def close(self) -> None:
        # Closing the generator runs its `finally` (an Excel workbook is closed there)
        # even when --limit stopped reading early.
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        for closer in self._closers:
            closer()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReviewSource:
    """An opened input of reviews: its format and columns, and one pass over its records."""

    def __init__(self, rows: RowSource, columns: Columns) -> None:
        self.rows = rows
        self.columns = columns
        self.name, self.format, self.header = rows.name, rows.format, rows.header
        self.stats = rows.stats  # the same object: counts as the records are read

    def entries(self) -> Iterator[ReviewRecord | RejectedRow]:
        """Each row as a record, or as a ``RejectedRow`` when the rule says not to send it."""
        cols, rows = self.columns, self.rows
        for number, row in rows:
            if SHAPE not in row:
                yield _record(row, cols, number)
                continue
            fields = dict(row)

            def rid(f: Mapping[Any, Any] = fields, n: int = number) -> str:
                return _record(f, cols, n).id

            reason = fit_row(fields, rows.header, cols.text, rows.delimiter, self.stats, rid)
            record = _record(fields, cols, number)
            if reason is None:
                yield record
            else:
                yield RejectedRow(record, fields[SHAPE].line, reason)

    def __iter__(self) -> Iterator[ReviewRecord]:
        """The records to send; rejected rows are only counted (``stats``)."""
        return (e for e in self.entries() if isinstance(e, ReviewRecord))

    def close(self) -> None:
        self.rows.close()

    def __enter__(self) -> ReviewSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stdin() -> IO[bytes]:
    return sys.stdin.buffer


def _check_path(path: str) -> Path:
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path} is a folder, not a file: give the file of reviews in it")
    if not p.exists():
        raise InputError(f"input file not found: {path}")
    return p


def open_rows(path: str, *, fmt: str | None = None, stdin: IO[bytes] | None = None,
              encoding: str | None = None, sheet: str | int | None = None,
              header_row: int = 1) -> RowSource:
    """Open ``path`` (``-`` for standard input) and read its header; rows stream lazily.

    Args:
        fmt: one of ``FORMATS``; default from the file name, else sniffed.
        encoding: the text's encoding (``gb18030``, ``utf-16``...); default detected.
        sheet: Excel only: a sheet name, or its position counting from 1 (default
            the active sheet).
        header_row: the header's row (counting from 1) in CSV, TSV and Excel,
            when title rows sit above it.
    """
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
        raise InputError(f"header_row must be a row number from 1, not {header_row!r}")
    stats = ReadStats()
    if path == "-":
        if fmt == "xlsx":
            raise InputError("an .xlsx workbook cannot be read from standard input; "
                             "give its file name")
        piped = stdin if stdin is not None else _stdin()
        return _open_text("-", fmt, piped, stats, encoding, header_row, owned=False)
    p = _check_path(path)
    suffix_fmt = _EXTENSIONS.get(p.suffix.lower())
    fmt = fmt or (None if suffix_fmt == "txt" else suffix_fmt)
    if fmt == "xlsx":
        if encoding is not None:
            raise InputError("--encoding does not apply to an .xlsx workbook")
        header, rows = xlsx_rows(p, stats, sheet=sheet, header_row=header_row)
        return RowSource(path, "xlsx", header, rows, stats)
    if sheet is not None:
        raise InputError("--sheet applies to .xlsx workbooks only")
    try:
        stream: IO[bytes] = p.open("rb")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return _open_text(path, fmt, stream, stats, encoding, header_row, owned=True,
                          txt=suffix_fmt == "txt")
    except BaseException:
        stream.close()
        raise


def _open_text(name: str, fmt: str | None, stream: IO[bytes], stats: ReadStats,
               encoding: str | None, header_row: int, *, owned: bool,
               txt: bool = False) -> RowSource:
    head = stream.read(HEAD_BYTES)
    if owned:
        stream.seek(0)
        enc = choose_encoding(name, head, given=encoding, whole=lambda: file_chunks(name))
        text = text_stream(stream, enc)
    else:
        # Standard input cannot be read twice: the head decides, the rest is lenient.
        enc = choose_encoding(name, head, given=encoding)
        text = text_stream(stream, enc, head=head, lenient=True)
    stats.encoding = enc.label
    lines = _decoded(text, enc, stats, name)
    if fmt is None:
        # Peek at one line only; it is put back in front of the stream.
        first = next(lines, "")
        fmt = sniff(first, allow_jsonl=not txt)
        lines = itertools.chain([first], lines)
    if header_row != 1 and fmt not in ("csv", "tsv"):
        raise InputError(f"--header-row applies to CSV, TSV and .xlsx, not to {fmt}")
    if fmt == "txt":
        header, rows = txt_rows(lines, stats)
    elif fmt == "jsonl":
        header, rows = jsonl_rows(lines, stats)
    else:
        header, rows = delimited_rows(lines, "\t" if fmt == "tsv" else ",", stats, header_row)
    # Closing the decoder closes the file; standard input sits behind a wrapper
    # of its own (``text_stream``'s head), whose closing leaves it open.
    return RowSource(name, fmt, header, rows, stats, (text.close,))


def _decoded(text: io.TextIOWrapper, enc: TextEncoding, stats: ReadStats,
             name: str) -> Iterator[str]:
    def count(n: int) -> None:
        stats.replaced += n

    def strict() -> Iterator[str]:
        try:
            yield from text
        except UnicodeDecodeError as e:
            # The file changed since it was checked: still an answer, not a traceback.
            raise InputError(f"{name}: not {enc.label} text after all ({e.reason}); "
                             "give the encoding with --encoding") from None

    lenient = text.errors != "strict"
    return repaired_lines(iter(text), count) if lenient else strict()


def open_source(
    path: str,
    *,
    fmt: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    product_column: str | None = None,
    rating_column: str | None = None,
    date_column: str | None = None,
    keep_columns: Sequence[str] = (KEEP_ALL,),
    stdin: IO[bytes] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
) -> ReviewSource:
    """Open ``path`` (``-`` for standard input) and check its columns; records stream lazily.

    ``keep_columns``: which other columns go into each record's ``extra``
    (``_columns.kept_columns``: names, "all" or "none"; empty: the recognised ones).
    """
    rows = open_rows(path, fmt=fmt, stdin=stdin, encoding=encoding, sheet=sheet,
                     header_row=header_row)
    try:
        if rows.format == "txt" or not rows.header:
            # A text file is one review a line; a JSONL without one readable
            # object has no names to check (and nothing to read).
            columns = Columns(text="text")
        else:
            columns = resolve_columns(rows.header, text=text_column, id=id_column,
                                      product=product_column, rating=rating_column,
                                      date=date_column, keep=keep_columns)
    except BaseException:
        rows.close()
        raise
    return ReviewSource(rows, columns)


def count_lines(path: str) -> int | None:
    """Lines in a text file (an estimate of its reviews for the progress bar), None if unknown."""
    if path == "-":
        return None
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return None
    n = 0
    last = b"\n"
    with p.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")
