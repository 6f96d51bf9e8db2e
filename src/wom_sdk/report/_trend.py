"""Weekly trend alerts: when a share jumps well above its recent baseline.

The rule is deliberately simple so that a reader of the report can check it by
hand; every number in it is a field of ``TrendRule``.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Alert", "TrendRule", "WeekCount", "detect_alerts", "week_label", "week_start"]


@dataclass(frozen=True)
class TrendRule:
    """When a weekly share (negative reviews, or reviews naming a theme) raises an alert.

    For each ISO week with at least ``min_reviews`` analyzed reviews, the
    baseline is the mean share over the ``baseline_weeks`` calendar weeks
    before it, counting only those weeks that themselves have at least
    ``min_reviews`` reviews; at least ``min_baseline_weeks`` such weeks are
    needed. The week is an alert when its share is at least
    ``baseline + max(min_jump, std_multiplier * std)`` (population standard
    deviation of the baseline weeks' shares) and at least ``min_count``
    reviews that week are negative / name the theme.
    """

    min_reviews: int = 10
    baseline_weeks: int = 4
    min_baseline_weeks: int = 2
    min_jump: float = 0.10
    std_multiplier: float = 2.0
    min_count: int = 3

    def describe(self) -> str:
        """The rule in one paragraph, with this instance's numbers (printed in the report)."""
        return (
            f"A week is checked when it has at least {self.min_reviews} analyzed reviews. "
            f"Its baseline is the mean share over the previous {self.baseline_weeks} calendar "
            f"weeks that have at least {self.min_reviews} reviews each (at least "
            f"{self.min_baseline_weeks} such weeks are needed). An alert is raised when the "
            f"week's share is at least baseline + max({self.min_jump:.2f}, "
            f"{self.std_multiplier:g} × standard deviation of those weeks' shares) and at least "
            f"{self.min_count} reviews that week are negative (or name the theme). "
            "Shares are of analyzed reviews; weeks are ISO weeks (Monday to Sunday)."
        )


@dataclass(frozen=True)
class WeekCount:
    """One week of one series: how many reviews, and how many of them count."""

    total: int
    count: int

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass(frozen=True)
class Alert:
    """A week whose share jumped above its baseline."""

    week: dt.date
    metric: str
    share: float
    baseline: float
    threshold: float
    count: int
    total: int

    @property
    def week_label(self) -> str:
        return week_label(self.week)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week (weeks are keyed by it)."""
    return day - dt.timedelta(days=day.weekday())


def week_label(monday: dt.date) -> str:
    """ISO week name, e.g. ``2024-W18``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def detect_alerts(
    series: Mapping[dt.date, WeekCount], metric: str, rule: TrendRule | None = None
) -> list[Alert]:
    """Apply ``rule`` to one weekly series keyed by the weeks' Mondays.

    Weeks missing from ``series`` have no data; they neither raise an alert
    nor count towards a baseline.
    """
    rule = rule or TrendRule()
    alerts: list[Alert] = []
    for week in sorted(series):
        point = series[week]
        if point.total < rule.min_reviews:
            continue
        base = [
            prev.share
            for i in range(1, rule.baseline_weeks + 1)
            if (prev := series.get(week - dt.timedelta(weeks=i))) is not None
            and prev.total >= rule.min_reviews
        ]
        if len(base) < max(rule.min_baseline_weeks, 1):
            continue
        mean = statistics.fmean(base)
        spread = statistics.pstdev(base) if len(base) > 1 else 0.0
        threshold = mean + max(rule.min_jump, rule.std_multiplier * spread)
        # A tiny tolerance: shares are ratios of small integers, and a share that
        # equals the threshold on paper must not miss it by a rounding error.
        if point.share + 1e-12 >= threshold and point.count >= rule.min_count:
            alerts.append(
                Alert(
                    week=week,
                    metric=metric,
                    share=point.share,
                    baseline=mean,
                    threshold=threshold,
                    count=point.count,
                    total=point.total,
                )
            )
    return alerts
