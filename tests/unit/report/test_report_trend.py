"""The weekly alert rule on crafted series: fires when it should, stays quiet otherwise."""

from __future__ import annotations

import datetime as dt

import pytest

from wom_sdk.report import TrendRule, build_report
from wom_sdk.report._trend import WeekCount, detect_alerts, week_label, week_start

W0 = dt.date(2024, 1, 1)  # a Monday, 2024-W01


def series(*points: tuple[int, int] | None) -> dict[dt.date, WeekCount]:
    """Consecutive weeks from W0; None = a week without data."""
    return {
        W0 + dt.timedelta(weeks=i): WeekCount(total, count)
        for i, p in enumerate(points)
        if p is not None
        for total, count in [p]
    }


def test_week_helpers() -> None:
    assert week_start(dt.date(2024, 5, 1)) == dt.date(2024, 4, 29)
    assert week_label(dt.date(2024, 4, 29)) == "2024-W18"
    assert week_label(dt.date(2024, 12, 30)) == "2025-W01"  # ISO year, not calendar year


def test_a_clear_jump_fires() -> None:
    # Baseline 10% with no spread, so the threshold is 10% + max(0.10, 0) = 20%.
    s = series((20, 2), (20, 2), (20, 2), (20, 2), (20, 6))
    [alert] = detect_alerts(s, "negative share")
    assert alert.week == W0 + dt.timedelta(weeks=4)
    assert (alert.share, alert.baseline, alert.threshold) == pytest.approx((0.30, 0.10, 0.20))
    assert (alert.count, alert.total, alert.metric) == (6, 20, "negative share")


def test_exactly_at_the_threshold_fires_and_just_below_does_not() -> None:
    assert detect_alerts(series((20, 2), (20, 2), (20, 4)), "x")  # 20% >= 10% + 10%
    assert not detect_alerts(series((30, 3), (30, 3), (30, 5)), "x")  # 16.7% < 20%


def test_a_noisy_baseline_raises_the_bar() -> None:
    # Baseline shares 0.1, 0.3, 0.1, 0.3: mean 0.2, population std 0.1, so the
    # threshold is 0.2 + max(0.10, 2 * 0.1) = 0.4. 0.35 does not fire, 0.4 does.
    noisy = [(20, 2), (20, 6), (20, 2), (20, 6)]
    assert not detect_alerts(series(*noisy, (20, 7)), "x")
    [alert] = detect_alerts(series(*noisy, (20, 8)), "x")
    assert alert.threshold == pytest.approx(0.4)


def test_too_few_reviews_or_mentions_do_not_fire() -> None:
    # The jump week has 9 reviews (< min_reviews=10).
    assert not detect_alerts(series((20, 0), (20, 0), (9, 9)), "x")
    # A share jump carried by 2 reviews (< min_count=3) is noise.
    assert not detect_alerts(series((20, 0), (20, 0), (10, 2)), "x")
    assert detect_alerts(series((20, 0), (20, 0), (10, 3)), "x")


def test_the_baseline_needs_two_weeks_with_enough_data() -> None:
    # Only one earlier week counts: W1 has 5 reviews, W2 has none.
    assert not detect_alerts(series((20, 0), (5, 0), None, (20, 10)), "x")
    # Two good weeks within the last 4 (gaps allowed): fires.
    assert detect_alerts(series((20, 0), None, (20, 0), (20, 10)), "x")
    # Good weeks older than the 4-week window do not count.
    assert not detect_alerts(series((20, 0), (20, 0), None, None, None, None, (20, 10)), "x")


def test_rule_numbers_are_parameters() -> None:
    s = series((20, 2), (20, 2), (20, 5))  # 25% vs 10%
    assert detect_alerts(s, "x")
    assert not detect_alerts(s, "x", TrendRule(min_jump=0.2))
    assert not detect_alerts(s, "x", TrendRule(min_count=6))
    assert not detect_alerts(s, "x", TrendRule(min_baseline_weeks=3))
    assert detect_alerts(series((4, 0), (4, 0), (4, 3)), "x", TrendRule(min_reviews=4))


def test_describe_states_the_numbers() -> None:
    text = TrendRule(min_reviews=12, min_jump=0.15).describe()
    assert "at least 12 analyzed reviews" in text
    assert "max(0.15, 2 × standard deviation" in text


def _week_records(week: int, n: int, negative: int, battery: int) -> list[dict[str, object]]:
    day = (W0 + dt.timedelta(weeks=week, days=2)).isoformat()
    out: list[dict[str, object]] = []
    for i in range(n):
        neg = i < negative
        complaints = (
            [{"aspect": "battery", "category": "battery", "quote": "dies", "severity": "high"}]
            if i < battery
            else []
        )
        out.append(
            {
                "id": f"w{week}-{i}",
                "text": "it dies",
                "date": day,
                "insight": {
                    "language": "en",
                    "sentiment": {
                        "label": "negative" if neg else "positive",
                        "score": -0.5 if neg else 0.5,
                    },
                    "complaints": complaints,
                    "reply": {"text": "ok"},
                },
            }
        )
    return out


def test_report_alerts_on_negative_share_and_on_a_theme() -> None:
    records = []
    for week in range(4):
        records += _week_records(week, 20, negative=2, battery=1)
    records += _week_records(4, 20, negative=8, battery=6)
    report = build_report(records)
    assert [(a.week_label, a.metric) for a in report.alerts] == [
        ("2024-W05", "negative share"),
        ("2024-W05", "battery"),
    ]
    html = report.to_markdown()
    assert "2024-W05" in html
    assert "Alert rule" in html
