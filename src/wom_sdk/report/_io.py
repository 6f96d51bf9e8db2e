"""Reading batch results: one JSONL line, or one in-memory result, as a ``ResultRecord``.

The batch runner writes one line per review::

    {"id": ..., "text": ..., "product": ..., "rating": ..., "date": ...,
     "insight": {ReviewInsight} | null, "error": {"kind", "type", "message"} | null}

``read_results`` streams such a file; ``coerce_record`` turns whatever a caller
hands to ``build_report`` (a record, a dict from ``json.loads``, or a batch
result object with ``.insight`` / ``.error``) into the same shape, so the
aggregation has one input type.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..types import ReviewInsight

__all__ = ["RecordError", "ResultRecord", "coerce_record", "read_results"]

#: ``error.kind`` given to a line that is not valid JSON or not a result: a batch
#: that was killed mid-write leaves a cut last line, and the report should still
#: be made (and say how many lines were lost) rather than fail.
UNREADABLE_KIND = "unreadable_line"


class RecordError(BaseModel):
    """Why a review has no insight (the batch runner's ``error`` object).

    Lenient on purpose (only ``kind`` matters to a report): results written by
    older versions or other tools should still make a report.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    kind: str = "error"
    type: str | None = None
    message: str | None = None


class ResultRecord(BaseModel):
    """One review as the batch runner wrote it: input fields, insight or error."""

    # ids are sometimes numbers in the source CSV; a report only prints them.
    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    id: str | None = None
    text: str | None = None
    product: str | None = None
    rating: float | None = None
    date: str | None = None
    insight: ReviewInsight | None = None
    error: RecordError | None = None


def read_results(path: str | os.PathLike[str]) -> Iterator[ResultRecord]:
    """Stream the records of a batch JSONL file, one line at a time.

    Blank lines are skipped. A line that is not a valid record is yielded as a
    failed record (``error.kind == "unreadable_line"``) so that it is counted
    in the report instead of silently dropped or aborting it.
    """
    with Path(path).open("r", encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                # Pydantic parses and validates in one pass (in Rust): far
                # faster than json.loads followed by model_validate.
                yield ResultRecord.model_validate_json(line)
            except ValidationError as exc:
                yield ResultRecord(
                    id=f"line {lineno}",
                    error=RecordError(
                        kind=UNREADABLE_KIND,
                        type=type(exc).__name__,
                        message=f"{path}:{lineno}: {exc.errors()[0]['msg']}",
                    ),
                )


def coerce_record(obj: Any) -> ResultRecord:
    """Accept a record, a mapping (a parsed JSONL line) or a batch result object."""
    if isinstance(obj, ResultRecord):
        return obj
    if isinstance(obj, ReviewInsight):
        return ResultRecord(insight=obj)
    if isinstance(obj, Mapping):
        data = dict(obj)
        if "date" in data:
            data["date"] = _date_str(data["date"])
        return ResultRecord.model_validate(data)
    if isinstance(obj, str | bytes):
        return ResultRecord.model_validate_json(obj)
    to_line = getattr(obj, "to_line", None)
    if callable(to_line):
        # The batch runner's ``BatchResult``: its JSONL form is exactly our input.
        return coerce_record(to_line())
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
