"""Streaming input for ``wom analyze``: CSV/TSV, JSONL, plain text, Excel, standard input.

Every reader is a generator over one row at a time, so a file of a few hundred
thousand reviews costs the memory of one row (and of the batch in flight), not
of the file. Opening a source reads only its header (CSV, Excel) or first line
(JSONL): column mistakes are reported before any output is touched.

Text is read as bytes and decoded line by line with ``errors="replace"``:
exports from old shop systems often hold a few GBK or truncated bytes, and one
bad byte should cost one replacement character, not the run. The replacements
are counted (``ReadStats.replaced``) and shown in the summary.

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

__all__ = [
    "FORMATS",
    "Columns",
    "ReadStats",
    "ReviewSource",
    "count_lines",
    "open_source",
]

FORMATS = ("csv", "tsv", "jsonl", "txt", "xlsx")

# Candidate column names, in order of preference (compared after _norm).
TEXT_COLUMNS = ("text", "review", "content", "comment", "评论", "内容", "评价",
                "body", "reviewbody", "review_text", "评论内容")
ID_COLUMNS = ("id", "review_id", "reviewid", "评论id", "编号")
PRODUCT_COLUMNS = ("product", "product_name", "item", "sku", "商品", "产品", "商品名称")
RATING_COLUMNS = ("rating", "stars", "star", "score", "评分", "星级")
DATE_COLUMNS = ("date", "created_at", "time", "timestamp", "日期", "时间", "评论时间")

_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".txt": "txt", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_BOM = b"\xef\xbb\xbf"
_REPLACEMENT_UTF8 = "\ufffd".encode()
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
#: Line numbers of unreadable rows kept for the summary; the count is exact.
_MAX_NOTED = 20
_PANDAS_HINT = "pip install 'wom-sdk[pandas]'"


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


@dataclass(frozen=True)
class Columns:
    """Which field holds what; ``text`` is required, the others optional."""

    text: str
    id: str | None = None
    product: str | None = None
    rating: str | None = None
    date: str | None = None

    @property
    def known(self) -> frozenset[str]:
        return frozenset(c for c in (self.text, self.id, self.product, self.rating, self.date)
                         if c is not None)


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _pick(header: Sequence[str], asked: str | None, candidates: Sequence[str],
          what: str) -> str | None:
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(_norm(h), h)
    if asked is not None:
        if asked in header:
            return asked
        if _norm(asked) in by_norm:
            return by_norm[_norm(asked)]
        raise InputError(f"--{what}-column {asked!r} is not a column of the input; "
                         f"columns: {_listing(header)}")
    return next((by_norm[c] for c in candidates if c in by_norm), None)


def _listing(header: Sequence[str]) -> str:
    return ", ".join(repr(h) for h in header) if header else "(none)"


def resolve_columns(header: Sequence[str], *, text: str | None = None, id: str | None = None,
                    product: str | None = None, rating: str | None = None,
                    date: str | None = None) -> Columns:
    """The columns to use: the ones asked for, else the first known name present."""
    text_col = _pick(header, text, TEXT_COLUMNS, "text")
    if text_col is None:
        raise InputError(
            f"no review text column found; columns: {_listing(header)}. "
            f"Name it with --text-column (looked for: {', '.join(TEXT_COLUMNS)})")
    return Columns(text=text_col, id=_pick(header, id, ID_COLUMNS, "id"),
                   product=_pick(header, product, PRODUCT_COLUMNS, "product"),
                   rating=_pick(header, rating, RATING_COLUMNS, "rating"),
                   date=_pick(header, date, DATE_COLUMNS, "date"))


# -- turning one row into a record ------------------------------------------------------------
def _str(value: Any) -> str | None:
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
    s = _str(value)
    # "4星", "4/5", "4.5 stars": the first number is the rating.
    m = _NUMBER.search(s) if s else None
    return float(m.group()) if m else None


def _record(row: Mapping[str, Any], cols: Columns, number: int) -> ReviewRecord:
    text = row.get(cols.text)
    extra = {k: v for k, v in row.items()
             if k not in cols.known and v not in (None, "") and isinstance(k, str)}
    return ReviewRecord(
        id=(_str(row.get(cols.id)) if cols.id else None) or f"row-{number}",
        text="" if text is None else (text if isinstance(text, str) else str(text)),
        product=_str(row.get(cols.product)) if cols.product else None,
        rating=_rating(row.get(cols.rating)) if cols.rating else None,
        date=_str(row.get(cols.date)) if cols.date else None,
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
    if _norm(line) in TEXT_COLUMNS:
        return "csv"  # a one-column CSV: its header is just the text column's name
    for fmt, delimiter in (("tsv", "\t"), ("csv", ",")):
        if delimiter in line:
            header = next(csv.reader([line], delimiter=delimiter))
            # A review with a comma in it is not a header: a header names a known column.
            known = {*TEXT_COLUMNS, *ID_COLUMNS}
            if any(_norm(h) in known for h in header):
                return fmt
    return "txt"


# -- the readers ------------------------------------------------------------------------------
def _read_delimited(lines: Iterator[str], delimiter: str, opts: Mapping[str, str | None],
                    stats: ReadStats) -> tuple[Columns, list[str], Iterator[ReviewRecord]]:
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise InputError("the input is empty: expected a header row")
    header = [h.strip() for h in header]
    cols = resolve_columns(header, **opts)

    def rows() -> Iterator[ReviewRecord]:
        for number, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue  # a blank line between rows (or at the end) is not a review
            stats.rows += 1
            yield _record(dict(zip(header, values, strict=False)), cols, number)

    return cols, header, rows()


def _read_jsonl(lines: Iterator[str], opts: Mapping[str, str | None],
                stats: ReadStats) -> tuple[Columns, list[str], Iterator[ReviewRecord]]:
    # The first object names the fields; later lines are read with the same names.
    numbered = enumerate(lines, start=1)
    first: tuple[int, dict[str, Any]] | None = None
    for number, line in numbered:
        obj = _json_row(line, number, stats)
        if obj is not None:
            first = (number, obj)
            break
    if first is None:
        return Columns(text="text"), [], iter(())
    header = list(first[1])
    cols = resolve_columns(header, **opts)

    def rows() -> Iterator[ReviewRecord]:
        assert first is not None
        stats.rows += 1
        yield _record(first[1], cols, first[0])
        for number, line in numbered:
            obj = _json_row(line, number, stats)
            if obj is not None:
                stats.rows += 1
                yield _record(obj, cols, number)

    return cols, header, rows()


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


def _read_txt(lines: Iterator[str], stats: ReadStats) -> Iterator[ReviewRecord]:
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text:
            stats.rows += 1
            yield ReviewRecord(id=f"row-{number}", text=text)


def _read_xlsx(path: Path, opts: Mapping[str, str | None],
               stats: ReadStats) -> tuple[Columns, list[str], Iterator[ReviewRecord]]:
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
    header = [_str(h) or f"column_{i + 1}" for i, h in enumerate(first)]
    cols = resolve_columns(header, **opts)

    def rows() -> Iterator[ReviewRecord]:
        try:
            for number, values in enumerate(sheet_rows, start=1):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                stats.rows += 1
                yield _record(dict(zip(header, values, strict=False)), cols, number)
        finally:
            wb.close()

    return cols, header, rows()


# -- opening a source -------------------------------------------------------------------------
class ReviewSource:
    """An opened input: its format and columns, and one pass over its records."""

    def __init__(self, name: str, fmt: str, columns: Columns | None, header: list[str],
                 records: Iterator[ReviewRecord], stats: ReadStats,
                 stream: IO[bytes] | None) -> None:
        self.name = name
        self.format = fmt
        self.columns = columns
        self.header = header
        self.stats = stats
        self._records = records
        self._stream = stream

    def __iter__(self) -> Iterator[ReviewRecord]:
        return self._records

    def close(self) -> None:
        # Closing the generator runs its `finally` (an Excel workbook is closed there)
        # even when --limit stopped reading early.
        close = getattr(self._records, "close", None)
        if close is not None:
            close()
        if self._stream is not None and self._stream is not _stdin():
            self._stream.close()

    def __enter__(self) -> ReviewSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stdin() -> IO[bytes]:
    return sys.stdin.buffer


def open_source(
    path: str,
    *,
    fmt: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    product_column: str | None = None,
    rating_column: str | None = None,
    date_column: str | None = None,
    stdin: IO[bytes] | None = None,
) -> ReviewSource:
    """Open ``path`` (``-`` for standard input) and check its columns; records stream lazily."""
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    opts = {"text": text_column, "id": id_column, "product": product_column,
            "rating": rating_column, "date": date_column}
    stats = ReadStats()
    if path != "-":
        p = Path(path)
        if not p.is_file():
            raise InputError(f"input file not found: {path}")
        fmt = fmt or _EXTENSIONS.get(p.suffix.lower())
        if fmt == "xlsx":
            cols, header, records = _read_xlsx(p, opts, stats)
            return ReviewSource(path, "xlsx", cols, header, records, stats, None)
        stream: IO[bytes] = p.open("rb")
    else:
        if fmt == "xlsx":
            raise InputError("an .xlsx workbook cannot be read from standard input; "
                             "give its file name")
        stream = stdin if stdin is not None else _stdin()
    try:
        return _open_text(path, fmt, stream, opts, stats)
    except BaseException:
        if path != "-":
            stream.close()
        raise


def _open_text(name: str, fmt: str | None, stream: IO[bytes],
               opts: Mapping[str, str | None], stats: ReadStats) -> ReviewSource:
    raw_lines: Iterator[bytes] = iter(stream)
    if fmt is None:
        # Peek at one line only; it is put back in front of the stream.
        first = stream.readline()
        fmt = _sniff(first)
        raw_lines = itertools.chain([first], stream)
    lines = _lines(raw_lines, stats)
    if fmt == "txt":
        return ReviewSource(name, fmt, None, [], _read_txt(lines, stats), stats, stream)
    if fmt == "jsonl":
        cols, header, records = _read_jsonl(lines, opts, stats)
    else:
        cols, header, records = _read_delimited(lines, "\t" if fmt == "tsv" else ",", opts, stats)
    return ReviewSource(name, fmt, cols, header, records, stats, stream)


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

