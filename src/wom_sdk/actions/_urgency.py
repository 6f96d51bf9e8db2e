"""Which reviews need a response now, and how urgent a reply is: one rule for alerts and queue.

``urgent_reasons`` says why a review needs a response now (``wom alerts``
raises it): a flag of the review guard that is about harm or escalation
(``URGENT_FLAGS``), a high-severity complaint, or a 1-star rating with a
complaint. ``urgency`` scores a review for the reply queue (``wom queue``)
with whole points, so that a reader can check any row by hand:

==============================  ======
what                            points
==============================  ======
each urgent flag                40
worst complaint: high           30
worst complaint: medium         15
worst complaint: low            5
rating 1 / 2 / 3 stars          20 / 15 / 5
sentiment negative / mixed      15 / 5
dated at most 2 / 7 days ago    10 / 5
==============================  ======

A review deserves a reply when it scores without the recency points (a flag,
a complaint, a rating of 3 stars or less, or a negative or mixed sentiment); a
recent but happy review does not. Ties: the newer review first, then the
smaller id. Ratings are read as 1-5 stars.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..io._results import ResultRecord
from ..report._aggregate import _parse_date
from ..text._guard import REVIEW_REASONS

__all__ = [
    "FLAG_POINTS",
    "URGENT_FLAGS",
    "URGENT_REASONS",
    "MostUrgent",
    "Urgency",
    "flags_of",
    "record_day",
    "urgency",
    "urgent_reasons",
]

#: Flags of ``text._guard.review_flags`` (and of a reply's ``review_reasons``) that mean
#: harm or escalation: a person answers these now. ``prompt_injection`` and
#: ``personal_data`` need a person before a reply is posted, but are no emergency.
URGENT_FLAGS: tuple[str, ...] = (
    "violence_threat",
    "self_harm",
    "safety_claim",
    "medical_issue",
    "legal_threat",
    "regulator_complaint",
)
HIGH_SEVERITY = "high_severity"
ONE_STAR_COMPLAINT = "one_star_complaint"
#: Every reason ``urgent_reasons`` gives, in the order it gives them.
URGENT_REASONS: tuple[str, ...] = (*URGENT_FLAGS, HIGH_SEVERITY, ONE_STAR_COMPLAINT)

FLAG_POINTS = 40
_SEVERITY_POINTS = {"high": 30, "medium": 15, "low": 5}
_RATING_POINTS = {1: 20, 2: 15, 3: 5}
_SENTIMENT_POINTS = {"negative": 15, "mixed": 5}
#: (at most this many days old, points); the first that fits counts.
_RECENCY_POINTS = ((2, 10), (7, 5))


def record_day(record: ResultRecord) -> dt.date | None:
    """The review's date as a day, read as the report reads it (None: none or unreadable)."""
    return _parse_date(record.date) if record.date else None


def flags_of(record: ResultRecord) -> set[str]:
    """The review guard's flags on this review (``text._guard.REVIEW_REASONS``).

    Read from the reply's ``review_reasons``: the guard ran on the review when it
    was analyzed (every analysis writes a reply). Not run again here: on 100,000
    reviews that would cost more than the rest of the pass.
    """
    if record.insight is None:
        return set()
    return set(REVIEW_REASONS).intersection(record.insight.reply.review_reasons)


def urgent_reasons(record: ResultRecord) -> tuple[str, ...]:
    """Why this review needs a response now, in ``URGENT_REASONS`` order (empty: it does not)."""
    insight = record.insight
    if insight is None:
        return ()
    found = flags_of(record)
    if any(c.severity == "high" for c in insight.complaints):
        found.add(HIGH_SEVERITY)
    if insight.complaints and record.rating is not None and record.rating <= 1:
        found.add(ONE_STAR_COMPLAINT)
    return tuple(r for r in URGENT_REASONS if r in found)


@dataclass(frozen=True)
class Urgency:
    """A review's place in the reply queue: its score and what made it."""

    score: int
    #: the score's parts, e.g. ``(("safety_claim", 40), ("severity high", 30))``
    parts: tuple[tuple[str, int], ...]
    #: the reasons of ``urgent_reasons``
    reasons: tuple[str, ...]

    @property
    def deserves_reply(self) -> bool:
        """Whether anything but recency scored: see the module docstring."""
        return any(name != "recent" for name, _ in self.parts)

    def explain(self) -> str:
        """The parts as one line: ``safety_claim +40; severity high +30``."""
        return "; ".join(f"{name} +{points}" for name, points in self.parts)


def urgency(record: ResultRecord, *, as_of: dt.date | None = None,
            reasons: tuple[str, ...] | None = None) -> Urgency:
    """The review's urgency score (module docstring); recency counts only with ``as_of``.

    ``reasons`` are the record's ``urgent_reasons`` when the caller has them already.
    """
    insight = record.insight
    if reasons is None:
        reasons = urgent_reasons(record)
    parts: list[tuple[str, int]] = [(r, FLAG_POINTS) for r in reasons if r in URGENT_FLAGS]
    if insight is not None:
        worst = max((_SEVERITY_POINTS.get(c.severity, 0) for c in insight.complaints), default=0)
        if worst:
            name = next(k for k, v in _SEVERITY_POINTS.items() if v == worst)
            parts.append((f"severity {name}", worst))
        if insight.sentiment.label in _SENTIMENT_POINTS:
            parts.append((insight.sentiment.label, _SENTIMENT_POINTS[insight.sentiment.label]))
    if record.rating is not None:
        stars = min(max(round(record.rating), 1), 5)
        if stars in _RATING_POINTS:
            parts.append((f"{stars} star", _RATING_POINTS[stars]))
    day = record_day(record)
    if as_of is not None and day is not None:
        age = (as_of - day).days
        points = next((p for days, p in _RECENCY_POINTS if age <= days), 0)
        if points:
            parts.append(("recent", points))
    return Urgency(sum(p for _, p in parts), tuple(parts), reasons)


T = TypeVar("T")


class _Ranked(Generic[T]):
    """An item in the heap: the least urgent compares smallest."""

    __slots__ = ("day", "id", "item", "score")

    def __init__(self, item: T, score: int, day: dt.date | None, id: str | None) -> None:
        self.item, self.score, self.id = item, score, id or ""
        self.day = day.toordinal() if day is not None else 0

    def __lt__(self, other: _Ranked[T]) -> bool:
        if (self.score, self.day) != (other.score, other.day):
            return (self.score, self.day) < (other.score, other.day)
        return self.id > other.id  # a smaller id is more urgent


class MostUrgent(Generic[T]):
    """The ``limit`` most urgent items of a stream, in a bounded heap.

    Urgency is the score, then the newer date (undated last), then the smaller id:
    the queue's order, and the order of review alerts.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._heap: list[_Ranked[T]] = []

    def offer(self, item: T, score: int, day: dt.date | None, id: str | None) -> None:
        ranked = _Ranked(item, score, day, id)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, ranked)
        elif self._heap and self._heap[0] < ranked:
            heapq.heapreplace(self._heap, ranked)

    def items(self) -> tuple[T, ...]:
        """The items kept, most urgent first."""
        return tuple(r.item for r in sorted(self._heap, reverse=True))
