"""Where the actions read results from: a results file (streamed) or records already in hand."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..io._results import ResultRecord, coerce_record, read_results

__all__ = ["Results", "iter_records", "source_name"]

#: A results JSONL path, or records as ``report.build_report`` takes them.
Results = Iterable[Any] | str | os.PathLike[str]


def iter_records(results: Results) -> Iterator[ResultRecord]:
    """The records of ``results``, one at a time (a file is streamed, never loaded whole)."""
    if isinstance(results, str | os.PathLike):
        return read_results(results)
    return (coerce_record(r) for r in results)


def source_name(results: Results) -> str:
    """How output names the input: a file's name (not its folders), else ``(records)``."""
    return Path(results).name if isinstance(results, str | os.PathLike) else "(records)"
