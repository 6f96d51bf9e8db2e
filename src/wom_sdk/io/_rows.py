"""Rows out of each input format: CSV/TSV, JSON Lines, plain text, Excel.

Each reader returns the header and a lazy iterator of ``(number, row)``, where
``row`` maps header names to values: a row at a time, whatever the file's size.
What a reader notices besides rows goes into ``ReadStats``.

CSV as real tools write it:

- Any field size: the csv module's limit (128 KiB) is raised for the process,
  never lowered (``_raise_field_limit``); a cell of a million characters is read whole.
- A row whose field count differs from the header's is never cut silently: it
  carries a ``RowShape`` under the key ``SHAPE`` (not a string, so never taken for
  a column), and the review reader applies the stated rule to it
  (``_readers.ReviewSource``).
- A quoted field that runs on for more than ``MAX_SPAN`` lines (an unclosed
  quote swallowing the rows below it) is marked the same way.
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from ._columns import ID, TEXT, is_column_name
from ._encoding import binary_kind

__all__ = [
    "MAX_SPAN",
    "SHAPE",
    "ReadStats",
    "Row",
    "RowShape",
    "cell_text",
    "delimited_rows",
    "jsonl_rows",
    "sniff",
    "txt_rows",
    "xlsx_rows",
]

#: One row: its number (data row for CSV and Excel, line for JSONL and text) and its fields.
Row = tuple[int, Mapping[Any, Any]]
Rows = tuple[list[str], Iterator[Row]]

#: Key of a row's ``RowShape`` when its fields do not match the header.
SHAPE = object()
#: Physical lines one CSV row may span before it is taken for an unclosed quote.
MAX_SPAN = 200
#: Lines or rows noted by number for the summary; the counts are exact.
_MAX_NOTED = 20
_PANDAS_HINT = "pip install 'wom-sdk[pandas]'"


@dataclass(frozen=True)
class RowShape:
    """A CSV row that does not fit its header: more or fewer fields, or too many lines."""

    line: int  # physical line where the row ends (csv's ``line_num``)
    fields: int
    expected: int
    surplus: tuple[str, ...] = ()  # the fields past the header's last column
    span: int = 1  # physical lines the row covers


@dataclass
class ReadStats:
    """What reading the input found besides reviews."""

    rows: int = 0
    #: how the text was decoded ("UTF-8", "GB18030 (GBK)", ...); None for Excel
    encoding: str | None = None
    #: undecodable bytes replaced by U+FFFD (within the rule of ``_encoding``)
    replaced: int = 0
    #: rows that are not a review (bad JSON, a JSON number); first line numbers noted
    unreadable: int = 0
    unreadable_lines: list[int] = field(default_factory=list)
    #: CSV rows with fewer fields than the header (the missing ones are empty)
    short_rows: int = 0
    #: CSV rows with more fields: joined back into the text, or not sent
    joined_rows: int = 0
    rejected_rows: int = 0
    #: "line 12 (id a7): ..." for the first rows of each kind above
    row_notes: list[str] = field(default_factory=list)

    def note_unreadable(self, line: int) -> None:
        self.unreadable += 1
        if len(self.unreadable_lines) < _MAX_NOTED:
            self.unreadable_lines.append(line)

    def note_row(self, note: str) -> None:
        if len(self.row_notes) < _MAX_NOTED:
            self.row_notes.append(note)


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


def sniff(first_line: str, *, allow_jsonl: bool = True) -> str:
    """csv, tsv, jsonl or txt, from the first line of a stream whose name says nothing.

    A ``.txt`` file may be a TSV (Excel's "Unicode text" is one): it is read as
    one when its first line is a header naming a known column (``allow_jsonl``
    is then False: a text file of quoted reviews is not JSON).
    """
    line = first_line.lstrip("\ufeff").strip()
    if allow_jsonl and line.startswith(("{", '"', "[")):
        return "jsonl"
    if allow_jsonl and is_column_name(line, TEXT):
        return "csv"  # a one-column CSV: its header is just the text column's name
    for fmt, delimiter in (("tsv", "\t"), ("csv", ",")):
        if delimiter in line:
            header = next(csv.reader([line], delimiter=delimiter))
            # A review with a comma in it is not a header: a header names a known column.
            if any(is_column_name(h, TEXT, ID) for h in header):
                return fmt
    return "txt"


# -- CSV / TSV ----------------------------------------------------------------------------------
def _raise_field_limit() -> None:
    # The limit is the csv module's, for the whole process: only ever raise it.
    # sys.maxsize overflows a C long on Windows; 2**31 - 1 fits everywhere.
    wanted = min(sys.maxsize, 2**31 - 1)
    if csv.field_size_limit() < wanted:
        csv.field_size_limit(wanted)


def delimited_rows(lines: Iterator[str], delimiter: str, stats: ReadStats,
                   header_row: int = 1) -> Rows:
    """CSV or TSV rows; the header is the ``header_row``-th row (title rows above it skipped)."""
    _raise_field_limit()
    reader = csv.reader(lines, delimiter=delimiter)
    first = None
    for _ in range(header_row):
        first = next(reader, None)
        if first is None:
            break
    if first is None:
        where = "" if header_row == 1 else f" (--header-row {header_row})"
        raise InputError(f"the input is empty: expected a header row{where}")
    if first:
        first[0] = first[0].lstrip("\ufeff")
    header = [h.strip() for h in first]

    def rows() -> Iterator[Row]:
        end = reader.line_num
        for number, values in enumerate(reader, start=1):
            start, end = end + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue  # a blank line between rows (or at the end) is not a review
            stats.rows += 1
            row: dict[Any, Any] = dict(zip(header, values, strict=False))
            span = end - start + 1
            if len(values) != len(header) or span > MAX_SPAN:
                row[SHAPE] = RowShape(line=end, fields=len(values), expected=len(header),
                                      surplus=tuple(values[len(header):]), span=span)
            yield number, row

    return header, rows()


# -- JSON Lines ---------------------------------------------------------------------------------
def jsonl_rows(lines: Iterator[str], stats: ReadStats) -> Rows:
    """One object per line; the first object names the fields."""
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
    if number == 1:
        line = line.lstrip("\ufeff")
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


# -- plain text ---------------------------------------------------------------------------------
def txt_rows(lines: Iterator[str], stats: ReadStats) -> Rows:
    """A review a line; blank lines skipped."""
    def rows() -> Iterator[Row]:
        for number, line in enumerate(lines, start=1):
            text = line.lstrip("\ufeff").strip() if number == 1 else line.strip()
            if text:
                stats.rows += 1
                yield number, {"text": text}

    return ["text"], rows()


# -- Excel --------------------------------------------------------------------------------------
def xlsx_rows(path: Path, stats: ReadStats, *, sheet: str | int | None = None,
              header_row: int = 1) -> Rows:
    """The rows of one sheet (default: the active one), streamed; the header is row ``header_row``.

    ``sheet`` is a sheet name, or its position counting from 1.
    """
    try:
        import openpyxl
    except ImportError:
        raise InputError(f"reading .xlsx needs openpyxl: {_PANDAS_HINT}") from None
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head.startswith(b"PK"):
        kind = binary_kind(head)
        what = (kind if kind is not None else "empty" if not head
                else "text (a CSV saved as .xlsx? name it .csv)")
        raise InputError(f"{path} is not an Excel workbook: an .xlsx file is a zip archive, "
                         f"this one is {what}")
    try:
        # read_only streams the sheet row by row instead of building it in memory.
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise InputError(f"{path} is not a readable Excel workbook ({type(e).__name__}: "
                         f"{e}); open it in Excel and save it again as .xlsx") from None
    try:
        ws = _sheet(wb, sheet, path)
        sheet_rows = ws.iter_rows(min_row=header_row, values_only=True)
        first = next(sheet_rows, None)
    except BaseException:
        wb.close()
        raise
    if first is None:
        wb.close()
        where = "" if header_row == 1 else f" at row {header_row} (--header-row)"
        raise InputError(f"{path} has no rows{where}: expected a header row")
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


def _sheet(wb: Any, sheet: str | int | None, path: Path) -> Any:
    names = list(wb.sheetnames)
    if sheet is None:
        return wb.active
    if isinstance(sheet, str) and sheet in names:
        return wb[sheet]
    position = sheet if isinstance(sheet, int) else (int(sheet) if sheet.isdigit() else None)
    if position is not None and 1 <= position <= len(names):
        return wb[names[position - 1]]
    listed = ", ".join(repr(n) for n in names)
    raise InputError(f"{path} has no sheet {sheet!r}; its sheets: {listed} "
                     "(give a name, or a position counting from 1)")
