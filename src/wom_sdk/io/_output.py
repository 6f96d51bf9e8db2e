"""The output file of ``wom analyze``: append as results arrive, resume after a kill.

One line per review (``_results.dump_line``), written whole and flushed at
once, so a run that is killed keeps everything it finished. Starting again
reads the ids already in the file and skips them; the only damage a kill can
do is a cut last line, which is dropped (the file is truncated back to the last
complete line) before anything is appended.

Rewrites (``--retry-errors``, or a file with broken lines in the middle) go to
a temporary file in the same folder that then replaces the output with
``os.replace``: at every moment the output is either the old file or the new
one, never half of each.

Two runs appending to one file would analyze and write the same reviews twice,
so the file is locked (``flock``, where the platform has it) while a run owns it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from .._exceptions import OutputBusyError
from ..types import BatchResult
from ._results import ResultRecord, dump_line, parse_line

try:  # POSIX only; elsewhere two concurrent runs are the user's business.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["ExistingOutput", "OutputMode", "ResultWriter"]


class OutputMode(Enum):
    """What to do with an output file that already has results."""

    RESUME = "resume"  # keep every line, skip their ids
    OVERWRITE = "overwrite"  # start over
    RETRY_ERRORS = "retry_errors"  # keep only the successes, analyze the rest again


@dataclass
class ExistingOutput:
    """What was found in the output before this run appended to it."""

    #: ids with a line (insight or error): this run skips them
    done: set[str] = field(default_factory=set)
    ok: int = 0
    failed: int = 0
    #: error lines removed by --retry-errors (their reviews run again)
    retried: int = 0
    #: a cut last line (a killed run) that was dropped
    truncated_line: bool = False
    #: complete lines that were not results, or repeated an id; removed
    broken_lines: int = 0
    duplicate_lines: int = 0


def _parse(raw: bytes) -> ResultRecord | None:
    """The result on one line; None for a line that is not one."""
    try:
        return parse_line(raw)
    except ValidationError:
        return None


@dataclass
class _Scan:
    found: ExistingOutput
    #: byte offset just past the last complete line
    good_end: int
    #: the last line is whole JSON but lacks its newline (edited by hand)
    needs_newline: bool
    needs_rewrite: bool


def _lines_with_ends(fh: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    fh.seek(0)
    end = 0
    for raw in fh:
        end += len(raw)
        yield raw, end


def _keep(record: ResultRecord | None, found: ExistingOutput, mode: OutputMode) -> bool:
    """Whether a line stays (and counts), updating ``found``."""
    if record is None or record.id is None:
        found.broken_lines += 1
        return False
    if record.id in found.done:
        found.duplicate_lines += 1
        return False
    if not record.ok:
        if mode is OutputMode.RETRY_ERRORS:
            found.retried += 1
            return False
        found.failed += 1
    else:
        found.ok += 1
    found.done.add(record.id)
    return True


def _scan(fh: IO[bytes], mode: OutputMode) -> _Scan:
    found = ExistingOutput()
    good_end = 0
    needs_newline = False
    for raw, end in _lines_with_ends(fh):
        if not raw.strip():
            good_end = end
            continue
        record = _parse(raw)
        if not raw.endswith(b"\n"):
            # The last line, cut by a kill: unless it happens to be whole, drop it.
            if record is None:
                found.truncated_line = True
                break
            needs_newline = True
        _keep(record, found, mode)
        good_end = end
    dirty = found.broken_lines or found.duplicate_lines or found.retried
    return _Scan(found, good_end, needs_newline, bool(dirty))


def _rewrite(path: Path, mode: OutputMode) -> ExistingOutput:
    """Copy the lines that stay to a temporary file, then replace the output with it."""
    found = ExistingOutput()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with path.open("rb") as src, tmp.open("wb") as dst:
            for raw, _ in _lines_with_ends(src):
                if not raw.strip():
                    continue
                record = _parse(raw)
                if not raw.endswith(b"\n") and record is None:
                    found.truncated_line = True
                    break
                if _keep(record, found, mode):
                    dst.write(raw if raw.endswith(b"\n") else raw + b"\n")
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return found


class ResultWriter:
    """Appends results to a JSONL file; ``open`` prepares it and says what is done already."""

    def __init__(self, path: str | Path, mode: OutputMode = OutputMode.RESUME) -> None:
        self.path = Path(path)
        self.mode = mode
        self.written = 0
        self._fh: IO[bytes] | None = None

    def open(self) -> ExistingOutput:
        """Lock the file, then repair, rewrite or empty it as the mode says."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self._lock(self.path.open("a+b"))
        if self.mode is OutputMode.OVERWRITE:
            fh.truncate(0)
            self._fh = fh
            return ExistingOutput()
        scan = _scan(fh, self.mode)
        found = scan.found
        if scan.needs_rewrite:
            found = _rewrite(self.path, self.mode)
            # os.replace swapped the file under our lock: lock the new one.
            fh.close()
            fh = self._lock(self.path.open("a+b"))
        else:
            if found.truncated_line:
                fh.truncate(scan.good_end)
            if scan.needs_newline:
                fh.write(b"\n")
                fh.flush()
        self._fh = fh
        return found

    def _lock(self, fh: IO[bytes]) -> IO[bytes]:
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                raise OutputBusyError(
                    f"another process is writing {self.path} (a `wom analyze` still "
                    "running?); wait for it, or choose another output file") from None
        return fh

    def write(self, result: BatchResult) -> None:
        """Append one result and flush it to the operating system at once."""
        assert self._fh is not None, "open() first"
        self._fh.write(dump_line(result))
        self._fh.flush()
        self.written += 1

    def close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.flush()
            with contextlib.suppress(OSError):  # e.g. a pipe or a full disk at the very end
                os.fsync(fh.fileno())
            fh.close()  # closing releases the lock

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
