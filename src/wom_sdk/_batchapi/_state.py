"""The job's state: what each input file holds, which remote objects exist, what is left.

Saved as one small JSON file next to the output (``OUT.jsonl.batch.json``) and
rewritten atomically (a temporary file in the same folder, ``fsync``, then
``os.replace``) at every step that creates something remotely, *before* it is
created: a process killed at any moment leaves either the old state or the new
one, and the next run finds every file and batch it may have created (their
names and metadata are in the state: ``JobCore`` reconciles with the remote lists).

Plain dataclasses with ``__slots__`` rather than Pydantic models: a job of 50,000
reviews holds 50,000 ``Unit``s for hours while it waits.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .._exceptions import ConfigurationError

__all__ = ["STATE_VERSION", "JobState", "Part", "StateStore", "Unit"]

#: The version of the state file's schema, its first key.
STATE_VERSION = 1


@dataclass(slots=True)
class Unit:
    """One request line: one review, or a pack's reviews in prompt order (r1, r2, ...)."""

    ids: list[str]
    #: first 16 hex digits of the SHA-256 of the first request's body, as sent
    digest: str = ""
    #: earlier answers of this dialogue (``ChatResponse.to_json``): re-asks replay them
    history: list[dict[str, Any]] = field(default_factory=list)
    #: rounds that brought no answer (failed, expired, malformed, missing)
    tries: int = 0
    #: why it has no result yet (``ErrorInfo`` fields), written if no round brings one
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class Part:
    """One input file and the batch made from it."""

    number: int
    round: int
    filename: str
    units: list[Unit]
    sha256: str
    bytes: int
    #: estimated prompt tokens: what the provider's enqueued-token limit counts
    tokens: int
    #: planned | uploaded | waiting | a batch state (``_limits.STATES``) | collected
    status: str = "planned"
    file_id: str | None = None
    batch_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None
    #: batches created from this file (several when the enqueued-token limit refused one)
    attempts: int = 0
    message: str | None = None

    @property
    def in_flight(self) -> bool:
        """Created remotely and not yet collected."""
        return self.batch_id is not None and self.status != "collected"


@dataclass(slots=True)
class JobState:
    """Everything a later process needs to continue the job without paying twice."""

    run: str
    created_at: float
    endpoint: str
    model: str
    batch_model: str
    pack: int
    mode: str
    retry: str
    retry_rounds: int
    max_enqueued_tokens: int | None = None
    round: int = 1
    parts: list[Part] = field(default_factory=list)
    #: units waiting for the next round (online, or a follow-up batch)
    pending: list[Unit] = field(default_factory=list)
    cancel_requested: bool = False
    finished: bool = False
    #: what the batch lines cost: requests, prompt_tokens, completion_tokens
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def live(self) -> bool:
        """Whether anything remote is unfinished or not yet collected (a batch the
        provider refused has nothing to collect)."""
        return not self.finished and any(p.in_flight and p.status != "failed"
                                         for p in self.parts)

    def to_json(self) -> dict[str, Any]:
        return {"wom_batch": STATE_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        if data.get("wom_batch") != STATE_VERSION:
            raise ValueError(f"unknown state version {data.get('wom_batch')!r}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["parts"] = [_part(p) for p in data.get("parts", [])]
        values["pending"] = [Unit(**u) for u in data.get("pending", [])]
        return cls(**values)


def _part(data: dict[str, Any]) -> Part:
    known = {f.name for f in fields(Part)}
    values = {k: v for k, v in data.items() if k in known}
    values["units"] = [Unit(**u) for u in data.get("units", [])]
    return Part(**values)


class StateStore:
    """Reads and atomically rewrites the state file; with no path, keeps nothing."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None

    def load(self) -> JobState | None:
        if self.path is None or not self.path.exists():
            return None
        try:
            return JobState.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as e:
            raise ConfigurationError(
                f"{self.path} is not a batch state file of this version of wom-sdk ({e}); "
                "move it away to start a new job") from None

    def save(self, state: JobState) -> None:
        if self.path is None:
            return
        text = json.dumps(state.to_json(), ensure_ascii=False, separators=(",", ":"))
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("w", encoding="utf-8") as fh:
                fh.write(text + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        _fsync_dir(self.path.parent)

    def workdir(self) -> Path | None:
        """Where input files wait for their upload: next to the state file."""
        return self.path.parent if self.path is not None else None


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk (POSIX).
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
