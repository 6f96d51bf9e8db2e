"""Real processes for end-to-end tests: the fake server, ``wom analyze``, a file of reviews."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: ``python -m fakeserver`` needs tests/ on the path.
TESTS = Path(__file__).parents[1]


@contextmanager
def fake_server(*args: str) -> Iterator[str]:
    """``python -m fakeserver --port 0 ARGS`` in its own process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakeserver", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(TESTS)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY "), line + proc.stderr.read() if proc.stderr else line
        yield line.split()[1]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def write_reviews(path: Path, n: int) -> Path:
    """A CSV of ``n`` reviews with ids ``id-0``..., half Chinese, half English."""
    lines = ["id,product,text"]
    for i in range(n):
        text = f"第{i}条：电池一天要充三次" if i % 2 else f"Review {i}: the battery dies by noon"
        lines.append(f"id-{i},Phone,{text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wom_analyze(base_url: str, src: Path, out: Path, *options: str,
                model: str = "gpt-4o-mini") -> list[str]:
    """The command line of ``wom analyze SRC -o OUT`` against ``base_url``, then ``options``."""
    return [sys.executable, "-m", "wom_sdk", "analyze", str(src), "-o", str(out),
            "--base-url", base_url, "--model", model, *options]


def output_lines(out: Path) -> list[str]:
    """The lines written to ``out`` so far (none if it does not exist yet)."""
    return out.read_bytes().decode("utf-8").splitlines() if out.exists() else []


def wait_for_lines(proc: subprocess.Popen[bytes], out: Path, n: int) -> None:
    """Wait until ``proc`` has written ``n`` lines to ``out``; fail if it ends or stalls first."""
    deadline = time.monotonic() + 60
    while len(output_lines(out)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.02)


def interruptible(cmd: list[str], *,
                  sigint: signal.Handlers = signal.SIG_DFL) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with SIGINT at ``sigint``, whatever this process inherited.

    A shell starts a background job (``cmd &`` without job control: CI scripts,
    ``nohup``) with SIGINT ignored, its children inherit that, and Python then
    installs no KeyboardInterrupt handler: a test's SIGINT would be lost.
    ``sigint=signal.SIG_IGN`` starts it as such a background job.
    """
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
