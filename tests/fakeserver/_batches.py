"""``/v1/batches``: create, retrieve, cancel, list, and the state machine behind them.

What is encoded here, and where it is documented:

- The input file: JSONL, one request a line, ``{"custom_id", "method": "POST",
  "url": "/v1/chat/completions", "body": {...}}``; ``custom_id`` unique in the file,
  one ``model`` for every line, ``url`` equal to the batch's ``endpoint``; at most
  50,000 requests and 200 MB (OpenAI's batch guide,
  https://platform.openai.com/docs/guides/batch, and "Create batch" in the API
  reference; openai-python ``types/batch_create_params.py``). The validation
  error codes (``invalid_json_line``, ``too_many_tasks``, ``url_mismatch``,
  ``model_mismatch``, ``duplicate_custom_id``, ``empty_file``, ``invalid_request``)
  are Azure's table ("Troubleshooting" in
  MicrosoftDocs/azure-ai-docs articles/ai-services/openai/how-to/batch.md);
  ``token_limit_exceeded`` is what both report when the enqueued-token quota is
  used up (learn.microsoft.com/en-us/answers/questions/2285577).
- The states: ``validating`` -> ``failed`` | ``in_progress`` -> ``finalizing`` ->
  ``completed``; ``expired`` when the 24h ``completion_window`` ends first;
  ``cancelling`` -> ``cancelled`` ("may take up to 10 minutes") (the status table of
  the batch guide; openai-python ``types/batch.py``).
- The output and error files: one line per request, ``{"id", "custom_id",
  "response": {"status_code", "request_id", "body"} | null, "error": {"code",
  "message"} | null}`` ("The per-line object of the batch output and error files",
  https://platform.openai.com/docs/api-reference/batch/request-output); requests
  that never ran get ``batch_expired`` / ``batch_cancelled``. An expired or cancelled
  batch keeps what it finished ("any already completed work is returned",
  https://help.openai.com/en/articles/9197833-batch-api-faq).
- ``metadata``: at most 16 pairs, keys of at most 64 characters, values of at most
  512 (``batch_create_params.py``). ``batches.list``: newest first, ``limit``
  1..100 (default 20), ``after`` a batch id (openai-python ``resources/batches.py``).

Not documented, the fake's own choice: lines that never ran count as ``failed``
in ``request_counts`` once the batch has ended; cancelling a batch that has
already ended is a 400.

Time is virtual: a ``clock`` the tests control (``ManualClock``), or real time
sped up (``ScaledClock``), so that a 24h window passes in a test.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._files import FileStore, page
from ._limits import estimate_prompt_tokens

__all__ = [
    "ENDPOINTS",
    "BatchService",
    "BatchSettings",
    "BatchTiming",
    "LineAnswer",
    "ManualClock",
    "ScaledClock",
]

#: Endpoints a batch may name (``batch_create_params.py``); the fake answers chat lines only.
ENDPOINTS = frozenset({"/v1/responses", "/v1/chat/completions", "/v1/embeddings",
                       "/v1/completions", "/v1/moderations"})
_LIVE = frozenset({"validating", "in_progress", "finalizing", "cancelling"})
_MAX_ERRORS = 10
#: ``answer(body) -> (status_code, response body)`` for one request line.
LineAnswer = Callable[[Mapping[str, Any]], tuple[int, dict[str, Any]]]


class ManualClock:
    """Virtual seconds that move only when the test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ScaledClock:
    """Real time, ``speed`` times faster (a 24h window in 86.4 s at speed 1000)."""

    def __init__(self, speed: float, start: float | None = None) -> None:
        self.speed = speed
        self._t0 = time.time() if start is None else start
        self._m0 = time.monotonic()

    def __call__(self) -> float:
        return self._t0 + (time.monotonic() - self._m0) * self.speed


@dataclass(frozen=True)
class BatchTiming:
    """Virtual seconds each stage takes."""

    validate: float = 30.0
    per_line: float = 0.05
    finalize: float = 30.0
    cancel: float = 30.0
    #: the 24h ``completion_window``; a batch not done by then expires
    window: float = 86_400.0


@dataclass(frozen=True)
class BatchSettings:
    """How the fake Batch API behaves (limits, timing, which output lines come back cut)."""

    timing: BatchTiming = field(default_factory=BatchTiming)
    clock: Callable[[], float] = time.time
    max_requests: int = 50_000
    max_bytes: int = 200_000_000
    #: estimated prompt tokens of one model's live batches at once (None: no limit)
    enqueued_token_limit: int | None = None
    #: ``malformed(custom_id)``: write that request's output line cut in half
    malformed: Callable[[str], bool] | None = None


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    metadata: dict[str, str] | None
    created_at: float
    expires_at: float
    lines: list[tuple[str, dict[str, Any]]]
    errors: list[dict[str, Any]]
    model: str | None
    tokens: int
    status: str = "validating"
    times: dict[str, float] = field(default_factory=dict)
    done: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    cancel_at: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    never_ran: int = 0


class BatchService:
    """The batches of one fake server; ``answer`` answers each request line."""

    def __init__(self, files: FileStore, settings: BatchSettings, answer: LineAnswer) -> None:
        self.files = files
        self.settings = settings
        self._answer = answer
        self._batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)
        self._line_ids = itertools.count(1)

    @property
    def batches(self) -> list[dict[str, Any]]:
        """Every batch as the API shows it now (oldest first)."""
        return [self._view(b) for b in self._batches.values()]

    def summary(self) -> dict[str, Any]:
        """Counts for a benchmark's record: batches by state, lines answered."""
        states: dict[str, int] = {}
        for view in self.batches:
            states[view["status"]] = states.get(view["status"], 0) + 1
        return {"batches": len(self._batches), "by_status": states,
                "lines_answered": sum(len(b.done) for b in self._batches.values()),
                "files": len(self.files)}

    # -- endpoints: (status, JSON payload) -----------------------------------------------
    def create(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = _check_create(body)
        if problem is not None:
            return 400, problem
        stored = self.files.get(str(body["input_file_id"]))
        if stored is None:
            return 404, _error(f"No such File object: {body['input_file_id']}", "input_file_id")
        if stored.purpose != "batch":
            return 400, _error("the input file must be uploaded with purpose 'batch'",
                               "input_file_id")
        now = self.settings.clock()
        lines, errors, model = _parse_input(stored.data, str(body["endpoint"]),
                                            self.settings.max_requests)
        batch = _Batch(
            id=f"batch_{next(self._ids):024x}", input_file_id=stored.id,
            endpoint=str(body["endpoint"]), metadata=body.get("metadata"), created_at=now,
            expires_at=now + self.settings.timing.window, lines=lines, errors=errors,
            model=model, tokens=sum(estimate_prompt_tokens(b.get("messages")) for _, b in lines))
        self._batches[batch.id] = batch
        return 200, self._view(batch)

    def retrieve(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self._batches.get(batch_id)
        if batch is None:
            return 404, _error(f"No batch found with id '{batch_id}'.", "batch_id")
        self._tick_all()
        return 200, self._view(batch)

    def cancel(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        batch = self._batches.get(batch_id)
        if batch is None:
            return 404, _error(f"No batch found with id '{batch_id}'.", "batch_id")
        self._tick_all()
        if batch.status in ("validating", "in_progress"):
            now = self.settings.clock()
            batch.cancel_at = now
            self._tick(batch, now)
        elif batch.status != "cancelling":
            return 400, _error(f"Cannot cancel a batch with status '{batch.status}'.")
        return 200, self._view(batch)

    def listing(self, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            limit = int(query.get("limit", "20"))
        except ValueError:
            return 400, _error("limit must be an integer", "limit")
        if not 1 <= limit <= 100:
            return 400, _error("limit must be between 1 and 100", "limit")
        self._tick_all()
        newest = sorted(self._batches.values(), key=lambda b: (b.created_at, b.id), reverse=True)
        return 200, page([self._view(b) for b in newest], query.get("after"), limit)

    # -- the state machine -----------------------------------------------------------------
    def _tick_all(self) -> None:
        now = self.settings.clock()
        for batch in self._batches.values():
            self._tick(batch, now)

    def _tick(self, b: _Batch, now: float) -> None:
        timing = self.settings.timing
        while b.status in _LIVE:
            if b.status == "validating":
                start = b.created_at + timing.validate
                if b.cancel_at is not None:
                    self._to(b, "cancelling", b.cancel_at)
                    continue
                if now < start:
                    return
                if not b.errors:
                    b.errors = self._quota_errors(b, start)
                if b.errors:
                    self._to(b, "failed", start)
                    return
                self._to(b, "in_progress", start)
            elif b.status == "in_progress":
                began = b.times["in_progress"]
                end = began + len(b.lines) * timing.per_line
                stop = min(now, end, b.expires_at, math.inf if b.cancel_at is None
                           else b.cancel_at)
                self._run_lines(b, int((stop - began) / timing.per_line + 1e-6))
                if b.cancel_at is not None and now >= b.cancel_at:
                    self._to(b, "cancelling", b.cancel_at)
                elif now >= b.expires_at and b.expires_at < end:
                    self._end(b, "expired", b.expires_at, "batch_expired",
                              "This request could not be executed before the completion "
                              "window expired.")
                elif now >= end:
                    self._run_lines(b, len(b.lines))  # every line, whatever the float sums say
                    self._to(b, "finalizing", end)
                else:
                    return
            elif b.status == "finalizing":
                if now < b.times["finalizing"] + timing.finalize:
                    return
                self._end(b, "completed", b.times["finalizing"] + timing.finalize, "", "")
            else:  # cancelling
                if now < b.times["cancelling"] + timing.cancel:
                    return
                self._end(b, "cancelled", b.times["cancelling"] + timing.cancel,
                          "batch_cancelled", "This request was not executed because the "
                          "batch was cancelled.")

    def _to(self, b: _Batch, status: str, at: float) -> None:
        b.status = status
        b.times[status] = at

    def _quota_errors(self, b: _Batch, at: float) -> list[dict[str, Any]]:
        limit = self.settings.enqueued_token_limit
        if limit is None:
            return []
        queued = 0
        for o in self._batches.values():  # the ones created before b: the queue it joins
            if o is b:
                break
            ended = o.status not in _LIVE and o.times.get(o.status, o.created_at) <= at
            if o.model == b.model and not ended:
                queued += o.tokens
        if queued + b.tokens <= limit:
            return []
        return [{"code": "token_limit_exceeded", "line": None, "param": None,
                 "message": f"Enqueued token limit reached for {b.model}. Limit: {limit:,} "
                            f"enqueued tokens. Please try again once some in_progress "
                            f"batches have been completed."}]

    def _run_lines(self, b: _Batch, upto: int) -> None:
        for custom_id, body in b.lines[len(b.done):min(upto, len(b.lines))]:
            status, payload = self._answer(body)
            b.done.append((custom_id, status, payload))

    def _end(self, b: _Batch, status: str, at: float, code: str, message: str) -> None:
        ok: list[bytes] = []
        failed: list[bytes] = []
        malformed = self.settings.malformed
        for custom_id, code_, payload in b.done:
            line = {"id": f"batch_req_{next(self._line_ids):024x}", "custom_id": custom_id,
                    "response": {"status_code": code_, "request_id": f"req_{custom_id}",
                                 "body": payload}, "error": None}
            raw = json.dumps(line, ensure_ascii=False).encode()
            if code_ == 200 and malformed is not None and malformed(custom_id):
                raw = raw[: len(raw) // 2]  # a cut line, as a broken writer leaves it
            (ok if code_ == 200 else failed).append(raw)
        for custom_id, _ in b.lines[len(b.done):]:
            b.never_ran += 1
            failed.append(json.dumps({
                "id": f"batch_req_{next(self._line_ids):024x}", "custom_id": custom_id,
                "response": None, "error": {"code": code, "message": message}}).encode())
        if ok:
            b.output_file_id = self.files.add(f"{b.id}_output.jsonl", "batch_output",
                                              b"\n".join(ok) + b"\n").id
        if failed:
            b.error_file_id = self.files.add(f"{b.id}_error.jsonl", "batch_output",
                                             b"\n".join(failed) + b"\n").id
        self._to(b, status, at)

    def _view(self, b: _Batch) -> dict[str, Any]:
        ok = sum(1 for _, code, _ in b.done if code == 200)
        started = b.status not in ("validating", "failed") or "in_progress" in b.times
        stamp = {s: int(b.times[s]) if s in b.times else None for s in
                 ("in_progress", "finalizing", "completed", "failed", "expired", "cancelling",
                  "cancelled")}
        return {
            "id": b.id, "object": "batch", "endpoint": b.endpoint, "model": b.model,
            "errors": {"object": "list", "data": b.errors} if b.errors else None,
            "input_file_id": b.input_file_id, "completion_window": "24h",
            "status": b.status, "output_file_id": b.output_file_id,
            "error_file_id": b.error_file_id, "created_at": int(b.created_at),
            "in_progress_at": stamp["in_progress"], "expires_at": int(b.expires_at),
            "finalizing_at": stamp["finalizing"], "completed_at": stamp["completed"],
            "failed_at": stamp["failed"], "expired_at": stamp["expired"],
            "cancelling_at": stamp["cancelling"], "cancelled_at": stamp["cancelled"],
            "request_counts": {"total": len(b.lines) if started else 0, "completed": ok,
                               "failed": len(b.done) - ok + b.never_ran},
            "metadata": b.metadata,
        }


def _check_create(body: Mapping[str, Any]) -> dict[str, Any] | None:
    if body.get("completion_window") != "24h":
        return _error("completion_window must be '24h'", "completion_window")
    if body.get("endpoint") not in ENDPOINTS:
        return _error(f"endpoint must be one of {sorted(ENDPOINTS)}", "endpoint")
    if not isinstance(body.get("input_file_id"), str):
        return _error("input_file_id is required", "input_file_id")
    metadata = body.get("metadata")
    if metadata is not None and not _valid_metadata(metadata):
        return _error("metadata: at most 16 string pairs, keys up to 64 characters, "
                      "values up to 512", "metadata")
    return None


def _valid_metadata(metadata: object) -> bool:
    return isinstance(metadata, Mapping) and len(metadata) <= 16 and all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 64 and len(v) <= 512
        for k, v in metadata.items())


def _parse_input(data: bytes, endpoint: str, max_requests: int
                 ) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]], str | None]:
    """The request lines, the validation errors, and the one model they name."""
    lines: list[tuple[str, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None

    def fail(code: str, message: str, lineno: int | None) -> None:
        if len(errors) < _MAX_ERRORS:
            errors.append({"code": code, "message": message, "line": lineno, "param": None})

    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except ValueError:
            fail("invalid_json_line", "This line is not parseable as valid JSON.", lineno)
            continue
        body = obj.get("body") if isinstance(obj, dict) else None
        custom_id = obj.get("custom_id") if isinstance(obj, dict) else None
        if (not isinstance(custom_id, str) or obj.get("method") != "POST"
                or not isinstance(body, dict) or not isinstance(body.get("model"), str)):
            fail("invalid_request", "Each line needs custom_id, method POST, url and a body "
                 "with a model.", lineno)
            continue
        if obj.get("url") != endpoint:
            fail("url_mismatch", f"The url of this line does not match the batch's endpoint "
                 f"{endpoint}.", lineno)
        if model is None:
            model = body["model"]
        elif body["model"] != model:
            fail("model_mismatch", "Every line of a batch must name the same model.", lineno)
        if custom_id in seen:
            fail("duplicate_custom_id", f"The custom_id {custom_id!r} is used twice.", lineno)
        seen.add(custom_id)
        lines.append((custom_id, body))
    if not lines and not errors:
        fail("empty_file", "The input file is empty.", None)
    if len(lines) > max_requests:
        fail("too_many_tasks", f"The input file has {len(lines):,} requests; the limit is "
             f"{max_requests:,}.", None)
    return lines, errors, model


def _error(message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param,
                      "code": None}}
