"""What drives the rating: how often each theme comes up and how much it moves the outcome.

For each complaint theme and each praised aspect (the report's themes), the
reviews that mention it are compared with those that do not: the mean star
rating (or, without ratings, the mean sentiment score) of each group, their
difference (the *impact*) with a bootstrap 95% interval, and the share of
reviews that mention it (the *frequency*). ``priority = impact x share`` is
exactly how far the theme pulls the overall mean from the mean of the reviews
without it (overall - without = share x (with - without)): the "fix first"
order of complaints is most negative priority first, and praise is ranked
by the most positive. An association, not a cause: a theme that comes with
bad ratings may ride along with another.

Streaming and bounded: per theme, counts per distinct outcome value (ratings
and scores to one decimal: at most 21 values for scores, a handful for star
ratings) for the reviews with the theme, and the same for all reviews; the
reviews without the theme are the difference. Memory is themes x values,
whatever the number of reviews; the bootstrap costs resamples x values per
theme shown (``_stats.bootstrap_difference``), also independent of it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ._stats import bootstrap_difference
from ._types import Driver, DriverSummary, Outcome, ThemeKind

__all__ = ["DEFAULT_MAX_ROWS", "DEFAULT_MIN_REVIEWS", "DEFAULT_RESAMPLES", "DriverAcc"]

DEFAULT_RESAMPLES = 1000
#: Reviews a theme needs, with it and without it, to be measured.
DEFAULT_MIN_REVIEWS = 5
#: Rows measured (with an interval) per kind; the rest are counted in ``skipped``.
DEFAULT_MAX_ROWS = 12
# Praised aspects are free text: beyond this many, the least frequent are
# dropped (as the report's other vocabularies are), and counts become approximate.
_MAX_PRAISE_THEMES = 400


def _cell(value: float) -> int:
    return round(value * 10)  # tenths: ratings and scores as exact integers


@dataclass
class _Cells:
    rating: Counter[int] = field(default_factory=Counter)
    score: Counter[int] = field(default_factory=Counter)

    def add(self, rating: int | None, score: int) -> None:
        if rating is not None:
            self.rating[rating] += 1
        self.score[score] += 1

    def of(self, outcome: Outcome) -> Counter[int]:
        return self.rating if outcome == "rating" else self.score


class DriverAcc:
    """Feed each analyzed review's outcome and themes with ``add``; ``finish`` measures."""

    def __init__(self) -> None:
        self.all = _Cells()
        self.themes: dict[tuple[ThemeKind, str], _Cells] = {}
        self.praise_themes = 0
        self.pruned = False

    def add(
        self, rating: float | None, score: float, complaints: set[str], praise: set[str]
    ) -> None:
        r = _cell(rating) if rating is not None else None
        s = _cell(score)
        self.all.add(r, s)
        for kind, names in (("complaint", complaints), ("praise", praise)):
            for name in names:
                key: tuple[ThemeKind, str] = (kind, name)  # type: ignore[assignment]
                cells = self.themes.get(key)
                if cells is None:
                    cells = self.themes[key] = _Cells()
                    self.praise_themes += kind == "praise"
                cells.add(r, s)
        if self.praise_themes > 2 * _MAX_PRAISE_THEMES:
            self._prune()

    def _prune(self) -> None:
        praise = sorted(
            (k for k in self.themes if k[0] == "praise"),
            key=lambda k: (-sum(self.themes[k].score.values()), k[1]),
        )
        for key in praise[_MAX_PRAISE_THEMES:]:
            del self.themes[key]
        self.praise_themes = _MAX_PRAISE_THEMES
        self.pruned = True

    def outcome(self) -> Outcome:
        """Star ratings when at least half of the reviews have one, else sentiment scores."""
        rated = sum(self.all.rating.values())
        return "rating" if rated and 2 * rated >= sum(self.all.score.values()) else "score"

    def finish(
        self,
        *,
        resamples: int = DEFAULT_RESAMPLES,
        seed: int = 0,
        min_reviews: int = DEFAULT_MIN_REVIEWS,
        max_rows: int = DEFAULT_MAX_ROWS,
        outcome: Outcome | None = None,
    ) -> DriverSummary:
        """Measure every theme with enough reviews; bootstrap the ``max_rows`` best per kind."""
        chosen = outcome or self.outcome()
        total = self.all.of(chosen)
        n = sum(total.values())
        candidates: list[tuple[ThemeKind, str, Counter[int], float]] = []
        skipped = 0
        for (kind, name), cells in sorted(self.themes.items()):
            group = cells.of(chosen)
            k = sum(group.values())
            if k < min_reviews or n - k < min_reviews:
                skipped += 1
                continue
            rest = total - group
            impact = _mean(group) - _mean(rest)
            candidates.append((kind, name, group, impact * k / n))
        rows: list[Driver] = []
        for kind in ("complaint", "praise"):
            # Fix first: the complaint that pulls the mean down most; praise: up most.
            sign = 1 if kind == "complaint" else -1
            ranked = sorted((c for c in candidates if c[0] == kind),
                            key=lambda c: (sign * c[3], c[1]))
            skipped += max(0, len(ranked) - max_rows)
            for rank, (_, name, group, priority) in enumerate(ranked[:max_rows], start=1):
                rest = total - group
                low, high = bootstrap_difference(
                    _as_cells(group), _as_cells(rest), resamples=resamples,
                    seed=f"{seed}:{chosen}:{kind}:{name}",
                )
                with_, without = _mean(group), _mean(rest)
                rows.append(Driver(
                    theme=name, kind=kind, outcome=chosen, reviews=sum(group.values()),
                    share=sum(group.values()) / n, mean_with=with_, mean_without=without,
                    impact=with_ - without, ci_low=low, ci_high=high, priority=priority,
                    rank=rank, approximate=kind == "praise" and self.pruned,
                ))
        return DriverSummary(
            outcome=chosen, reviews=n, mean=_mean(total) if n else None, rows=tuple(rows),
            skipped=skipped, resamples=resamples, seed=seed, min_reviews=min_reviews,
        )


def _as_cells(counter: Counter[int]) -> list[tuple[float, int]]:
    # Most frequent first: the sequential binomials of a resample run out sooner.
    return [(v / 10, c) for v, c in sorted(counter.items(), key=lambda vc: (-vc[1], vc[0])) if c]


def _mean(counter: Counter[int]) -> float:
    n = sum(counter.values())
    return sum(v * c for v, c in counter.items()) / 10 / n
