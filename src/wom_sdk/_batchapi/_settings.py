"""A batch job's options, and where its reviews come from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from .._exceptions import ConfigurationError
from ..types import ReviewRecord

__all__ = ["DEFAULT_RETRY_ROUNDS", "MemorySource", "RecordSource", "Settings"]

#: Follow-up batches a request may go through without an answer (``retry="batch"``).
DEFAULT_RETRY_ROUNDS = 2


class RecordSource(Protocol):
    """Where a job's reviews come from, read again when results come back."""

    def records(self) -> Iterator[ReviewRecord]:
        """Every review, ids unique, in input order."""
        ...

    def pick(self, ids: set[str]) -> dict[str, ReviewRecord]:
        """The reviews with these ids."""
        ...


class MemorySource:
    """Reviews given in memory (``submit_batch``)."""

    def __init__(self, records: Sequence[ReviewRecord]) -> None:
        self._records = records
        self._by_id = {r.id: r for r in records}

    def records(self) -> Iterator[ReviewRecord]:
        return iter(self._records)

    def pick(self, ids: set[str]) -> dict[str, ReviewRecord]:
        return {i: self._by_id[i] for i in ids if i in self._by_id}


class Settings:
    """A job's options (``submit_batch``'s arguments)."""

    def __init__(self, *, pack: int = 1, retry: str = "online",
                 retry_rounds: int = DEFAULT_RETRY_ROUNDS, batch_model: str | None = None,
                 max_requests_per_file: int | None = None,
                 max_enqueued_tokens: int | None = None, metadata: dict[str, str] | None = None,
                 brand_voice: str | None = None, categories: Sequence[str] | None = None,
                 poll_interval: float | None = None, max_concurrency: int | None = None) -> None:
        if pack < 1:
            raise ConfigurationError("pack must be >= 1")
        if retry not in ("online", "batch"):
            raise ConfigurationError("retry must be 'online' or 'batch'")
        if retry_rounds < 0:
            raise ConfigurationError("retry_rounds must be >= 0")
        for name, value in (("max_requests_per_file", max_requests_per_file),
                            ("max_enqueued_tokens", max_enqueued_tokens)):
            if value is not None and value < 1:
                raise ConfigurationError(f"{name} must be >= 1")
        if poll_interval is not None and poll_interval < 0:
            raise ConfigurationError("poll_interval must be >= 0 seconds")
        if metadata is not None and len(metadata) > 13:
            # 16 pairs in all (batch_create_params.py); wom uses 3 to find its batches.
            raise ConfigurationError("metadata: at most 13 pairs (the provider takes 16, "
                                     "wom-sdk uses 3)")
        self.pack = pack
        self.retry = retry
        self.retry_rounds = retry_rounds
        self.batch_model = batch_model
        self.max_requests_per_file = max_requests_per_file
        self.max_enqueued_tokens = max_enqueued_tokens
        self.metadata = dict(metadata or {})
        self.brand_voice = brand_voice
        self.categories = categories
        self.poll_interval = poll_interval
        self.max_concurrency = max_concurrency
