"""``wom analyze`` in a real process, killed mid-run and run again.

The fake OpenAI server runs as its own process (``python -m fakeserver
--responder wom``: grounded answers to the SDK's prompts, so every review can end
as an insight) with some latency; the command line runs as a subprocess that is
killed with SIGKILL (no chance to clean up) or interrupted with SIGINT.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.processes import (
    fake_server,
    interruptible,
    output_lines,
    wait_for_lines,
    wom_analyze,
    write_reviews,
)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32",
                                                    reason="POSIX signals")]

N_REVIEWS = 200


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with fake_server("--latency", "0.05", "--responder", "wom") as url:
        yield url


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    return write_reviews(tmp_path / "reviews.csv", N_REVIEWS)


def _command(base_url: str, src: Path, out: Path) -> list[str]:
    return wom_analyze(base_url, src, out, "--rpm", "60000", "--concurrency", "4")


def _start_and_wait(cmd: list[str], out: Path, at_least: int) -> subprocess.Popen[bytes]:
    proc = interruptible(cmd)
    wait_for_lines(proc, out, at_least)
    return proc


def _assert_complete(out: Path) -> None:
    records = [json.loads(line) for line in output_lines(out)]  # every line is whole JSON
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "an id was written twice"
    assert sorted(ids) == sorted(f"id-{i}" for i in range(N_REVIEWS))
    assert all(r["insight"] is not None and r["error"] is None for r in records)


def test_sigkill_then_rerun_writes_every_id_exactly_once(
        base_url: str, reviews: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    cmd = _command(base_url, reviews, out)
    proc = _start_and_wait(cmd, out, at_least=30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    killed_at = len(output_lines(out))
    assert 30 <= killed_at < N_REVIEWS
    summary = tmp_path / "summary.json"
    done = subprocess.run([*cmd, "--summary-json", str(summary)], capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    _assert_complete(out)
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["skipped_done"] + s["analyzed"] == N_REVIEWS
    assert s["skipped_done"] >= killed_at - 1  # at most the cut last line is redone


def test_repeated_kills_never_duplicate_or_corrupt(
        base_url: str, reviews: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    cmd = _command(base_url, reviews, out)
    for target in (20, 60, 110):
        proc = _start_and_wait(cmd, out, at_least=target)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    _assert_complete(out)


def test_ctrl_c_finishes_in_flight_work_and_says_how_to_resume(
        base_url: str, reviews: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    cmd = _command(base_url, reviews, out)
    proc = _start_and_wait(cmd, out, at_least=20)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    message = err.decode()
    assert "run the same command again" in message
    assert "wom analyze" in message
    assert "Traceback" not in message
    lines = output_lines(out)
    assert 20 <= len(lines) < N_REVIEWS
    assert out.read_bytes().endswith(b"\n")  # stopped between lines, nothing cut
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    _assert_complete(out)
