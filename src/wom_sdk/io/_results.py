"""The JSONL result line: one model (``ResultRecord``), its writer and its reader.

``wom analyze`` writes one line per review, ``ResultRecord.from_result(r).to_line()``
gives the same line as a dict, ``wom report`` and ``wom eval`` read it back, and resuming
a run reads it to know which reviews are done. All of them go through this
module, so the line has one schema::

    {"wom": 1, "id": ..., "text": ..., "product": ..., "rating": ..., "date": ...,
     "extra": {...}, "insight": {ReviewInsight} | null,
     "error": {"kind", "type", "message", ...} | null}

``product``, ``rating`` and ``date`` are left out when unknown and ``extra``
(the input's other columns) when empty; ``insight`` and ``error`` are always
there, exactly one of them set.

``"wom"`` is the version of this schema, first in every line: a file of
results tells itself apart from any other JSONL by its first bytes, and a line
that strays into it from elsewhere does not have it. Lines written before the
marker existed have none; they are read all the same.

Writing is strict (``ResultRecord.from_result`` refuses a result that has both
or neither of insight and error); reading is lenient, so that files of older
versions and of other tools still make a report: unknown keys are ignored and
numbers are accepted where the schema has strings (an id of ``17``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._exceptions import InputError
from ..types import BatchResult, ReviewInsight, Usage
from ._columns import TEXT, find_column

__all__ = [
    "RESULTS_SCHEMA",
    "SCHEMA_KEY",
    "UNREADABLE_KIND",
    "RecordError",
    "ResultRecord",
    "ResultsFile",
    "check_results_file",
    "coerce_record",
    "dump_line",
    "parse_line",
    "read_results",
    "result_line",
    "starts_like_ours",
]

#: The version of the line's schema that this code writes.
RESULTS_SCHEMA = 1
#: ``error.kind`` given to a line that is not valid JSON or not a result: a batch
#: that was killed mid-write leaves a cut last line, and the report should still
#: be made (and say how many lines were lost) rather than fail.
UNREADABLE_KIND = "unreadable_line"


class RecordError(BaseModel):
    """Why a review has no insight: the ``error`` object of a result line.

    Only ``kind`` is required of lines from older versions or other tools; a
    report needs nothing more.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    kind: str = "error"
    type: str | None = None
    message: str | None = None
    status_code: int | None = None
    request_id: str | None = None
    attempts: int | None = None
    #: what the review spent before it failed
    usage: Usage | None = None


class ResultRecord(BaseModel):
    """One review as a result line has it: its input fields, and its insight or its error."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True,
                              validate_by_name=True, validate_by_alias=True)

    #: the schema version of the line; None for lines written before it existed
    schema_version: int | None = Field(default=None, alias="wom")
    id: str | None = None
    text: str | None = None
    product: str | None = None
    rating: float | None = None
    date: str | None = None
    #: the input's other columns, carried through unchanged
    extra: dict[str, Any] = Field(default_factory=dict)
    insight: ReviewInsight | None = None
    error: RecordError | None = None

    @property
    def ok(self) -> bool:
        """Whether the review was analyzed (an insight and no error)."""
        return self.insight is not None and self.error is None

    @classmethod
    def from_result(cls, result: BatchResult) -> ResultRecord:
        """The line of one batch result; refuses a result with both or neither outcome."""
        if (result.insight is None) == (result.error is None):
            raise ValueError(f"result {result.id!r} must have exactly one of insight and error")
        r = result.record
        error = None
        if result.error is not None:
            error = RecordError.model_construct(**dict(result.error))
        # Every field comes from validated models already: no second validation
        # on the hot path of writing a run's lines.
        return cls.model_construct(schema_version=RESULTS_SCHEMA, id=result.id, text=r.text,
                                   product=r.product, rating=r.rating, date=r.date,
                                   extra=r.extra, insight=result.insight, error=error)

    def to_line(self) -> dict[str, Any]:
        """The line as a JSON-ready dict, in the order written (always the current schema)."""
        line: dict[str, Any] = {SCHEMA_KEY: RESULTS_SCHEMA, "id": self.id, "text": self.text}
        for key in ("product", "rating", "date"):
            value = getattr(self, key)
            if value is not None:
                line[key] = value
        if self.extra:
            line["extra"] = self.extra
        line["insight"] = self.insight.model_dump(mode="json") if self.insight else None
        line["error"] = (
            self.error.model_dump(mode="json", exclude_none=True) if self.error else None
        )
        return line


#: The key of the schema version, first in every line.
SCHEMA_KEY: str = ResultRecord.model_fields["schema_version"].alias or ""
#: Keys only a result line has; a line with none of them is not one.
_RESULT_KEYS = frozenset({SCHEMA_KEY, "insight", "error"})


def dump_line(result: BatchResult | ResultRecord) -> bytes:
    """One output line: compact JSON, non-ASCII kept readable, newline-terminated."""
    record = result if isinstance(result, ResultRecord) else ResultRecord.from_result(result)
    text = json.dumps(record.to_line(), ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate (from a JSON input's "\ud800") cannot be UTF-8; written as
    # its JSON escape it stays valid JSON and keeps what the input said.
    return text.encode("utf-8", "backslashreplace") + b"\n"


def parse_line(raw: str | bytes) -> ResultRecord:
    """One result line; raises pydantic's ``ValidationError`` when it is not one."""
    # Pydantic parses and validates in one pass (in Rust): far faster than
    # json.loads followed by model_validate.
    return ResultRecord.model_validate_json(raw)


def result_line(raw: str | bytes) -> ResultRecord | None:
    """The result on a line **we** wrote, or None: the rule for recognising our own lines.

    A line is ours when it parses as a ``ResultRecord`` with an id and exactly
    one of insight and error, and either carries the schema marker (``"wom"``)
    or, written before the marker existed, has the keys every such line had:
    ``id``, ``text``, ``insight`` and ``error`` (with the error's ``kind``). A line
    from elsewhere that merely has an ``id`` is not ours, so its id is not done.
    """
    try:
        record = parse_line(raw)
    except ValidationError:
        return None
    if record.id is None or (record.insight is None) == (record.error is None):
        return None
    if record.schema_version is not None:
        return record
    keys = record.model_fields_set
    if not {"id", "text", "insight", "error"} <= keys:
        return None
    if record.error is not None and "kind" not in record.error.model_fields_set:
        return None
    return record


def starts_like_ours(raw: bytes) -> bool:
    """Whether a cut line began as one of ours (a killed run's last line)."""
    return raw.lstrip(b"\xef\xbb\xbf").startswith((b'{"wom":', b'{"id":'))


#: Size of the filter that finds repeated ids (about 1 false candidate in 20,000 at 100,000 ids).
_BLOOM_BYTES = 1 << 20


class _IdOnly(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str | None = None


class ResultsFile:
    """The records of a batch JSONL file, streamed; each id once, its last line winning.

    A file may hold an id twice (two runs' outputs joined, a hand-made file):
    the first pass notes the ids seen more than once and where each was seen
    last (memory: a fixed-size filter, and the repeated ids), the second yields
    only that last line. A
    cut last line (a run killed, or still writing) is skipped with a note; a
    broken line elsewhere is yielded as a failed record (``error.kind ==
    "unreadable_line"``), so that the report counts it rather than dropping it.
    ``notes`` says what was skipped, once iteration is over.
    """

    def __init__(self, path: str | os.PathLike[str], *, unique: bool = True) -> None:
        self.path = Path(path)
        self.unique = unique
        #: lines superseded by a later line with the same id
        self.repeated = 0
        self.torn_last_line = False
        #: JSON lines with neither an insight nor an error (not results: skipped)
        self.not_results = 0
        self.notes: list[str] = []

    def _numbered(self) -> Iterator[tuple[int, bytes]]:
        with self.path.open("rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if lineno == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                if raw.strip():
                    yield lineno, raw

    def _last_of_repeated(self) -> dict[str, int]:
        """The last line of every id that may appear twice (and of a few that do not).

        A Bloom filter of fixed size remembers the ids seen, so memory does not
        grow with the file: an id it may have seen becomes a candidate, with its
        latest line. A false candidate (seen once) maps to its only line and is
        yielded all the same; a true repeat maps to its last line, which alone is
        yielded. Exact either way.
        """
        bits = bytearray(_BLOOM_BYTES)
        size = _BLOOM_BYTES * 8
        last: dict[str, int] = {}
        for lineno, raw in self._numbered():
            try:
                rid = _IdOnly.model_validate_json(raw).id
            except ValidationError:
                continue
            if rid is None:
                continue
            h = hash(rid) & 0xFFFFFFFFFFFFFFFF  # stable within this process: both passes agree
            seen = True
            for k in (h % size, (h >> 21) % size, (h >> 42) % size):
                byte, bit = divmod(k, 8)
                if not bits[byte] >> bit & 1:
                    seen = False
                    bits[byte] |= 1 << bit
            if seen or rid in last:
                last[rid] = lineno
        return last

    def __iter__(self) -> Iterator[ResultRecord]:
        self.repeated, self.torn_last_line, self.notes, self.not_results = 0, False, [], 0
        not_results: list[int] = []
        repeated_ids: set[str] = set()
        last = self._last_of_repeated() if self.unique else {}
        for lineno, raw in self._numbered():
            try:
                record = parse_line(raw)
            except ValidationError as exc:
                if not raw.endswith(b"\n"):
                    self.torn_last_line = True
                    self.notes.append(f"the last line ({lineno}) is cut (a run killed or "
                                      "still writing): skipped, not counted as a review")
                    continue
                yield ResultRecord(
                    id=f"line {lineno}",
                    error=RecordError(kind=UNREADABLE_KIND, type=type(exc).__name__,
                                      message=f"{self.path}:{lineno}: {exc.errors()[0]['msg']}"),
                )
                continue
            if record.insight is None and record.error is None:
                self.not_results += 1
                if len(not_results) < 10:
                    not_results.append(lineno)
                continue
            if record.id is not None and last.get(record.id, lineno) != lineno:
                self.repeated += 1
                repeated_ids.add(record.id)
                continue
            yield record
        if self.not_results:
            shown = ", ".join(map(str, not_results))
            self.notes.append(f"{self.not_results} line(s) are JSON but not results "
                              f"(neither an insight nor an error; line {shown}): skipped")
        if self.repeated:
            self.notes.append(f"{len(repeated_ids)} id(s) appear on more than one line "
                              f"({self.repeated} earlier line(s)): each is counted once, "
                              "its last line wins")


def read_results(path: str | os.PathLike[str], *, unique: bool = True) -> ResultsFile:
    """Stream the records of a batch JSONL file (``ResultsFile``: each id once, last wins).

    Blank lines are skipped. A line that is not a valid record is yielded as a
    failed record (``error.kind == "unreadable_line"``) so that it is counted
    in the report instead of silently dropped or aborting it; a cut last line
    is skipped with a note instead (``.notes``). ``unique=False`` yields every
    line, repeated ids included.
    """
    return ResultsFile(path, unique=unique)


def check_results_file(path: str | os.PathLike[str]) -> None:
    """Raise ``InputError`` unless ``path`` is a results file (its first line says so).

    A file of reviews given where results are expected would otherwise make a
    report of nothing but failures; the message says what the file looks like.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path} is a folder, not a results file")
    if not p.is_file():
        raise InputError(f"results file not found: {path}")
    with p.open("rb") as fh:
        first = next((line for line in fh if line.strip()), None)
    if first is None:
        return  # an empty run: a report of nothing, honestly
    line = first.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").strip()
    try:
        obj = json.loads(line)
    except ValueError:
        obj = None
    if isinstance(obj, dict) and _RESULT_KEYS & obj.keys():
        return
    fields = list(obj) if isinstance(obj, dict) else _header_fields(line)
    column = find_column(fields, TEXT) if fields else None
    hint = (f"; it looks like reviews (column {column!r}): analyze them first with "
            f"`wom analyze {path} -o results.jsonl`" if column is not None else "")
    raise InputError(f"{path} is not a results file of `wom analyze` (one JSON line per "
                     f"review, with an insight or an error){hint}")


def _header_fields(line: str) -> list[str]:
    delimiter = "\t" if "\t" in line else ","
    return [h.strip().strip('"') for h in line.split(delimiter)]


def coerce_record(obj: Any) -> ResultRecord:
    """Accept a record, a mapping (a parsed JSONL line) or a batch result object."""
    if isinstance(obj, ResultRecord):
        return obj
    if isinstance(obj, BatchResult):
        return ResultRecord.from_result(obj)
    if isinstance(obj, ReviewInsight):
        return ResultRecord(insight=obj)
    if isinstance(obj, Mapping):
        data = dict(obj)
        if "date" in data:
            data["date"] = _date_str(data["date"])
        return ResultRecord.model_validate(data)
    if isinstance(obj, str | bytes):
        return parse_line(obj)
    # Any other object with ``.insight`` / ``.error`` (and maybe ``.record``).
    source = getattr(obj, "record", obj)
    error = getattr(obj, "error", None)
    if error is not None and not isinstance(error, Mapping | BaseModel):
        error = {
            "kind": getattr(error, "kind", "error"),
            "type": type(error).__name__,
            "message": str(error),
        }
    elif isinstance(error, BaseModel) and not isinstance(error, RecordError):
        error = error.model_dump()
    return ResultRecord.model_validate(
        {
            "id": getattr(obj, "id", None),
            "text": getattr(source, "text", None),
            "product": getattr(source, "product", None),
            "rating": getattr(source, "rating", None),
            "date": _date_str(getattr(source, "date", None)),
            "insight": getattr(obj, "insight", None),
            "error": error,
        }
    )


def _date_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    iso = getattr(value, "isoformat", None)
    return str(iso()) if callable(iso) else str(value)
