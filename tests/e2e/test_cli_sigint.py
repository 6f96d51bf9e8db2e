"""Ctrl-C stops paying at once: ``wom analyze`` in a real process, interrupted with SIGINT.

SIGTERM (``kill``, ``docker stop``) is taken as the first Ctrl-C; an inherited
SIG_IGN (a background job) is respected.

The fake server runs in this process and records when each request arrived;
``wom analyze`` runs as a subprocess paced at 60 requests per minute with 16
reviews in flight, so that after the first answers most of them are asleep in
the rate limiter. Before the fix they woke after the first SIGINT and went out
one a second, for as long as the queue lasted.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakeserver import FakeOpenAIServer, wom_responder
from helpers.processes import interruptible, output_lines, wait_for_lines, wom_analyze

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32",
                                                    reason="POSIX signals")]

N_REVIEWS = 40


def _reviews(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    rows = [f"id-{i},第{i}条：电池一天要充三次" for i in range(N_REVIEWS)]
    path.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _command(base_url: str, src: Path, out: Path, rpm: str) -> list[str]:
    return wom_analyze(base_url, src, out, "--rpm", rpm, "--concurrency", "16",
                       model="fake-model")


def _finish_and_check(src: Path, out: Path) -> None:
    with FakeOpenAIServer(responder=wom_responder) as fast:
        done = subprocess.run(_command(fast.base_url, src, out, "60000"), capture_output=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    ids = [json.loads(x)["id"] for x in output_lines(out)]
    assert sorted(ids) == sorted(f"id-{i}" for i in range(N_REVIEWS))  # each exactly once


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_no_request_after_the_first_ctrl_c(tmp_path: Path, sig: signal.Signals) -> None:
    src, out = _reviews(tmp_path), tmp_path / "out.jsonl"
    with FakeOpenAIServer(responder=wom_responder) as srv:
        proc = interruptible(_command(srv.base_url, src, out, "60"))
        wait_for_lines(proc, out, 2)
        signalled = time.time()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        exited = time.time()
        time.sleep(1.5)  # a sleeper that still sent would have by now (one a second)
        late = [r for r in srv.requests if r.received_at > signalled + 0.05]
    assert proc.returncode == 130, err.decode()
    assert late == [], f"{len(late)} request(s) after Ctrl-C"
    assert exited - signalled < 5  # not the minutes the queue would have taken
    assert "run the same command again" in err.decode()
    assert out.read_bytes().endswith(b"\n")
    _finish_and_check(src, out)


def test_a_second_ctrl_c_exits_at_once_and_leaves_a_resumable_file(tmp_path: Path) -> None:
    src, out = _reviews(tmp_path), tmp_path / "out.jsonl"
    # Every answer takes 8 s: after the first Ctrl-C the run waits for those in flight.
    with FakeOpenAIServer(responder=wom_responder, latency=8.0) as srv:
        proc = interruptible(_command(srv.base_url, src, out, "60000"))
        deadline = time.monotonic() + 60
        while len(srv.requests) < 4:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no request"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting for the answers in flight
        second = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - second < 3  # not the 8 s the answers take
    assert proc.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()
    assert "run the same command again" in err.decode()
    _finish_and_check(src, out)


def test_an_ignored_sigint_stays_ignored(tmp_path: Path) -> None:
    # A background job (`wom analyze ... &` in a script) starts with SIGINT ignored, so
    # that the terminal's Ctrl-C is not for it: wom must not take it back.
    src, out = _reviews(tmp_path), tmp_path / "out.jsonl"
    with FakeOpenAIServer(responder=wom_responder) as srv:
        proc = interruptible(_command(srv.base_url, src, out, "600"), sigint=signal.SIG_IGN)
        wait_for_lines(proc, out, 2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert len(output_lines(out)) == N_REVIEWS
