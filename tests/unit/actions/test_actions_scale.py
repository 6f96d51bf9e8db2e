"""Streaming: alerts, highlights and the queue hold counters and bounded samples, not the input.

Peak memory is measured with tracemalloc around each pass over a file, after an
untraced warm-up run (bounded caches fill once), as ``test_report_scale`` does.
The queue is capped (``limit``) and so is the alerts' list of reviews; what grows
with the input is the set of new alert keys, which the state file keeps too (about
200 bytes per review that needs a response: 18% of the synthetic reviews do).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.synth import write_jsonl
from wom_sdk.actions import find_alerts, highlights, reply_queue

PASSES: dict[str, Callable[[Path], Any]] = {
    "alerts": lambda p: find_alerts(p, max_reviews=50),
    "highlights": lambda p: highlights(p, group_by="product"),
    "queue": lambda p: reply_queue(p, as_of=dt.date(2024, 6, 1), limit=100),
}


def _peak(run: Callable[[Path], Any], path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    run(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _allowance(name: str, small: Path, big: Path) -> int:
    """Bytes the pass may grow by from ``small`` to ``big``: alert keys, nothing else."""
    if name != "alerts":
        return 0
    keys = len(find_alerts(big).new_keys) - len(find_alerts(small).new_keys)
    return 250 * keys


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scale")
    small, big = folder / "small.jsonl", folder / "big.jsonl"
    write_jsonl(small, 600, seed=1)
    write_jsonl(big, 3_000, seed=2)
    return small, big


@pytest.mark.parametrize("name", sorted(PASSES))
def test_memory_does_not_grow_with_the_input(files: tuple[Path, Path], name: str) -> None:
    small, big = files
    run = PASSES[name]
    run(big)  # warm-up, untraced
    peak_small, peak_big = _peak(run, small), _peak(run, big)
    # Holding the records would make the 5x input take ~5x the memory.
    allowed = 1.5 * peak_small + 300_000 + _allowance(name, small, big)
    assert peak_big < allowed, (peak_small, peak_big)


@pytest.mark.slow
def test_100k_results_in_seconds_with_flat_memory(tmp_path: Path) -> None:
    path_20k, path_100k = tmp_path / "20k.jsonl", tmp_path / "100k.jsonl"
    write_jsonl(path_20k, 20_000, seed=1)
    write_jsonl(path_100k, 100_000, seed=2)
    for name, run in PASSES.items():
        started = time.perf_counter()
        run(path_100k)
        elapsed = time.perf_counter() - started
        peak_20k, peak_100k = _peak(run, path_20k), _peak(run, path_100k)
        print(f"{name}: 100k in {elapsed:.1f}s; tracemalloc peak {peak_20k / 1e6:.2f} MB at "
              f"20k, {peak_100k / 1e6:.2f} MB at 100k")
        # ~5 s each on an idle 2-core machine; room for a busy CI box.
        assert elapsed < 60, (name, elapsed)
        allowed = 1.5 * peak_20k + 1_000_000 + _allowance(name, path_20k, path_100k)
        assert peak_100k < allowed, (name, peak_20k, peak_100k)
