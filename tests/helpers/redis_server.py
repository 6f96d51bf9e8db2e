"""A real ``redis-server`` for tests: a free port, a temp dir, no persistence.

``RedisServer.skip_reason()`` says why one cannot be had here (no binary, no
client package); fixtures skip with that reason. ``kill()`` and ``start()``
again (same port) are how tests lose Redis mid-run and get it back.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["RedisServer"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server`` on 127.0.0.1 in its own process."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or _free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def skip_reason() -> str | None:
        try:
            import redis  # noqa: F401
        except ImportError:
            return "the redis client package is missing: pip install -e '.[redis]'"
        if shutil.which("redis-server") is None:
            return ("redis-server not found: `apt-get install redis-server` "
                    "(scripts/test.sh installs it)")
        return None

    @classmethod
    @contextmanager
    def or_skip(cls, workdir: Path) -> Iterator[RedisServer]:
        """A running server for a test, or the test skipped saying why there is none."""
        reason = cls.skip_reason()
        if reason:
            pytest.skip(reason)
        with cls(workdir) as server:
            yield server

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
            "--logfile", str(self.workdir / "redis.log"), "--daemonize", "no",
        ]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server exited: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: Redis vanishes the way a crashed or unplugged server does."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
