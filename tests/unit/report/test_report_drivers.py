"""Drivers: frequency and impact of each theme, on a case worked out by hand.

Twelve rated reviews (ratings in brackets):
  r1 [1] battery            r5  [5] shipping, screen    r9  [5] screen
  r2 [2] battery            r6  [4] shipping, screen    r10 [4] packaging
  r3 [1] battery, shipping  r7  [5] screen              r11 [5] packaging
  r4 [2] battery, shipping  r8  [4] screen              r12 [4]

battery: with 1, 2, 1, 2 (mean 1.5), without 5, 4, 5, 4, 5, 4, 5, 4 (mean 4.5):
  impact -3.0, share 4/12, priority -1.0 = overall mean 3.5 - 4.5.
shipping: with 1, 2, 5, 4 (3.0), without 1, 2, 5, 4, 5, 4, 5, 4 (3.75):
  impact -0.75, priority -0.25.
screen (praise): with 5, 4, 5, 4, 5 (4.6), without 1, 2, 1, 2, 4, 5, 4 (19/7):
  impact 4.6 - 19/7 = 1.885714..., priority 5/12 of that = 0.785714...
packaging: two reviews, below min_reviews=4: not measured.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from helpers.lines import line
from wom_sdk.report import Driver, build_report, drivers
from wom_sdk.report._drivers import DriverAcc
from wom_sdk.report._stats import bootstrap_difference

B, S, SC, P = "电池不耐用", "物流太慢", "屏幕很清晰", "包装破损"


def reviews(*, rated: bool = True) -> list[dict[str, Any]]:
    spec: list[tuple[int, list[tuple[str, str]], list[tuple[str, str]]]] = [
        (1, [("battery", B)], []),
        (2, [("battery", B)], []),
        (1, [("battery", B), ("shipping_delivery", S)], []),
        (2, [("battery", B), ("shipping_delivery", S)], []),
        (5, [("shipping_delivery", S)], [("屏幕", SC)]),
        (4, [("shipping_delivery", S)], [("屏幕", SC)]),
        (5, [], [("屏幕", SC)]),
        (4, [], [("屏幕", SC)]),
        (5, [], [("屏幕", SC)]),
        (4, [("packaging", P)], []),
        (5, [("packaging", P)], []),
        (4, [], []),
    ]
    return [
        line(f"r{i}", label="negative" if stars <= 2 else "positive",
             score=(stars - 3) / 2, rating=stars if rated else None, complaints=c, praise=p)
        for i, (stars, c, p) in enumerate(spec, start=1)
    ]


def by_theme(rows: list[Driver]) -> dict[str, Driver]:
    return {d.theme: d for d in rows}


def test_frequency_impact_and_priority_by_hand() -> None:
    rows = drivers(reviews(), min_reviews=4)
    assert [(d.kind, d.theme, d.rank) for d in rows] == [
        ("complaint", "battery", 1), ("complaint", "shipping_delivery", 2), ("praise", "屏幕", 1)]
    got = by_theme(rows)
    battery = got["battery"]
    assert (battery.outcome, battery.reviews, battery.share) == ("rating", 4, pytest.approx(1 / 3))
    assert (battery.mean_with, battery.mean_without) == (pytest.approx(1.5), pytest.approx(4.5))
    assert battery.impact == pytest.approx(-3.0)
    assert battery.priority == pytest.approx(-1.0)
    shipping = got["shipping_delivery"]
    assert (shipping.mean_with, shipping.mean_without) == (pytest.approx(3.0), pytest.approx(3.75))
    assert shipping.priority == pytest.approx(-0.25)
    screen = got["屏幕"]
    assert screen.impact == pytest.approx(4.6 - 19 / 7)
    assert screen.priority == pytest.approx(5 / 12 * (4.6 - 19 / 7))
    # priority is how far the theme moves the overall mean: overall - without.
    for d in rows:
        assert d.priority == pytest.approx(3.5 - d.mean_without)


def test_the_intervals_are_bootstrap_intervals_of_the_difference() -> None:
    got = by_theme(drivers(reviews(), min_reviews=4))
    battery = got["battery"]
    # A resample of {1, 2, 1, 2} has a mean in [1, 2], of {4, 5, ...} in [4, 5]:
    # every resampled difference lies in [-4, -2], and the interval holds the estimate.
    assert -4.0 <= battery.ci_low <= battery.impact <= battery.ci_high <= -2.0
    assert battery.significant
    assert got["屏幕"].ci_low > 0
    # Seeded per theme: the interval is the two-sample bootstrap of exactly these
    # groups, drawn from "<seed>:<outcome>:<kind>:<theme>".
    other = by_theme(drivers(reviews(), min_reviews=4, seed=7, resamples=300))["battery"]
    expected = bootstrap_difference([(1.0, 2), (2.0, 2)], [(4.0, 4), (5.0, 4)], resamples=300,
                                    seed="7:rating:complaint:battery")
    assert (other.ci_low, other.ci_high) == expected


def test_the_order_of_the_input_changes_nothing() -> None:
    lines = reviews()
    shuffled = lines[:]
    random.Random(4).shuffle(shuffled)
    assert drivers(shuffled, min_reviews=4) == drivers(lines, min_reviews=4)


def test_themes_with_too_few_reviews_are_counted_not_measured() -> None:
    report = build_report(reviews(), min_theme_reviews=4)
    assert report.data.drivers is not None
    assert report.data.drivers.skipped == 1  # packaging
    assert "packaging" not in by_theme(list(report.drivers))
    assert {d.theme for d in drivers(reviews(), min_reviews=5)} == {"屏幕"}


def test_without_ratings_the_outcome_is_the_sentiment_score() -> None:
    rows = by_theme(drivers(reviews(rated=False), min_reviews=4))
    battery = rows["battery"]
    assert battery.outcome == "score"
    # Scores (stars - 3) / 2: battery reviews -1, -0.5, -1, -0.5; the others 1, 0.5, ...
    assert battery.mean_with == pytest.approx(-0.75)
    assert battery.mean_without == pytest.approx(0.75)


def test_ratings_count_only_when_at_least_half_the_reviews_have_one() -> None:
    lines = reviews()
    for i, item in enumerate(lines):
        if i < 7:
            del item["rating"]  # 5 of 12 rated
    assert {d.outcome for d in drivers(lines, min_reviews=4)} == {"score"}


def test_drivers_are_rows_for_a_dataframe(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "out.jsonl"
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in reviews()),
                    encoding="utf-8")
    frame = pd.DataFrame(drivers(path, min_reviews=4))
    assert list(frame["theme"]) == ["battery", "shipping_delivery", "屏幕"]
    assert {"impact", "ci_low", "ci_high", "share", "priority", "reviews"} <= set(frame.columns)


def test_memory_is_bounded_by_themes_and_values_not_reviews() -> None:
    acc = DriverAcc()
    rng = random.Random(1)
    for _ in range(20_000):
        stars = rng.randint(1, 5)
        acc.add(stars, rng.uniform(-1, 1), {rng.choice(["battery", "screen"])}, set())
    cells = sum(len(c.rating) + len(c.score) for c in acc.themes.values())
    assert cells <= 2 * (5 + 21)  # two themes x (5 ratings + 21 tenths of a score)
    # Free-text praise is bounded too: the least frequent aspects are dropped.
    for i in range(5_000):
        acc.add(4, 0.5, set(), {f"aspect {i}"})
    assert len(acc.themes) < 1_000
    summary = acc.finish(min_reviews=1, resamples=20)
    assert all(d.approximate for d in summary.praise)
