"""Talking to an OpenAI-compatible endpoint, without doing the I/O.

``converse`` is a generator: it yields the next ``ChatRequest`` and receives
the ``ChatResponse`` (or has the transport's error thrown into it). It holds
everything that is the same for the sync and the async client: which
structured-output mode to use and the fallback when the endpoint rejects one,
the validation re-ask loop, refusals, truncation, and usage accounting. The
analyzers only drive it, each with its own I/O.

Structured-output modes, best first::

    json_schema         response_format json_schema, strict (OpenAI, vLLM, ...)
    json_object_schema  {"type": "json_object", "schema": ...} (llama.cpp, ...)
    json_object         {"type": "json_object"}, schema in the prompt
    prompt              no response_format; schema in the prompt, JSON extracted

An endpoint that answers 400/422 naming the response format, or 500/501, to a
mode it has not yet been seen to accept, is moved down one mode at once (no
retries), and what worked is remembered per endpoint and model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ContentFilterError,
    OutputValidationError,
    RateLimitError,
    RefusalError,
    ServerError,
    TruncatedOutputError,
    WomError,
)
from ._outputs import OutputInvalid, ValidationContext, validate_output
from ._retry import retry_after
from ._tokens import estimate_messages_tokens, estimate_tokens
from .types import Usage

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "EndpointMemory",
    "Mode",
    "TaskCall",
    "TaskOutcome",
    "converse",
    "map_openai_error",
    "response_from_completion",
]


class Mode(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT_SCHEMA = "json_object_schema"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"


LADDER = (Mode.JSON_SCHEMA, Mode.JSON_OBJECT_SCHEMA, Mode.JSON_OBJECT, Mode.PROMPT)
_FORMAT_WORDS = (
    "response_format",
    "json_schema",
    "json_object",
    "schema",
    "structured",
    "not supported",
    "unsupported",
    "grammar",
)


class EndpointMemory:
    """Which output mode works, per (endpoint, model). One per analyzer; thread-safe."""

    def __init__(self, start: Mode | None = None) -> None:
        self._lock = threading.Lock()
        self._start = start
        self._modes: dict[tuple[str, str], tuple[Mode, bool]] = {}

    def get(self, key: tuple[str, str]) -> tuple[Mode, bool]:
        """(mode to use, whether the endpoint has been seen to accept it)."""
        with self._lock:
            if self._start is not None:
                return self._start, True  # forced by the caller: never probe
            return self._modes.get(key, (LADDER[0], False))

    def downgrade(self, key: tuple[str, str], failed: Mode) -> Mode | None:
        with self._lock:
            current, confirmed = self._modes.get(key, (LADDER[0], False))
            if confirmed and current != failed:
                return current  # another call already found a working mode
            idx = LADDER.index(failed)
            if idx + 1 >= len(LADDER):
                return None
            nxt = LADDER[idx + 1]
            self._modes[key] = (nxt, False)
            return nxt

    def confirm(self, key: tuple[str, str], mode: Mode) -> None:
        with self._lock:
            self._modes[key] = (mode, True)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return {f"{ep} {model}": m.value for (ep, model), (m, ok) in self._modes.items() if ok}


@dataclass
class ChatRequest:
    """One chat completion to send: ``params`` go to ``chat.completions.create``."""

    params: dict[str, Any]
    estimated_tokens: int
    mode: Mode
    probing: bool

    def cache_key_material(self) -> str:
        """Everything that determines the answer, for the response cache."""
        return json.dumps(self.params, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class ChatResponse:
    content: str | None
    refusal: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "refusal": self.refusal,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


@dataclass
class TaskCall:
    """A rendered task, ready to be sent (built by the analyzer's shared core)."""

    task: str
    model: str
    endpoint: str
    render: Callable[[Mode], list[dict[str, str]]]
    reask: Callable[[list[str]], str]
    schema: dict[str, Any]
    strict_schema: dict[str, Any]
    context: ValidationContext
    sampling: dict[str, Any]
    max_output_tokens: int
    max_reasks: int


@dataclass
class TaskOutcome:
    output: Any
    usage: Usage
    warnings: list[str]
    mode: Mode
    raw: str
    #: packed requests: warnings per review id
    item_warnings: dict[str, list[str]] = field(default_factory=dict)


def _response_format(call: TaskCall, mode: Mode) -> dict[str, Any] | None:
    if mode is Mode.JSON_SCHEMA:
        return {
            "type": "json_schema",
            "json_schema": {
                "name": f"wom_{call.task}",
                "schema": call.strict_schema,
                "strict": True,
            },
        }
    if mode is Mode.JSON_OBJECT_SCHEMA:
        return {"type": "json_object", "schema": call.schema}
    if mode is Mode.JSON_OBJECT:
        return {"type": "json_object"}
    return None


def _build(
    call: TaskCall, mode: Mode, messages: list[dict[str, str]], probing: bool
) -> ChatRequest:
    params: dict[str, Any] = {
        "model": call.model,
        "messages": messages,
        **call.sampling,
        "max_tokens": call.max_output_tokens,
    }
    fmt = _response_format(call, mode)
    if fmt is not None:
        params["response_format"] = fmt
    # Providers count max_tokens against the token limit when the request
    # arrives (OpenAI does), so the limiter must reserve it too.
    est = estimate_messages_tokens(messages) + call.max_output_tokens
    return ChatRequest(params=params, estimated_tokens=est, mode=mode, probing=probing)


def _rejects_mode(exc: APIStatusError) -> bool:
    if exc.status_code in (500, 501):
        return True
    if exc.status_code in (400, 404, 415, 422):
        body = (exc.body or exc.message or "").lower()
        return any(w in body for w in _FORMAT_WORDS)
    return False


def converse(
    call: TaskCall, memory: EndpointMemory
) -> Generator[ChatRequest, ChatResponse, TaskOutcome]:
    """The request/response dialogue of one task (see the module docstring)."""
    key = (call.endpoint, call.model)
    mode, confirmed = memory.get(key)
    messages = call.render(mode)
    usage = Usage(cached=True)  # AND-ed with each answer's: True only if all came from the cache
    answers = 0
    raw = ""
    while True:
        request = _build(call, mode, messages, probing=not confirmed)
        try:
            response = yield request
        except APIStatusError as exc:
            if request.probing and _rejects_mode(exc):
                nxt = memory.downgrade(key, mode)
                if nxt is not None:
                    mode, confirmed = memory.get(key)
                    messages = call.render(mode) + messages[2:]
                    continue
            raise
        if not confirmed and not response.cached:
            memory.confirm(key, mode)
            confirmed = True
        answers += 1
        usage = usage + Usage(
            requests=0 if response.cached else 1,
            prompt_tokens=response.prompt_tokens,
            completion_tokens=response.completion_tokens,
            cached=response.cached,
        )
        raw = response.content or ""
        if response.refusal:
            raise RefusalError(
                f"the model refused to analyze this review: {response.refusal[:200]}",
                raw_output=response.refusal,
                attempts=answers,
                usage=usage,
            )
        if response.finish_reason == "content_filter":
            raise ContentFilterError(
                "the provider's content filter stopped the answer; the review may need "
                "manual handling",
                raw_output=raw,
                attempts=answers,
                usage=usage,
            )
        if response.finish_reason == "length":
            raise TruncatedOutputError(
                f"the answer was cut at max_output_tokens={call.max_output_tokens}; "
                "raise max_output_tokens or shorten the review",
                raw_output=raw,
                attempts=answers,
                usage=usage,
            )
        ctx = call.context
        ctx.final = False
        ctx.warnings = []
        try:
            out = validate_output(call.task, raw, ctx)
            return TaskOutcome(out, usage, list(ctx.warnings), mode, raw, ctx.item_warnings)
        except OutputInvalid as invalid:
            if answers > call.max_reasks:
                if invalid.grounding_only:
                    ctx.final = True
                    ctx.warnings = []
                    out = validate_output(call.task, raw, ctx)
                    return TaskOutcome(out, usage, list(ctx.warnings), mode, raw, ctx.item_warnings)
                raise OutputValidationError(
                    f"the model's answer did not validate after {answers} attempt(s): "
                    + "; ".join(invalid.errors[:5]),
                    errors=invalid.errors,
                    raw_output=raw,
                    attempts=answers,
                    usage=usage,
                ) from None
            messages = [
                *messages,
                {"role": "assistant", "content": raw[:4000]},
                {"role": "user", "content": call.reask(invalid.errors)},
            ]


def response_from_completion(completion: Any, headers: Mapping[str, str]) -> ChatResponse:
    """Our view of an openai ``ChatCompletion`` (tolerant of sparse local servers)."""
    choices = getattr(completion, "choices", None) or []
    if not choices:
        raise ServerError(
            "the endpoint returned a completion without choices",
            status_code=502,
            request_id=headers.get("x-request-id"),
        )
    choice = choices[0]
    message = choice.message
    content = message.content
    usage = getattr(completion, "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    completion_tokens = getattr(usage, "completion_tokens", None)
    return ChatResponse(
        content=content,
        refusal=getattr(message, "refusal", None),
        finish_reason=choice.finish_reason,
        # Some servers omit usage: fall back to an estimate so budgets still add up.
        prompt_tokens=int(prompt) if prompt is not None else 0,
        completion_tokens=int(completion_tokens)
        if completion_tokens is not None
        else estimate_tokens(content or ""),
        headers=dict(headers),
        request_id=headers.get("x-request-id"),
    )


def map_openai_error(exc: BaseException) -> WomError | None:
    """Our typed error for an openai/httpx2 transport error, or None if it is not one."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return APITimeoutError(
            "the endpoint did not answer within the timeout; it may be overloaded "
            "(raise timeout= or lower the request rate)"
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return APIConnectionError(
            f"could not reach the endpoint ({type(cause).__name__}: {cause}); check "
            "base_url / OPENAI_BASE_URL and that the server is running"
        )
    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers
        status = exc.status_code
        request_id = headers.get("x-request-id") or getattr(exc, "request_id", None)
        try:
            body = exc.response.text[:2000]
        except Exception:  # a streamed/closed body; the message still says enough
            body = None
        detail = exc.message[:300]
        common: dict[str, Any] = {
            "status_code": status,
            "request_id": request_id,
            "body": body,
            "retry_after": retry_after(headers),
        }
        if status in (401, 403):
            return AuthenticationError(
                f"the endpoint rejected the credentials ({status}): {detail}. Check "
                "OPENAI_API_KEY / api_key, and that the key may use this model",
                **common,
            )
        if status == 429:
            return RateLimitError(
                f"rate limited (429) and retries did not help: {detail}. Lower "
                "requests_per_minute / tokens_per_minute, or check the account's quota",
                **common,
            )
        if status >= 500:
            return ServerError(f"the endpoint failed ({status}): {detail}", **common)
        if status == 404:
            return APIStatusError(
                f"not found (404): {detail}. Check the model name (WOM_MODEL / model=) "
                "and that base_url ends with /v1",
                **common,
            )
        return APIStatusError(f"the endpoint answered {status}: {detail}", **common)
    return None
