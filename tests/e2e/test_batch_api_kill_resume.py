"""``wom analyze --batch-api`` in a real process, killed while its job is in flight.

The fake server runs as its own process on virtual time (``--batch-speed``: a
virtual second is a tenth of a real one), so a job takes a few real seconds.
The command is killed with SIGKILL (no clean-up) once its batches exist; the
same command, run again, must find the job in its state file and collect it:
no second upload, no second batch, every review written once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from helpers.processes import fake_server, interruptible, wom_analyze, write_reviews

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32",
                                                    reason="POSIX signals")]

N_REVIEWS = 60
PER_FILE = 20


@pytest.fixture
def base_url() -> Iterator[str]:
    with fake_server("--responder", "wom", "--batch-speed", "10", "--batch-validate", "20",
                     "--batch-per-line", "0.5", "--batch-finalize", "10") as url:
        yield url


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    return write_reviews(tmp_path / "reviews.csv", N_REVIEWS)


def _command(base_url: str, src: Path, out: Path) -> list[str]:
    return wom_analyze(base_url, src, out, "--batch-api",
                       "--max-requests-per-file", str(PER_FILE), "--poll-interval", "0.2")


def _state(out: Path) -> dict[str, Any] | None:
    path = out.with_name(out.name + ".batch.json")
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _wait_for(proc: subprocess.Popen[bytes], ready: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"no {what}"
        time.sleep(0.01)


def _remote(base_url: str) -> tuple[list[Any], list[Any]]:
    client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
    return list(client.files.list(purpose="batch")), list(client.batches.list())


def _assert_complete(out: Path) -> None:
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), "an id was written twice"
    assert sorted(ids) == sorted(f"id-{i}" for i in range(N_REVIEWS))
    assert all(r["insight"] is not None for r in records)


def test_sigkill_while_the_job_is_in_flight_then_the_same_command_collects_it(
        base_url: str, reviews: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    cmd = _command(base_url, reviews, out)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def submitted() -> bool:
        st = _state(out)
        return bool(st and st["parts"] and all(p["batch_id"] for p in st["parts"]))

    _wait_for(proc, submitted, "submitted job")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    files, batches = _remote(base_url)
    assert len(files) == len(batches) == -(-(N_REVIEWS - 1) // PER_FILE)
    assert any(b.status not in ("completed", "failed") for b in batches), "killed too late"

    summary = tmp_path / "summary.json"
    done = subprocess.run([*cmd, "--summary-json", str(summary)], capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    _assert_complete(out)
    assert _remote(base_url)[0] == files  # no second upload
    assert [b.id for b in _remote(base_url)[1]] == [b.id for b in batches]  # no second job
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["batch_api"]["answers"] == N_REVIEWS - 1
    assert s["skipped_done"] + s["analyzed"] == N_REVIEWS


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_while_waiting_says_how_to_resume_and_the_batches_go_on(
        base_url: str, reviews: Path, tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "out.jsonl"
    cmd = _command(base_url, reviews, out)
    proc = interruptible(cmd)
    _wait_for(proc, lambda: bool((_state(out) or {}).get("parts")), "plan")
    time.sleep(0.3)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    message = err.decode()
    assert proc.returncode == 130, message
    assert "run the same command again" in message
    assert "wom batches" in message
    assert "Traceback" not in message
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    _assert_complete(out)
    _, batches = _remote(base_url)
    assert len(batches) == -(-(N_REVIEWS - 1) // PER_FILE)
