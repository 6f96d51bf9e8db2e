"""Streaming: memory stays flat as the input grows, and 100,000 reviews take seconds.

Peak memory is measured with tracemalloc (Python allocations) around
``build_report`` on a file. Before measuring, one untraced run warms the
bounded caches (pydantic's JSON string cache, the aspect/date lru caches) so
that the small and the large run start from the same state. The drivers'
bootstrap runs with few resamples here: its memory is one list of resampled
differences (independent of the input), and under tracemalloc every random
number it draws is a traced allocation, which would make the test crawl.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from helpers.synth import synthetic_results, write_jsonl
from wom_sdk.report import build_report

RESAMPLES = 20


def _measure(path: Path, **options: Any) -> tuple[float, int]:
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    report = build_report(path, resamples=RESAMPLES, **options)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.totals.reviews > 0
    return elapsed, peak


def test_synthetic_results_are_realistic_and_reproducible() -> None:
    first = list(synthetic_results(300, seed=3))
    assert first == list(synthetic_results(300, seed=3))
    assert first != list(synthetic_results(300, seed=4))
    langs = {r["insight"]["language"] for r in first if r["insight"]}
    assert langs == {"zh", "en"}
    assert any(r["error"] for r in first)
    assert len({r.get("product") for r in first}) >= 6
    for r in first:
        if r["insight"]:
            for c in r["insight"]["complaints"]:
                assert c["category"]
                assert c["severity"] in {"low", "medium", "high"}


def test_memory_does_not_grow_with_the_input(tmp_path: Path) -> None:
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    write_jsonl(small, 1_000, seed=1)
    write_jsonl(big, 5_000, seed=2)
    build_report(big, resamples=RESAMPLES)  # warm-up, untraced
    _, peak_small = _measure(small)
    _, peak_big = _measure(big)
    # Holding the insights would make the 5x input take ~5x the memory.
    assert peak_big < 1.5 * peak_small + 300_000, (peak_small, peak_big)


def test_memory_stays_flat_with_comparison_and_needs(tmp_path: Path) -> None:
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    write_jsonl(small, 400, seed=1, brands=True)
    write_jsonl(big, 2_000, seed=2, brands=True)
    options = {"compare_by": "brand"}
    report = build_report(big, resamples=RESAMPLES, **options)  # warm-up, untraced
    assert report.comparison is not None
    assert [g.name for g in report.comparison.groups] == ["Aurora", "Nimbus", "Pulse"]
    assert report.needs is not None
    assert len(report.needs.segments) == 5
    _, peak_small = _measure(small, **options)
    _, peak_big = _measure(big, **options)
    assert peak_big < 1.5 * peak_small + 300_000, (peak_small, peak_big)


@pytest.mark.slow
def test_100k_reviews_in_seconds_with_flat_memory(tmp_path: Path) -> None:
    path_20k, path_100k = tmp_path / "20k.jsonl", tmp_path / "100k.jsonl"
    write_jsonl(path_20k, 20_000, seed=1)
    write_jsonl(path_100k, 100_000, seed=2)

    started = time.perf_counter()
    report = build_report(path_100k)
    html = report.to_html()
    elapsed = time.perf_counter() - started
    assert report.totals.reviews == 100_000
    assert report.alerts, "the synthetic battery spike should raise an alert"
    assert len(html) < 2_000_000
    # ~4 s on an idle 2-core machine; the bound leaves room for a busy CI box.
    assert elapsed < 60, elapsed

    _, peak_20k = _measure(path_20k)
    _, peak_100k = _measure(path_100k)
    print(
        f"100k: {elapsed:.1f}s report+HTML; tracemalloc peak {peak_20k / 1e6:.2f} MB at 20k, "
        f"{peak_100k / 1e6:.2f} MB at 100k"
    )
    assert peak_100k < 1.5 * peak_20k + 300_000, (peak_20k, peak_100k)
    assert peak_100k < 16_000_000


@pytest.mark.slow
def test_100k_reviews_with_drivers_comparison_and_needs(tmp_path: Path) -> None:
    path_20k, path_100k = tmp_path / "20k.jsonl", tmp_path / "100k.jsonl"
    write_jsonl(path_20k, 20_000, seed=1, brands=True)
    write_jsonl(path_100k, 100_000, seed=2, brands=True)
    started = time.perf_counter()
    # The defaults: 1,000 resamples per driver interval, groups' drivers included.
    report = build_report(path_100k, compare_by="brand")
    html = report.to_html()
    elapsed = time.perf_counter() - started
    assert report.drivers
    assert report.comparison is not None
    assert report.needs is not None
    assert "wom-compare" in html
    assert elapsed < 90, elapsed
    _, peak_20k = _measure(path_20k, compare_by="brand")
    _, peak_100k = _measure(path_100k, compare_by="brand")
    print(f"100k with comparison and needs: {elapsed:.1f}s report+HTML; tracemalloc peak "
          f"{peak_20k / 1e6:.2f} MB at 20k, {peak_100k / 1e6:.2f} MB at 100k")
    assert peak_100k < 1.5 * peak_20k + 300_000, (peak_20k, peak_100k)
    assert peak_100k < 16_000_000
