"""Bounded, order-free summaries of a stream: top keys, and a deterministic quote sample."""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable

from ..text._textnorm import normalize_match_text
from ._types import Quote

__all__ = ["QuoteSample", "SampleKey", "TopCounter", "quote_key"]

_ASPECT_CAPACITY = 2000
# Quotes outside this length are kept only when nothing better exists: very
# short ones say nothing, very long ones do not fit a table cell or an ad.
_QUOTE_MIN_CHARS = 4
_QUOTE_MAX_CHARS = 160


class TopCounter:
    """Counts keys; past ``2 * capacity`` keys, keeps the ``capacity`` most frequent.

    Counts stay exact until the first prune (``approximate`` tells); after it,
    keys that were dropped and come back restart from zero, so counts of the
    retained head are lower bounds. Ties are broken by key: deterministic.
    """

    def __init__(self, capacity: int = _ASPECT_CAPACITY) -> None:
        self.capacity = capacity
        self.counts: dict[str, int] = {}
        self.approximate = False

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
        if len(self.counts) > 2 * self.capacity:
            self.counts = dict(self.most_common(self.capacity))
            self.approximate = True

    def most_common(self, k: int | None = None) -> list[tuple[str, int]]:
        items = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return items if k is None else items[:k]


SampleKey = tuple[int, bytes]


class QuoteSample:
    """The ``k`` quotes with the smallest (penalty, hash of text): bounded, order-free."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.items: list[tuple[SampleKey, Quote]] = []

    def offer(self, key: SampleKey, make: Callable[[], Quote]) -> None:
        if len(self.items) >= self.k and key >= self.items[-1][0]:
            return
        if any(existing[1] == key[1] for existing, _ in self.items):
            return  # the same quote from another review: one copy is enough
        bisect.insort(self.items, (key, make()), key=lambda item: item[0])
        del self.items[self.k :]

    def quotes(self) -> tuple[Quote, ...]:
        return tuple(q for _, q in self.items)


def quote_key(text: str, penalty: int) -> SampleKey:
    digest = hashlib.blake2b(normalize_match_text(text).encode(), digest_size=8).digest()
    if not _QUOTE_MIN_CHARS <= len(text.strip()) <= _QUOTE_MAX_CHARS:
        penalty += 2
    return (penalty, digest)
