"""Alerts new since the last run: reviews that need a response now, and weekly spikes.

One streaming pass over the results feeds the report's own ``Aggregator``
(so that a spike is exactly what ``wom report`` shows: the same ``TrendRule``,
the same code) and checks each review with ``_urgency.urgent_reasons``. What
was raised before is in an ``AlertState``, a small versioned JSON file written
atomically; each alert has a stable key (``review:<id>``,
``spike:<ISO week>:<metric>``), so an alert is raised once, however often the
same results are read. The caller adds the new keys to the state only once the
alerts were delivered: a webhook that failed raises them again next run.

Memory holds the aggregator's bounded counters, the keys of the state and of the
new alerts (the state file keeps them too: about 200 bytes per review that needed
a response), and at most ``max_reviews`` review alerts in full (the most urgent;
the rest are counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .._exceptions import InputError
from ..io._results import ResultRecord
from ..report._aggregate import Aggregator
from ..report._trend import Alert, TrendRule, week_label
from ._source import Results, iter_records, replacing
from ._urgency import MostUrgent, record_day, urgency, urgent_reasons

__all__ = [
    "STATE_SCHEMA",
    "AlertRun",
    "AlertState",
    "ReviewAlert",
    "SpikeAlert",
    "find_alerts",
]

#: The version of the state file's schema that this code reads and writes.
STATE_SCHEMA = 1
_STATE_KEY = "wom_alerts_state"
DEFAULT_MAX_REVIEWS = 100


class AlertState:
    """The keys of every alert raised so far; read and written as a small JSON file.

    The file: ``{"wom_alerts_state": 1, "raised": [sorted keys]}``. Writing goes
    through a temporary file in the same folder and ``os.replace``, so a run
    killed mid-write leaves the old state, never half a file.
    """

    def __init__(self, raised: Iterable[str] = ()) -> None:
        self.raised: set[str] = set(raised)

    def __contains__(self, key: object) -> bool:
        return key in self.raised

    def __len__(self) -> int:
        return len(self.raised)

    def __repr__(self) -> str:
        return f"AlertState({len(self.raised)} raised)"

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AlertState:
        """The state in ``path``; an empty state when the file does not exist (a first run)."""
        p = Path(path)
        if not p.exists():
            return cls()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(f"{path} is not an alerts state file (not JSON: {e})") from None
        if not isinstance(data, dict) or _STATE_KEY not in data:
            raise InputError(f"{path} is not an alerts state file of `wom alerts` "
                             f"(no {_STATE_KEY!r} key)")
        version = data[_STATE_KEY]
        if version != STATE_SCHEMA:
            raise InputError(f"{path} is an alerts state file of version {version!r}; this "
                             f"wom-sdk reads version {STATE_SCHEMA} (upgrade wom-sdk)")
        raised = data.get("raised")
        if not isinstance(raised, list) or not all(isinstance(k, str) for k in raised):
            raise InputError(f"{path}: 'raised' must be a list of alert keys")
        return cls(raised)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state atomically (a temporary file, then ``os.replace``)."""
        body = json.dumps({_STATE_KEY: STATE_SCHEMA, "raised": sorted(self.raised)},
                          ensure_ascii=False, indent=0)
        with replacing(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(body + "\n")
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename makes it the state


@dataclass(frozen=True)
class ReviewAlert:
    """A review that needs a response now."""

    key: str
    id: str | None
    product: str | None
    date: str | None
    rating: float | None
    #: ``_urgency.URGENT_REASONS`` that fired
    reasons: tuple[str, ...]
    #: ``urgency`` without recency: the order of review alerts
    score: int
    sentiment: str | None
    categories: tuple[str, ...]
    needs_human_review: bool
    #: the review and its complaint quotes: only with ``include_text``
    text: str | None = None
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpikeAlert:
    """A week whose negative share, or a complaint theme's share, jumped (the report's rule)."""

    key: str
    alert: Alert

    @property
    def week(self) -> str:
        return week_label(self.alert.week)


@dataclass(frozen=True)
class AlertRun:
    """What one run found: the new alerts, and the keys to remember once they are delivered."""

    #: the most urgent new review alerts (at most ``max_reviews``), most urgent first
    reviews: tuple[ReviewAlert, ...]
    #: every new review alert, including those past ``max_reviews``
    reviews_new: int
    #: new spikes, newest week first
    spikes: tuple[SpikeAlert, ...]
    #: alerts found again that an earlier run raised
    known: int
    #: records read
    records: int
    trend_rule: TrendRule
    new_keys: frozenset[str] = field(repr=False, default=frozenset())

    @property
    def new(self) -> int:
        """How many new alerts (reviews and spikes)."""
        return self.reviews_new + len(self.spikes)


def _review_key(record: ResultRecord) -> str:
    if record.id is not None:
        return f"review:{record.id}"
    # No id (a line from another tool): the text identifies the review.
    digest = hashlib.blake2b((record.text or "").encode(), digest_size=8).hexdigest()
    return f"review:text-{digest}"


def _spike_key(alert: Alert) -> str:
    return f"spike:{week_label(alert.week)}:{alert.metric}"


def _review_alert(record: ResultRecord, key: str, reasons: tuple[str, ...],
                  include_text: bool) -> ReviewAlert:
    insight = record.insight
    assert insight is not None  # only analyzed reviews have reasons
    return ReviewAlert(
        key=key,
        id=record.id,
        product=record.product,
        date=record.date,
        rating=record.rating,
        reasons=reasons,
        score=urgency(record, reasons=reasons).score,
        sentiment=insight.sentiment.label,
        categories=tuple(dict.fromkeys(c.category for c in insight.complaints)),
        needs_human_review=insight.reply.needs_human_review,
        text=record.text if include_text else None,
        quotes=tuple(c.quote for c in insight.complaints) if include_text else (),
    )


def find_alerts(
    results: Results,
    *,
    state: AlertState | None = None,
    trend_rule: TrendRule | None = None,
    since: dt.date | None = None,
    include_text: bool = False,
    max_reviews: int = DEFAULT_MAX_REVIEWS,
) -> AlertRun:
    """The alerts in ``results`` that ``state`` does not know yet, in one streaming pass.

    Args:
        results: a results JSONL path, or records as ``build_report`` takes them.
        state: what earlier runs raised (None: nothing yet).
        trend_rule: the weekly spike rule (the report's ``TrendRule()`` by default).
        since: only reviews dated on or after this day, and weeks ending on or
            after it. Reviews without a readable date are kept: a safety
            complaint is not dropped for want of a date.
        include_text: put the review text and its complaint quotes in review alerts.
        max_reviews: review alerts kept in full, the most urgent; all are counted.
    """
    if max_reviews < 0:
        raise ValueError("max_reviews must be >= 0")
    state = state or AlertState()
    rule = trend_rule or TrendRule()
    aggregator = Aggregator(trend_rule=rule)
    most = MostUrgent[ReviewAlert](max_reviews)
    new_keys: set[str] = set()
    known = records = 0
    for record in iter_records(results):
        records += 1
        aggregator.add(record)
        reasons = urgent_reasons(record)
        if not reasons:
            continue
        day = record_day(record)
        if since is not None and day is not None and day < since:
            continue
        key = _review_key(record)
        if key in state:
            known += 1
            continue
        if key in new_keys:
            continue  # the same review twice in the file: one alert
        new_keys.add(key)
        review = _review_alert(record, key, reasons, include_text)
        most.offer(review, review.score, day, record.id)
    reviews_new = len(new_keys)
    spikes: list[SpikeAlert] = []
    for alert in aggregator.finish().alerts:
        if since is not None and alert.week + dt.timedelta(days=6) < since:
            continue
        key = _spike_key(alert)
        if key in state:
            known += 1
        else:
            new_keys.add(key)
            spikes.append(SpikeAlert(key, alert))
    return AlertRun(
        reviews=most.items(),
        reviews_new=reviews_new,
        spikes=tuple(spikes),
        known=known,
        records=records,
        trend_rule=rule,
        new_keys=frozenset(new_keys),
    )
