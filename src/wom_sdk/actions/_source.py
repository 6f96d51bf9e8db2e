"""What the actions read and write: results (a streamed file, or records in hand), and
files replaced whole (a state, a queue), never left half-written."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..io._results import ResultRecord, coerce_record, read_results

__all__ = ["Results", "iter_records", "replacing", "source_name"]

#: A results JSONL path, or records as ``report.build_report`` takes them.
Results = Iterable[Any] | str | os.PathLike[str]


def iter_records(results: Results) -> Iterator[ResultRecord]:
    """The records of ``results``, one at a time (a file is streamed, never loaded whole)."""
    if isinstance(results, str | os.PathLike):
        return iter(read_results(results))  # each id once, its last line winning
    return (coerce_record(r) for r in results)


def source_name(results: Results) -> str:
    """How output names the input: a file's name (not its folders), else ``(records)``."""
    return Path(results).name if isinstance(results, str | os.PathLike) else "(records)"


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; it replaces ``path`` if the block succeeds.

    ``os.replace`` is atomic: a reader (or a crash, or a full disk) sees the old file
    or the new one, never half of one. On failure the temporary file is removed.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # Created as open(path, "w") would create it (0o666 less the umask), not owner-only
    # as mkstemp would: the file a user asked for keeps the permissions they expect.
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
