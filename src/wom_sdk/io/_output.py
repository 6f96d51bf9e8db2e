"""The output file of ``wom analyze``: append as results arrive, resume after a kill.

One line per review (``_results.dump_line``), written whole and flushed at
once, so a run that is killed keeps everything it finished. Starting again
reads the ids already in the file and skips them.

**wom never destroys or rewrites a file it did not write.** Before anything is
touched, the file must be recognised as ours: its first non-blank line is a
result line by the rule of ``_results.result_line`` (the ``"wom"`` marker, or
the shape every line had before the marker existed). Anything else (a CSV, a
JSONL of someone else's, a report) is refused with ``OutputFileError`` and
left byte for byte unchanged, whatever the mode (``--overwrite`` included).
Within our file, a line that is not ours (pasted in, appended by another tool)
is left where it is, and its id does not count as done.

What a run may change in its own file, and how:

- a cut last line (a killed run) is dropped: truncated back to the last
  complete line;
- with ``--retry-errors``, the error lines go (their reviews run again); a
  line of ours that is broken, or an id written twice (the last line wins, as in
  ``wom report``), goes too. Such rewrites copy the lines that stay, foreign ones
  included, to a temporary file in the same folder that then replaces the
  output with ``os.replace``: at every moment the output is either the old file
  or the new one, never half of each.

An output that is not a regular file (``-`` for standard output, a pipe,
``/dev/stdout`` on a terminal) is written straight through: nothing can be read
back, so such a run cannot be resumed (``ResultWriter.resumable``).

Two runs appending to one file would analyze and write the same reviews twice,
so the file is locked (``flock``, where the platform has it) while a run owns it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO

from .._exceptions import OutputBusyError, OutputFileError
from ..types import BatchResult
from ._results import ResultRecord, dump_line, result_line, starts_like_ours

try:  # POSIX only; elsewhere two concurrent runs are the user's business.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["STDOUT", "ExistingOutput", "OutputMode", "ResultWriter", "check_own_file"]

#: The output name that means standard output.
STDOUT = "-"
#: Line numbers of foreign lines kept for the summary; the count is exact.
_MAX_NOTED = 20


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
    #: lines of ours that were broken, or repeated an id (an earlier line of it); removed
    broken_lines: int = 0
    duplicate_lines: int = 0
    #: lines that are not ours: left in place, their ids not done
    foreign_lines: int = 0
    foreign_line_numbers: list[int] = field(default_factory=list)

    def _foreign(self, lineno: int) -> None:
        self.foreign_lines += 1
        if len(self.foreign_line_numbers) < _MAX_NOTED:
            self.foreign_line_numbers.append(lineno)


@dataclass
class _Line:
    number: int
    raw: bytes
    end: int  # byte offset just past it
    record: ResultRecord | None


def _lines(fh: IO[bytes]) -> Iterator[_Line]:
    """The non-blank lines, each with its result when it is ours."""
    fh.seek(0)
    end = 0
    for number, raw in enumerate(fh, start=1):
        end += len(raw)
        if raw.strip():
            yield _Line(number, raw, end, result_line(raw))


def _torn(line: _Line) -> bool:
    """A cut last line of ours: no newline, not whole, and it began like one of ours."""
    return not line.raw.endswith(b"\n") and line.record is None and starts_like_ours(line.raw)


@dataclass
class _Scan:
    found: ExistingOutput
    #: byte offset just past the last complete line
    good_end: int = 0
    #: the last line is whole but lacks its newline (edited by hand)
    needs_newline: bool = False
    #: line number of the last line of each id written more than once
    last_of: dict[str, int] = field(default_factory=dict)
    #: the first non-blank line, when it is not ours (the file is refused)
    foreign_first: _Line | None = None

    @property
    def needs_rewrite(self) -> bool:
        f = self.found
        return bool(f.broken_lines or f.duplicate_lines or f.retried)


def _scan(fh: IO[bytes], mode: OutputMode) -> _Scan:
    """Read the whole file once: is it ours, what is done, what needs repair."""
    scan = _Scan(ExistingOutput())
    found = scan.found
    seen: dict[str, bool] = {}  # id -> its last line is ok
    first = True
    for line in _lines(fh):
        if first:
            first = False
            if line.record is None and not _torn(line):
                scan.foreign_first = line
                return scan
        if _torn(line):
            found.truncated_line = True
            break
        scan.good_end = line.end
        scan.needs_newline = not line.raw.endswith(b"\n")
        record = line.record
        if record is None:
            if line.raw.startswith(b'{"wom":'):
                found.broken_lines += 1  # one of ours, damaged: dropped by a rewrite
            else:
                found._foreign(line.number)
            continue
        assert record.id is not None
        if record.id in seen:
            found.duplicate_lines += 1
            scan.last_of[record.id] = line.number
        seen[record.id] = record.ok
    for ok in seen.values():
        if ok:
            found.ok += 1
        elif mode is OutputMode.RETRY_ERRORS:
            found.retried += 1
        else:
            found.failed += 1
    found.done = {rid for rid, ok in seen.items() if ok or mode is not OutputMode.RETRY_ERRORS}
    return scan


def check_own_file(path: str | os.PathLike[str]) -> None:
    """Raise ``OutputFileError`` unless ``path`` is absent, empty, or a results file of ours.

    For other writers of result lines (``run_eval``'s cache): the rule of this module.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputFileError(f"{p} is a folder, not a results file")
    if not p.exists():
        return
    with p.open("rb") as fh:
        first = next(_lines(fh), None)
    if first is not None and first.record is None and not _torn(first):
        raise _not_ours(str(p), first)


def _not_ours(name: str, line: _Line) -> OutputFileError:
    preview = line.raw[:60].decode("utf-8", "replace").strip()
    return OutputFileError(
        f"{name} exists and is not a results file of `wom analyze` (line {line.number} is "
        f"not a result line: {preview!r}). It was left unchanged; give another output file "
        "(-o), or move this one away")


def _rewrite(path: Path, scan: _Scan, mode: OutputMode) -> None:
    """Copy the lines that stay to a temporary file, then replace the output with it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with path.open("rb") as src, tmp.open("wb") as dst:
            for line in _lines(src):
                if _torn(line):
                    break
                record = line.record
                if record is None:
                    if line.raw.startswith(b'{"wom":'):
                        continue  # broken, ours
                elif scan.last_of.get(record.id or "", line.number) != line.number:
                    continue  # a later line of the same id wins
                elif mode is OutputMode.RETRY_ERRORS and not record.ok:
                    continue
                dst.write(line.raw if line.raw.endswith(b"\n") else line.raw + b"\n")
            dst.flush()
            os.fsync(dst.fileno())
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class ResultWriter:
    """Appends results to a JSONL file; ``open`` prepares it and says what is done already.

    ``path`` may be ``"-"`` (``STDOUT``): the lines go to ``stdout`` (default
    ``sys.stdout.buffer``), with nothing to resume.
    """

    def __init__(self, path: str | Path, mode: OutputMode = OutputMode.RESUME, *,
                 stdout: IO[bytes] | None = None) -> None:
        self.to_stdout = str(path) == STDOUT
        self.path = Path(path)
        #: how messages name the output
        self.name = "standard output" if self.to_stdout else str(path)
        self.mode = mode
        self.written = 0
        #: whether running the same command again continues this run
        self.resumable = not self.to_stdout
        self._stdout = stdout
        self._fh: IO[bytes] | None = None
        self._owned = True

    def open(self) -> ExistingOutput:
        """Check the output is ours and writable, lock it, then repair or empty it as the mode says.

        Raises ``OutputFileError`` (nothing touched) when it cannot be used.
        """
        if self.to_stdout:
            self._check_streamable()
            self._fh, self._owned = self._stdout or sys.stdout.buffer, False
            return ExistingOutput()
        path = self.path
        if path.is_dir():
            raise OutputFileError(f"{path} is a folder: give a file name, e.g. "
                                  f"{path / 'results.jsonl'}")
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as e:
            raise self._unwritable(e) from None
        if mode is not None and not stat.S_ISREG(mode):
            # A pipe, a terminal, /dev/stdout: write straight through, read nothing back.
            self._check_streamable()
            self.resumable = False
            self._fh = self._open(path, "ab")
            return ExistingOutput()
        # Rewrites replace the file itself, never a symlink to it (nor /dev/stdout).
        self.path = path = path.resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise self._unwritable(e) from None
        fh = self._lock(self._open(path, "a+b"))
        try:
            scan = _scan(fh, self.mode)
            if scan.foreign_first is not None:
                raise _not_ours(self.name, scan.foreign_first)
            if self.mode is OutputMode.OVERWRITE:
                fh.truncate(0)
                self._fh = fh
                return ExistingOutput()
            if scan.needs_rewrite:
                _rewrite(path, scan, self.mode)
                # os.replace swapped the file under our lock: lock the new one.
                fh.close()
                fh = self._lock(self._open(path, "a+b"))
            else:
                if scan.found.truncated_line:
                    fh.truncate(scan.good_end)
                if scan.needs_newline:
                    fh.write(b"\n")
                    fh.flush()
        except BaseException:
            fh.close()
            raise
        self._fh = fh
        return scan.found

    def _check_streamable(self) -> None:
        if self.mode is OutputMode.RETRY_ERRORS:
            raise OutputFileError(f"--retry-errors reads the failures back from the output "
                                  f"file; {self.name} cannot be read back: give -o FILE")

    def _open(self, path: Path, mode: str) -> IO[bytes]:
        try:
            return path.open(mode)
        except OSError as e:
            raise self._unwritable(e) from None

    def _unwritable(self, e: OSError) -> OutputFileError:
        return OutputFileError(f"cannot write {self.name}: {e.strerror or e}. Nothing was "
                               "sent; choose another output file or fix its permissions")

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
        if fh is None:
            return
        with contextlib.suppress(OSError):  # a pipe whose reader left, a full disk at the end
            fh.flush()
        if not self._owned:
            return  # standard output is not ours to close
        with contextlib.suppress(OSError):
            os.fsync(fh.fileno())
        fh.close()  # closing releases the lock

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
