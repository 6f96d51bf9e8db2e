"""What the job's core asks its driver to do: the only I/O of a batch job.

``JobCore.run`` is a generator (as ``_llm.converse`` is for one chat): it yields
these operations and receives their results. ``SyncDriver`` and ``AsyncDriver``
(``_driver``) carry them out with the analyzer's openai client, through the one
retry policy (``_retry``) and error mapping (``_llm``); the control flow of a job
is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..types import BatchResult, ReviewRecord
from ._state import Unit
from ._units import Dialogues

__all__ = [
    "Cancel",
    "Create",
    "Download",
    "FindBatches",
    "FindFiles",
    "Online",
    "Op",
    "Probe",
    "Retrieve",
    "Sleep",
    "Submitted",
    "Upload",
]


@dataclass(frozen=True)
class Upload:
    """``files.create(purpose="batch")``; answers the file id."""

    path: Path
    filename: str


@dataclass(frozen=True)
class FindFiles:
    """Our uploads since ``since`` (seconds): filename -> file id, newest of each name."""

    prefix: str
    since: int


@dataclass(frozen=True)
class Create:
    """``batches.create``; answers the batch (a dict). Not idempotent: before each
    retry the driver looks for the batch by its ``metadata`` (``FindBatches``)."""

    file_id: str
    metadata: dict[str, str]
    since: int


@dataclass(frozen=True)
class FindBatches:
    """Our batches since ``since``: ``metadata["wom_part"]`` -> the newest batch (dict)."""

    run: str
    since: int


@dataclass(frozen=True)
class Retrieve:
    batch_id: str


@dataclass(frozen=True)
class Cancel:
    """``batches.cancel``; answers the batch, or None if it had ended already."""

    batch_id: str


@dataclass(frozen=True)
class Download:
    """A file's content, streamed to ``dest``."""

    file_id: str
    dest: Path


@dataclass(frozen=True)
class Probe:
    """Analyze one review online with the analyzer's own mode ladder: it finds the
    output mode the endpoint accepts. Answers a ``BatchResult``, or the ``WomError``."""

    record: ReviewRecord
    brand_voice: str | None
    categories: Sequence[str] | None


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Submitted:
    """Every input file that may be submitted now is: ``submit_batch`` returns here."""


@dataclass
class Online:
    """Run these units through the online path (rate limiter, retries, re-asks).

    Each unit continues its dialogue (``dialogues.start`` replays its history);
    a pack the model cannot answer falls back to its reviews one by one, as in
    ``analyze_many``. The driver reports each result through ``emit``.
    """

    units: list[tuple[Unit, list[ReviewRecord]]]
    dialogues: Dialogues
    emit: Callable[[BatchResult], None]
    max_concurrency: int | None = None


Op = Upload | FindFiles | Create | FindBatches | Retrieve | Cancel | Download | Probe | \
    Sleep | Submitted | Online
