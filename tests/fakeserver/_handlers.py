"""The OpenAI-compatible endpoints: routing, limits, faults and latency.

No I/O happens here except the latency sleep: a handler turns one parsed
request into an ``Outcome`` (a reply to write, or a connection to drop or
hold), and ``_fake_server`` does the socket work. The JSON shapes live in
``_payloads``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import _payloads as payloads
from ._batches import BatchService, BatchSettings
from ._faults import FaultKind, FaultPicker, FaultPlan
from ._files import FileStore
from ._http import HttpRequest
from ._limits import RateLimiter, Verdict, estimate_prompt_tokens, estimate_text_tokens
from ._profiles import Profile
from ._responder import Responder, default_responder
from ._stats import RecordedRequest, StatsRecorder

__all__ = ["App", "Drop", "Hang", "Outcome", "Reply"]

# Faults answered before the request touches the limiter: a provider that
# fails this way has served nothing, so it charges nothing.
_EARLY_FAULTS = frozenset({"429", "500", "503", "drop", "hang"})
#: path -> the one method it answers
_ROUTES = {"/v1/chat/completions": "POST", "/v1/embeddings": "POST", "/v1/models": "GET"}


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]]
    content_type: str = "application/json"


@dataclass(slots=True)
class Drop:
    """Close the connection without answering."""


@dataclass(slots=True)
class Hang:
    """Hold the connection open, unanswered, for ``seconds``, then close it."""

    seconds: float


Outcome = Reply | Drop | Hang


def _error(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    *,
    code: str | None = None,
    param: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Reply:
    return Reply(status, payloads.error(message, type_, code, param), headers or [])


def _retry_headers(seconds: float) -> list[tuple[str, str]]:
    # retry-after is whole seconds (at least 1, or clients read "retry now");
    # retry-after-ms carries the precise wait, and the openai client prefers it.
    return [
        ("retry-after", str(max(1, math.ceil(seconds)))),
        ("retry-after-ms", str(max(1, math.ceil(seconds * 1000)))),
    ]


def _early_only(plan: FaultPlan | None) -> FaultPlan | None:
    # The other kinds corrupt a chat answer's content; an embedding has none to corrupt.
    kinds: set[str] = set()
    if plan is not None:
        kinds = {k for k in (*plan.probabilities, *plan.script) if k is not None}
    if kinds - _EARLY_FAULTS:
        known = ", ".join(sorted(_EARLY_FAULTS))
        raise ValueError(f"embedding faults can only be {known}; got {sorted(kinds)}")
    return plan


def _reserved_completion_tokens(body: Mapping[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _wants_json_schema(body: Mapping[str, Any]) -> bool:
    response_format = body.get("response_format")
    return isinstance(response_format, Mapping) and response_format.get("type") == "json_schema"


class App:
    """The endpoints of one server; called only from the server's event loop."""

    def __init__(
        self,
        *,
        rpm: int | None,
        tpm: int | None,
        latency: float,
        latency_jitter: float,
        faults: FaultPlan | None,
        responder: Responder | None,
        embedding_faults: FaultPlan | None = None,
        batch_settings: BatchSettings | None = None,
        batch_faults: FaultPlan | None = None,
        model: str,
        require_api_key: str | None,
        seed: int | None,
        recorder: StatsRecorder,
        profile: Profile | None = None,
    ) -> None:
        self._profile = profile
        self.limiter = RateLimiter(rpm=rpm, tpm=tpm, model=model)
        self._latency = latency
        self._jitter = latency_jitter
        # Separate from the fault RNG, so latency draws never shift which requests fail.
        self._rng = random.Random(seed)
        self._faults = FaultPicker(faults)
        self._embedding_faults = FaultPicker(_early_only(embedding_faults))
        self._responder: Responder = responder if responder is not None else default_responder
        self._model = model
        self._api_key = require_api_key
        self._recorder = recorder
        self._ids = itertools.count(1)
        settings = batch_settings or BatchSettings()
        # Batch lines have their own fault counter: a plan scripts the lines, not the chats.
        self._batch_faults = FaultPicker(batch_faults)
        self.batches = BatchService(FileStore(settings.clock, settings.max_bytes), settings,
                                    self._batch_line)

    async def handle(self, request: HttpRequest) -> Outcome:
        number = next(self._ids)
        started = time.perf_counter()
        body: Any = None
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=request.headers,
            body=body if isinstance(body, dict) else {},
            received_at=time.time(),
        )
        self._recorder.request(recorded)
        outcome = await self._route(request, body, number)
        if isinstance(outcome, Reply):
            elapsed_ms = round((time.perf_counter() - started) * 1000)
            outcome.headers.append(("x-request-id", f"req_{number:032x}"))
            outcome.headers.append(("openai-processing-ms", str(elapsed_ms)))
            self._recorder.response(outcome.status)
        return outcome

    async def _route(self, request: HttpRequest, body: Any, number: int) -> Outcome:
        if self._api_key is not None:
            denied = self._check_key(request.headers.get("authorization"))
            if denied is not None:
                return denied
        path = request.path.rstrip("/")
        if self._profile is not None:
            refused = self._profile.authorize(request.headers)
            if refused is not None:
                return self._refuse(refused)
            path = self._profile.local_path(path) or path
        if path.startswith(("/v1/files", "/v1/batches")):
            return self._batch_api(request, path, body)
        method = _ROUTES.get(path)
        if method is None and path.startswith("/v1/models/"):
            method = "GET"
        if method is None:
            message = f"Invalid URL ({request.method} {request.path})"
            return _error(404, message, code="unknown_url")
        if request.method != method:
            message = f"Method {request.method} not allowed on {request.path}; use {method}"
            return _error(405, message, code="method_not_allowed")
        if path == "/v1/models":
            listing = {"object": "list", "data": [payloads.model_object(self._model)]}
            return Reply(200, payloads.dumps(listing), [])
        if path.startswith("/v1/models/"):
            return self._get_model(path.removeprefix("/v1/models/"))
        if not isinstance(body, dict):
            message = (
                "We could not parse the JSON body of your request. The body must be "
                "a JSON object (the OpenAI API expects a JSON payload)."
            )
            return _error(400, message)
        if path == "/v1/embeddings":
            return await self._embeddings(body)
        return await self._chat(body, number)

    def _batch_api(self, request: HttpRequest, path: str, body: Any) -> Reply:
        """``/v1/files`` and ``/v1/batches`` (``_files``, ``_batches``)."""
        files, batches = self.batches.files, self.batches
        parts = path.split("/")[2:]  # ["files", id?, "content"?] / ["batches", id?, "cancel"?]
        method = request.method
        answer: tuple[int, Any] | None = None
        if parts[0] == "files":
            if len(parts) == 1 and method == "POST":
                answer = files.upload(request.headers.get("content-type", ""), request.body)
            elif len(parts) == 1 and method == "GET":
                answer = files.listing(request.query)
            elif len(parts) == 2 and method == "GET":
                answer = files.retrieve(parts[1])
            elif len(parts) == 2 and method == "DELETE":
                answer = files.delete(parts[1])
            elif len(parts) == 3 and parts[2] == "content" and method == "GET":
                status, content = files.content(parts[1])
                if isinstance(content, bytes):
                    return Reply(status, content, [], "application/octet-stream")
                answer = status, content
        elif len(parts) == 1 and method == "POST":
            if not isinstance(body, dict):
                return _error(400, "We could not parse the JSON body of your request.")
            answer = batches.create(body)
        elif len(parts) == 1 and method == "GET":
            answer = batches.listing(request.query)
        elif len(parts) == 2 and method == "GET":
            answer = batches.retrieve(parts[1])
        elif len(parts) == 3 and parts[2] == "cancel" and method == "POST":
            answer = batches.cancel(parts[1])
        if answer is None:
            return _error(404, f"Invalid URL ({method} {request.path})", code="unknown_url")
        return Reply(answer[0], payloads.dumps(answer[1]), [])

    def _batch_line(self, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """One request line of a batch, answered as the chat endpoint would answer it."""
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return 400, json.loads(payloads.error("'messages' must be a non-empty array",
                                                  "invalid_request_error", None, "messages"))
        fault = self._batch_faults.pick(body)
        if fault is not None:
            self._recorder.fault(fault)
        if fault in _EARLY_FAULTS:
            status = 429 if fault == "429" else 503 if fault == "503" else 500
            return status, json.loads(payloads.error(
                "The server had an error while processing your request.", "server_error"))
        if fault == "reject_json_schema" and _wants_json_schema(body):
            return 400, json.loads(payloads.error(
                "Invalid parameter: 'response_format' of type 'json_schema' is not supported "
                "with this model.", "invalid_request_error", None, "response_format"))
        answer = payloads.answer_from(self._responder(dict(body)))
        if fault is not None and fault != "reject_json_schema":
            answer = payloads.corrupt(fault, answer, body)
        completion = payloads.chat_completion(
            answer, number=next(self._ids), model=str(body.get("model")),
            prompt_tokens=estimate_prompt_tokens(messages))
        return 200, completion

    def _check_key(self, authorization: str | None) -> Reply | None:
        if authorization is None or not authorization.startswith("Bearer "):
            message = "You didn't provide an API key. Provide it as a Bearer token."
            return _error(401, message)
        if authorization.removeprefix("Bearer ") != self._api_key:
            message = "Incorrect API key provided. You can find your API key in your settings."
            return _error(401, message, code="invalid_api_key")
        return None

    def _get_model(self, name: str) -> Reply:
        if name != self._model:
            message = f"The model '{name}' does not exist or you do not have access to it."
            return _error(404, message, code="model_not_found", param="model")
        return Reply(200, payloads.dumps(payloads.model_object(self._model)), [])

    async def _chat(self, body: dict[str, Any], number: int) -> Outcome:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' must be a non-empty array", param="messages")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "you must provide a model parameter", param="model")
        if body.get("stream"):
            # Refused loudly: a streaming client could not parse a JSON answer anyway.
            message = "stream=true is not supported by the fake server"
            return _error(400, message, code="unsupported_value", param="stream")

        if self._profile is not None:
            refused = self._profile.check(body)
            if refused is not None:
                return self._refuse(refused)
        fault = self._faults.pick(body)
        if fault is not None and fault in _EARLY_FAULTS:
            self._recorder.fault(fault)
            return self._early_fault(fault, self._faults.plan)
        if fault == "reject_json_schema":
            # Only a request asking for json_schema is rejected; others are answered.
            if not _wants_json_schema(body):
                fault = None
            else:
                self._recorder.fault(fault)
                message = (
                    "Invalid parameter: 'response_format' of type 'json_schema' is not "
                    "supported with this model."
                )
                return _error(400, message, param="response_format", headers=self._headers())

        prompt_tokens = estimate_prompt_tokens(messages)
        reserved = _reserved_completion_tokens(body)
        answer: payloads.Answer | None = None
        try:
            if reserved is None:
                # Without max_tokens the charge is the actual completion, so the
                # responder runs first (even for a request the limiter then refuses).
                answer = self._answer(body)
                reserved = payloads.completion_tokens(answer)
            verdict = self.limiter.check(prompt_tokens + reserved)
            if not verdict.allowed:
                return self._throttled(verdict)
            admitted_at = time.monotonic()
            if answer is None:
                answer = self._answer(body)
        except Exception as exc:  # a broken responder is the test's bug: say so in a 500
            message = f"the fake server's responder raised {type(exc).__name__}: {exc}"
            return _error(500, message, "server_error", headers=self._headers())

        if fault is not None:
            answer = payloads.corrupt(fault, answer, body)
            self._recorder.fault(fault)
        await self._delay()
        completion = payloads.chat_completion(
            answer, number=number, model=model, prompt_tokens=prompt_tokens
        )
        if self._profile is not None:
            self._profile.decorate(completion, body)
        usage = completion["usage"]
        self._recorder.success(
            admitted_at=admitted_at,
            prompt_tokens=int(usage["prompt_tokens"]),
            completion_tokens=int(usage["completion_tokens"]),
        )
        return Reply(200, payloads.dumps(completion), verdict.headers)

    def _answer(self, body: dict[str, Any]) -> payloads.Answer:
        """The responder's answer, through the provider profile (what it sees, how it answers)."""
        if self._profile is None:
            return payloads.answer_from(self._responder(body))
        answer = payloads.answer_from(self._responder(self._profile.sees(body)))
        return self._profile.shape(body, answer)

    def _refuse(self, refused: Any) -> Reply:
        assert self._profile is not None
        return Reply(refused.status, self._profile.error_body(refused), self._headers())

    def _early_fault(self, fault: FaultKind, plan: FaultPlan) -> Outcome:
        if fault == "drop":
            return Drop()
        if fault == "hang":
            return Hang(plan.hang_seconds)
        headers = self._headers()
        if fault == "429":
            message = (
                f"Rate limit reached for {self._model} in organization org-fake on requests "
                "per min (RPM): injected by the fake server's fault plan."
            )
            headers += _retry_headers(plan.retry_after)
            return _error(429, message, "requests", code="rate_limit_exceeded", headers=headers)
        if fault == "503":
            message = "The engine is currently overloaded, please try again later."
            return _error(503, message, "server_error", headers=headers)
        message = "The server had an error while processing your request. Sorry about that!"
        return _error(500, message, "server_error", headers=headers)

    def _headers(self) -> list[tuple[str, str]]:
        return self.limiter.headers() if self.limiter.enabled else []

    def _throttled(self, verdict: Verdict) -> Reply:
        headers = list(verdict.headers)
        if verdict.retry_after is not None:
            headers += _retry_headers(verdict.retry_after)
        kind = verdict.kind or "requests"
        return _error(429, verdict.message, kind, code="rate_limit_exceeded", headers=headers)

    async def _delay(self) -> None:
        delay = self._latency
        if self._jitter > 0:
            delay += self._rng.uniform(0.0, self._jitter)
        if delay > 0:
            await asyncio.sleep(delay)

    async def _embeddings(self, body: dict[str, Any]) -> Outcome:
        fault = self._embedding_faults.pick(body)
        if fault in _EARLY_FAULTS:  # what a plan's `decide` names besides these is ignored
            self._recorder.fault(fault)
            return self._early_fault(fault, self._embedding_faults.plan)
        inputs = payloads.embedding_inputs(body.get("input"))
        if inputs is None:
            message = "'input' must be a string, an array of strings or an array of token arrays"
            return _error(400, message, param="input")
        dims = body.get("dimensions")
        if not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= 4096:
            dims = payloads.EMBEDDING_DIMENSIONS
        tokens = sum(estimate_text_tokens(x) if isinstance(x, str) else len(x) for x in inputs)
        verdict = self.limiter.check(tokens)
        if not verdict.allowed:
            return self._throttled(verdict)
        admitted_at = time.monotonic()
        await self._delay()
        model = body.get("model")
        payload = payloads.embeddings(
            inputs,
            model=model if isinstance(model, str) and model else self._model,
            dims=dims,
            tokens=tokens,
            as_base64=body.get("encoding_format") == "base64",
        )
        self._recorder.success(admitted_at=admitted_at, prompt_tokens=tokens, completion_tokens=0)
        return Reply(200, payloads.dumps(payload), verdict.headers)
