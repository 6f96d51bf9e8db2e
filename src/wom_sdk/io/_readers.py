"""Streaming input for ``wom analyze``: CSV/TSV, JSONL, plain text, Excel, standard input.

Every reader is a generator over one row at a time, so a file of a few hundred
thousand reviews costs the memory of one row (and of the batch in flight), not
of the file. Opening a source reads only its header (CSV, Excel) or first line
(JSONL): column mistakes are reported before any output is touched.

Text is read as bytes and decoded line by line with ``errors="replace"``:
exports from old shop systems often hold a few GBK or truncated bytes, and one
bad byte should cost one replacement character, not the run. The replacements
are counted (``ReadStats.replaced``) and shown in the summary.

Two layers: ``open_rows`` yields each row as a mapping of header name to
value (whatever the format), and ``open_source`` turns rows into
``ReviewRecord`` objects with the columns found by the one rule of ``_columns``.
``wom eval`` reads its labeled files through ``open_rows`` too, so a file that
``wom analyze`` reads, ``wom eval`` reads the same way.

Ids come from the id column when there is one; otherwise ``row-N``, where N is
the line number (text, JSONL) or the data row number (CSV, Excel: 1 is the
first row under the header). Ids must stay the same from one run to the next,
because resuming skips the ids already in the output.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from .._exceptions import InputError
from ..types import ReviewRecord
from ._columns import ID, KEEP_ALL, TEXT, Columns, is_column_name, resolve_columns

__all__ = [
    "FORMATS",
    "ReadStats",
    "ReviewSource",
    "Row",
    "RowSource",
    "cell_text",
    "count_lines",
    "open_rows",
    "open_source",
]

FORMATS = ("csv", "tsv", "jsonl", "txt", "xlsx")

_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".txt": "txt", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_BOM = b"\xef\xbb\xbf"
_REPLACEMENT_UTF8 = "\ufffd".encode()
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
#: Line numbers of unreadable rows kept for the summary; the count is exact.
_MAX_NOTED = 20
_PANDAS_HINT = "pip install 'wom-sdk[pandas]'"

#: One row: its number (data row for CSV and Excel, line for JSONL and text) and its fields.
Row = tuple[int, Mapping[str, Any]]


@dataclass
class ReadStats:
    """What reading the input found besides reviews."""

    rows: int = 0
    #: U+FFFD characters put in place of bytes that were not UTF-8
    replaced: int = 0
    #: rows that are not a review (bad JSON, a JSON number); first line numbers noted
    unreadable: int = 0
    unreadable_lines: list[int] = field(default_factory=list)

    def note_unreadable(self, line: int) -> None:
        self.unreadable += 1
        if len(self.unreadable_lines) < _MAX_NOTED:
            self.unreadable_lines.append(line)


# -- turning one row into a record ------------------------------------------------------------
def cell_text(value: Any) -> str | None:
    """A cell as text (None when empty): Excel's 17.0 is "17", a date its ISO form."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores the id 17 as 17.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    s = str(value).strip()
    return s or None


def _rating(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    s = cell_text(value)
    # "4星", "4/5", "4.5 stars": the first number is the rating.
    m = _NUMBER.search(s) if s else None
    return float(m.group()) if m else None


def _record(row: Mapping[str, Any], cols: Columns, number: int) -> ReviewRecord:
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


# -- bytes to text ----------------------------------------------------------------------------
def _decode(raw: bytes, stats: ReadStats) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        # A U+FFFD that was in the file already is data, not a replacement.
        stats.replaced += text.count("\ufffd") - raw.count(_REPLACEMENT_UTF8)
        return text


def _lines(raw_lines: Iterable[bytes], stats: ReadStats) -> Iterator[str]:
    """Decoded lines, newline kept (the csv module wants it), BOM of the first line dropped."""
    first = True
    for raw in raw_lines:
        if first:
            first = False
            if raw.startswith(_BOM):
                raw = raw[len(_BOM):]
        yield _decode(raw, stats)


def _sniff(first_line: bytes) -> str:
    """csv, tsv, jsonl or txt, from the first line of a stream whose name says nothing."""
    line = first_line.removeprefix(_BOM).decode("utf-8", "replace").strip()
    if line.startswith(("{", '"', "[")):
        return "jsonl"
    if is_column_name(line, TEXT):
        return "csv"  # a one-column CSV: its header is just the text column's name
    for fmt, delimiter in (("tsv", "\t"), ("csv", ",")):
        if delimiter in line:
            header = next(csv.reader([line], delimiter=delimiter))
            # A review with a comma in it is not a header: a header names a known column.
            if any(is_column_name(h, TEXT, ID) for h in header):
                return fmt
    return "txt"


# -- the row readers: (header, rows) for each format ------------------------------------------
_Rows = tuple[list[str], Iterator[Row]]


def _delimited_rows(lines: Iterator[str], delimiter: str, stats: ReadStats) -> _Rows:
    reader = csv.reader(lines, delimiter=delimiter)
    first = next(reader, None)
    if first is None:
        raise InputError("the input is empty: expected a header row")
    header = [h.strip() for h in first]

    def rows() -> Iterator[Row]:
        for number, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue  # a blank line between rows (or at the end) is not a review
            stats.rows += 1
            yield number, dict(zip(header, values, strict=False))

    return header, rows()


def _jsonl_rows(lines: Iterator[str], stats: ReadStats) -> _Rows:
    # The first object names the fields; later lines are read with the same names.
    numbered = enumerate(lines, start=1)
    first: tuple[int, dict[str, Any]] | None = None
    for number, line in numbered:
        obj = _json_row(line, number, stats)
        if obj is not None:
            first = (number, obj)
            break
    if first is None:
        return [], iter(())

    def rows() -> Iterator[Row]:
        assert first is not None
        stats.rows += 1
        yield first
        for number, line in numbered:
            obj = _json_row(line, number, stats)
            if obj is not None:
                stats.rows += 1
                yield number, obj

    return list(first[1]), rows()


def _json_row(line: str, number: int, stats: ReadStats) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        stats.note_unreadable(number)
        return None
    if isinstance(obj, str):
        return {"text": obj}  # a file of JSON strings: one review each
    if not isinstance(obj, dict):
        if number == 1 and isinstance(obj, list):
            raise InputError("the input is a JSON array; wom reads JSON Lines "
                             "(one object per line), e.g. `jq -c '.[]' in.json > in.jsonl`")
        stats.note_unreadable(number)
        return None
    return obj


def _txt_rows(lines: Iterator[str], stats: ReadStats) -> _Rows:
    def rows() -> Iterator[Row]:
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if text:
                stats.rows += 1
                yield number, {"text": text}

    return ["text"], rows()


def _xlsx_rows(path: Path, stats: ReadStats) -> _Rows:
    try:
        import openpyxl
    except ImportError:
        raise InputError(f"reading .xlsx needs openpyxl: {_PANDAS_HINT}") from None
    # read_only streams the sheet row by row instead of building it in memory.
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet_rows = wb.active.iter_rows(values_only=True)
    first = next(sheet_rows, None)
    if first is None:
        wb.close()
        raise InputError(f"{path} has no rows: expected a header row")
    header = [cell_text(h) or f"column_{i + 1}" for i, h in enumerate(first)]

    def rows() -> Iterator[Row]:
        try:
            for number, values in enumerate(sheet_rows, start=1):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                stats.rows += 1
                yield number, dict(zip(header, values, strict=False))
        finally:
            wb.close()

    return header, rows()


# -- opening a source -------------------------------------------------------------------------
class RowSource:
    """An opened input: its format and header, and one pass over its rows."""

    def __init__(self, name: str, fmt: str, header: list[str], rows: Iterator[Row],
                 stats: ReadStats, stream: IO[bytes] | None) -> None:
        self.name = name
        self.format = fmt
        self.header = header
        self.stats = stats
        self._rows = rows
        self._stream = stream

    def __iter__(self) -> Iterator[Row]:
        return self._rows

    def close(self) -> None:
        # Closing the generator runs its `finally` (an Excel workbook is closed there)
        # even when --limit stopped reading early.
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        if self._stream is not None and self._stream is not _stdin():
            self._stream.close()

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

    def __iter__(self) -> Iterator[ReviewRecord]:
        return (_record(row, self.columns, number) for number, row in self.rows)

    def close(self) -> None:
        self.rows.close()

    def __enter__(self) -> ReviewSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stdin() -> IO[bytes]:
    return sys.stdin.buffer


def open_rows(path: str, *, fmt: str | None = None, stdin: IO[bytes] | None = None) -> RowSource:
    """Open ``path`` (``-`` for standard input) and read its header; rows stream lazily."""
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    stats = ReadStats()
    if path != "-":
        p = Path(path)
        if not p.is_file():
            raise InputError(f"input file not found: {path}")
        fmt = fmt or _EXTENSIONS.get(p.suffix.lower())
        if fmt == "xlsx":
            header, rows = _xlsx_rows(p, stats)
            return RowSource(path, "xlsx", header, rows, stats, None)
        stream: IO[bytes] = p.open("rb")
    else:
        if fmt == "xlsx":
            raise InputError("an .xlsx workbook cannot be read from standard input; "
                             "give its file name")
        stream = stdin if stdin is not None else _stdin()
    try:
        return _open_text(path, fmt, stream, stats)
    except BaseException:
        if path != "-":
            stream.close()
        raise


def _open_text(name: str, fmt: str | None, stream: IO[bytes], stats: ReadStats) -> RowSource:
    raw_lines: Iterator[bytes] = iter(stream)
    if fmt is None:
        # Peek at one line only; it is put back in front of the stream.
        first = stream.readline()
        fmt = _sniff(first)
        raw_lines = itertools.chain([first], stream)
    lines = _lines(raw_lines, stats)
    if fmt == "txt":
        header, rows = _txt_rows(lines, stats)
    elif fmt == "jsonl":
        header, rows = _jsonl_rows(lines, stats)
    else:
        header, rows = _delimited_rows(lines, "\t" if fmt == "tsv" else ",", stats)
    return RowSource(name, fmt, header, rows, stats, stream)


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
) -> ReviewSource:
    """Open ``path`` (``-`` for standard input) and check its columns; records stream lazily.

    ``keep_columns``: which other columns go into each record's ``extra``
    (``_columns.kept_columns``: names, "all" or "none"; empty: the recognised ones).
    """
    rows = open_rows(path, fmt=fmt, stdin=stdin)
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
