"""Customer needs as segments: who bought for whom, and what for, and how they fare.

Reviews analyzed with the ``needs`` section (``include=("needs",)``) carry
tags such as ``parents`` or ``gift``. Each tag is a segment: the reviews that
state it (a review can be in several), their sentiment, their ratings, and the
complaint themes they raise most, against the share of those themes among all
reviews asked about needs ("buyers for parents complain about font size").
Only counts and a few verbatim quotes are kept: no profile of any person is
built or stored, and a segment is never more than "reviews that said so".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .._tasks import NEED_TAGS, need_kind
from ._sampling import QuoteSample, quote_key
from ._stats import Tally
from ._types import NeedSegment, NeedsSummary, Quote

__all__ = ["SegmentAcc"]

_TOP_COMPLAINTS = 3


@dataclass
class _Segment:
    tally: Tally = field(default_factory=Tally)
    complaints: Counter[str] = field(default_factory=Counter)
    quotes: QuoteSample = field(default_factory=lambda: QuoteSample(2))
    complaint_quotes: dict[str, QuoteSample] = field(default_factory=dict)


class SegmentAcc:
    """Feed reviews asked about needs with ``add``; ``finish`` summarizes the segments."""

    def __init__(self) -> None:
        self.asked = 0
        self.stated = 0
        self.complaints: Counter[str] = Counter()
        self.segments: dict[str, _Segment] = {}

    def add(
        self,
        *,
        needs: dict[str, tuple[str, Callable[[], Quote]]],
        label: str,
        score: float,
        rating: float | None,
        complaints: set[str],
        complaint_quotes: dict[str, tuple[str, Callable[[], Quote]]],
    ) -> None:
        """One review asked about needs: ``needs`` maps each tag it states to a verbatim
        quote (text, maker); ``complaint_quotes`` one verbatim quote per complaint theme."""
        self.asked += 1
        self.complaints.update(complaints)
        if not needs:
            return
        self.stated += 1
        for tag, (text, make) in needs.items():
            if tag not in NEED_TAGS:
                continue  # a line written by other code: only the vocabulary is a segment
            seg = self.segments.setdefault(tag, _Segment())
            seg.tally.add(label, score, rating)
            seg.complaints.update(complaints)
            seg.quotes.offer(quote_key(text, 0), make)
            for theme, (quote, maker) in complaint_quotes.items():
                sample = seg.complaint_quotes.setdefault(theme, QuoteSample(1))
                sample.offer(quote_key(quote, 0), maker)

    def finish(self) -> NeedsSummary | None:
        """None when no review was asked about needs."""
        if not self.asked:
            return None
        out = []
        for tag, seg in sorted(self.segments.items(),
                               key=lambda kv: (-kv[1].tally.analyzed, kv[0])):
            t = seg.tally
            n = t.analyzed
            top = sorted(seg.complaints.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_COMPLAINTS]
            sample = seg.complaint_quotes.get(top[0][0]) if top else None
            out.append(NeedSegment(
                tag=tag, kind=need_kind(tag), reviews=n, share=n / self.asked,
                label_counts=t.label_counts(), negative_share=t.negative_share or 0.0,
                mean_score=t.mean_score or 0.0, mean_rating=t.mean_rating,
                top_complaints=tuple((t, c, c / n, self.complaints[t] / self.asked)
                                     for t, c in top),
                quotes=seg.quotes.quotes(),
                complaint_quote=sample.items[0][1] if sample is not None and sample.items else None,
            ))
        return NeedsSummary(asked=self.asked, stated=self.stated, segments=tuple(out))
