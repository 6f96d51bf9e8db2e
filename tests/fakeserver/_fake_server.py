"""``FakeOpenAIServer``: its life cycle (thread, event loop, subprocess) and its connections.

The server always runs on an asyncio event loop: its own, in a background
thread (``with``), or the caller's (``async with``). Everything that touches
the server's state runs on that loop, so only the stats need a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType
from typing import Literal, Self

from . import _payloads as payloads
from ._batches import BatchService, BatchSettings
from ._faults import FaultPlan
from ._handlers import App, Drop, Hang, Reply
from ._http import HttpError, read_request, render_response
from ._profiles import Profile
from ._responder import Responder
from ._stats import DEFAULT_MAX_RECORDED, RecordedRequest, ServerStats, StatsRecorder

__all__ = ["DEFAULT_IDLE_TIMEOUT", "FakeOpenAIServer"]

#: seconds a keep-alive connection may sit idle (or a write may stall) before we close it
DEFAULT_IDLE_TIMEOUT = 75.0
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
# Benchmarks open many connections at once; the default backlog (100) drops some.
_BACKLOG = 2048

_State = Literal["new", "running", "stopping", "stopped"]


class FakeOpenAIServer:
    """An OpenAI-compatible chat-completions server for benchmarks and fault-injection tests.

    Run it in a background thread::

        with FakeOpenAIServer(rpm=600) as srv:
            client = openai.OpenAI(base_url=srv.base_url, api_key="test")

    or on the running event loop (``async with FakeOpenAIServer() as srv``), or
    in another process (``python -m fakeserver --rpm 600``). On the
    caller's loop, a blocking client in the same thread would deadlock it: use
    the ``with`` form for synchronous clients, even inside async tests.

    A server runs once: after ``stop()`` it cannot be started again.

    Args:
        rpm: requests per minute, enforced in one-second slices (None: unlimited).
        tpm: tokens per minute, enforced the same way (None: unlimited).
        latency: seconds each admitted request waits before its answer.
        latency_jitter: extra seconds drawn uniformly from ``[0, latency_jitter]``.
        faults: which chat requests fail and how (None: none do).
        embedding_faults: which ``/embeddings`` requests fail, counted on their own;
            only the kinds that answer instead of the request apply there (429,
            500, 503, drop, hang).
        batch_settings: the Files and Batches endpoints' limits, timing and
            clock (``BatchSettings``; default: real time, OpenAI's limits).
        batch_faults: which request lines of batches get a fault, counted on
            their own (``429``/``500``/``503``/``drop``/``hang`` put the line in the
            error file; content faults corrupt its answer).
        responder: ``responder(request_json)`` gives the answer's content (a str)
            or a dict overriding ``content``, ``refusal``, ``finish_reason``, ``usage``;
            None answers a minimal instance of the requested JSON schema.
        model: the model listed by ``/v1/models`` and named in error messages.
        require_api_key: if set, requests without ``Authorization: Bearer <key>`` get 401.
        host: the interface to listen on.
        port: the port to listen on; 0 picks a free one (see ``port`` after start).
        seed: seed of the latency jitter (the fault plan has its own).
        idle_timeout: seconds before an idle keep-alive connection is closed.
        max_recorded: how many of the latest requests ``requests`` keeps.
        profile: a provider's documented behaviour (``_profiles``): its path, its
            access rules, its refusals and error shapes, its answers' extras.
    """

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        faults: FaultPlan | None = None,
        embedding_faults: FaultPlan | None = None,
        batch_settings: BatchSettings | None = None,
        batch_faults: FaultPlan | None = None,
        responder: Responder | None = None,
        model: str = "fake-model",
        require_api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_recorded: int = DEFAULT_MAX_RECORDED,
        profile: Profile | None = None,
    ) -> None:
        for name, limit in (("rpm", rpm), ("tpm", tpm)):
            if limit is not None and limit <= 0:
                raise ValueError(f"{name} must be positive, or None for no limit; got {limit}")
        if latency < 0 or latency_jitter < 0:
            raise ValueError("latency and latency_jitter must not be negative")
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive")
        self._host = host
        self._port = port
        self._idle_timeout = idle_timeout
        self._recorder = StatsRecorder(max_recorded)
        self._app = App(
            rpm=rpm,
            tpm=tpm,
            latency=latency,
            latency_jitter=latency_jitter,
            faults=faults,
            embedding_faults=embedding_faults,
            batch_settings=batch_settings,
            batch_faults=batch_faults,
            responder=responder,
            model=model,
            require_api_key=require_api_key,
            seed=seed,
            recorder=self._recorder,
            profile=profile,
        )
        self._lock = threading.Lock()
        self._state: _State = "new"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    def __repr__(self) -> str:
        return f"<FakeOpenAIServer {self._state} {self._host}:{self._port}>"

    # -- where it listens -------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The bound port (the real one once started, even when 0 was asked)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, without the ``/v1`` prefix."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``: what an OpenAI client takes as ``base_url``."""
        return f"{self.url}/v1"

    # -- what it saw ------------------------------------------------------

    def stats(self) -> ServerStats:
        """A snapshot of the counters; safe from any thread, during or after the run."""
        return self._recorder.snapshot()

    @property
    def batches(self) -> BatchService:
        """The Files and Batches endpoints' state (``.batches``, ``.files``)."""
        return self._app.batches

    @property
    def requests(self) -> list[RecordedRequest]:
        """The latest received requests (bodies, with ``.headers``), oldest first."""
        return self._recorder.recorded()

    # -- in a background thread -------------------------------------------

    def start(self) -> Self:
        """Serve from a background thread with its own event loop; returns once listening."""
        self._claim_start()
        ready = threading.Event()
        errors: list[Exception] = []
        self._thread = threading.Thread(
            target=self._run_thread, args=(ready, errors), name="FakeOpenAIServer", daemon=True
        )
        self._thread.start()
        if not ready.wait(_START_TIMEOUT):
            with contextlib.suppress(TimeoutError):  # the error worth reporting is the next one
                self.stop()
            raise TimeoutError(f"the fake server did not start within {_START_TIMEOUT}s")
        if errors:
            self._thread.join(_STOP_TIMEOUT)
            self._state = "stopped"
            raise errors[0]
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; does nothing if not running."""
        if not self._claim_stop():
            return
        try:
            if self._thread is not None:
                self._stop_thread()
            else:
                self._stop_foreign_loop()
        finally:
            self._state = "stopped"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run_thread(self, ready: threading.Event, errors: list[Exception]) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._thread_main(ready, errors))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _thread_main(self, ready: threading.Event, errors: list[Exception]) -> None:
        stop_event = asyncio.Event()
        try:
            await self._open()
        except Exception as exc:  # bind errors go back to start()'s caller
            errors.append(exc)
            ready.set()
            return
        self._stop_event = stop_event
        ready.set()
        # Unbounded on purpose: the server lives until stop(), which sets the event.
        await stop_event.wait()
        await self._close()

    def _stop_thread(self) -> None:
        assert self._thread is not None
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            # The loop may already be closed if the thread died; then there is nothing to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        self._thread.join(_STOP_TIMEOUT + 1.0)
        if self._thread.is_alive():
            raise TimeoutError(f"the fake server's thread did not stop within {_STOP_TIMEOUT}s")

    def _stop_foreign_loop(self) -> None:
        """``stop()`` on a server started with ``astart()``."""
        loop = self._loop
        assert loop is not None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            # Cannot block the loop we are on: close now, connections finish on their own.
            self._close_now()
        elif not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(_STOP_TIMEOUT + 1.0)

    # -- on the running event loop ------------------------------------------

    async def astart(self) -> Self:
        """Serve from the running event loop; returns once listening."""
        self._claim_start()
        try:
            await self._open()
        except BaseException:
            self._state = "stopped"
            raise
        return self

    async def astop(self) -> None:
        """Stop serving and close every connection; does nothing if not running."""
        if not self._claim_stop():
            return
        try:
            if self._thread is not None:
                await asyncio.to_thread(self._stop_thread)
            elif self._loop is asyncio.get_running_loop():
                await self._close()
            else:
                await asyncio.to_thread(self._stop_foreign_loop)
        finally:
            self._state = "stopped"

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    # -- shared machinery ---------------------------------------------------

    def _claim_start(self) -> None:
        with self._lock:
            if self._state != "new":
                raise RuntimeError(f"a FakeOpenAIServer runs once; this one is {self._state}")
            self._state = "running"

    def _claim_stop(self) -> bool:
        """Whether this caller should do the stopping (exactly one caller does)."""
        with self._lock:
            if self._state != "running":
                return False
            self._state = "stopping"
            return True

    async def _open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(
            self._on_connection, self._host, self._port, backlog=_BACKLOG
        )
        self._port = self._server.sockets[0].getsockname()[1]

    def _close_now(self) -> list[asyncio.Task[None]]:
        """Stop listening and cancel every connection, without waiting."""
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task, writer in list(self._connections.items()):
            writer.transport.abort()
            task.cancel()
        return tasks

    async def _close(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _STOP_TIMEOUT
        # Repeat: a connection accepted just before close() may register afterwards.
        while tasks := self._close_now():
            await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
            if loop.time() >= deadline:
                break
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), max(0.0, deadline - loop.time()))
        # Let the transports' connection_lost callbacks run before the loop may close.
        await asyncio.sleep(0)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._serve(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client went away or idled out: nothing left to answer
        except asyncio.CancelledError:
            # Only stop() cancels these tasks, and it is done with them. Ending
            # normally matters: asyncio (3.11) calls task.exception() on this
            # task when it ends, which raises, and logs, for a cancelled one.
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                async with asyncio.timeout(self._idle_timeout):
                    request = await read_request(reader)
            except HttpError as exc:
                body = payloads.error(exc.message, "invalid_request_error")
                await self._send(writer, render_response(exc.status, body, keep_alive=False))
                return
            if request is None:
                return
            try:
                outcome = await self._app.handle(request)
            except Exception as exc:  # a bug here must not kill the connection silently
                message = f"the fake server failed: {type(exc).__name__}: {exc}"
                outcome = Reply(500, payloads.error(message, "server_error"), [])
            if isinstance(outcome, Drop):
                return
            if isinstance(outcome, Hang):
                await asyncio.sleep(outcome.seconds)
                return
            response = render_response(
                outcome.status, outcome.body, outcome.headers, keep_alive=request.keep_alive,
                content_type=outcome.content_type,
            )
            await self._send(writer, response)
            if not request.keep_alive:
                return

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        # drain() waits only for a client that reads slower than we write;
        # skipping it (and its timeout) otherwise is a measurable saving per request.
        if writer.transport.get_write_buffer_size():
            async with asyncio.timeout(self._idle_timeout):
                await writer.drain()
