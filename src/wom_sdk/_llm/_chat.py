"""The chat dialogue of one task: requests, responses, the re-ask loop (``converse``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import (
    APIStatusError,
    ContentFilterError,
    OutputValidationError,
    RefusalError,
    ServerError,
    TruncatedOutputError,
)
from .._outputs import OutputInvalid, OutputModel, ValidationContext, validate_output
from .._tokens import estimate_messages_tokens, estimate_tokens
from ..types import Usage
from ._modes import EndpointMemory, Mode, rejects_mode

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "TaskCall",
    "TaskOutcome",
    "advance",
    "converse",
    "read_field",
    "response_from_completion",
]


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
    #: parts of completion_tokens / prompt_tokens (see ``types.Usage``)
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    #: the model that answered, as the endpoint names it (a dated version, say)
    response_model: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "refusal": self.refusal,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cached_tokens": self.cached_tokens,
        }

    @property
    def usage(self) -> Usage:
        """What this answer cost (nothing new when it came from the response cache)."""
        return Usage(
            requests=0 if self.cached else 1,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            reasoning_tokens=self.reasoning_tokens,
            cached_tokens=self.cached_tokens,
            cached=self.cached,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, cached: bool = True) -> ChatResponse:
        """The inverse of ``to_json`` (a cached answer, by default)."""
        return cls(
            content=data.get("content"),
            refusal=data.get("refusal"),
            finish_reason=data.get("finish_reason"),
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            reasoning_tokens=int(data.get("reasoning_tokens") or 0),
            cached_tokens=int(data.get("cached_tokens") or 0),
            cached=cached,
        )


@dataclass
class TaskCall:
    """A rendered task, ready to be sent (built by the analyzer's shared core)."""

    task: str  # the task's name; the json_schema is named "wom_<task>"
    output: OutputModel
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
    #: told of each re-ask: (task, answers so far, validation errors, only quotes were wrong)
    on_reask: Callable[[str, int, list[str], bool], None] | None = None


@dataclass
class TaskOutcome:
    output: Any
    usage: Usage
    warnings: list[str]
    mode: Mode
    raw: str
    #: packed requests: warnings per review id
    item_warnings: dict[str, list[str]] = field(default_factory=dict)
    #: the system message the answer was given under (a reply quoting it leaked it)
    system: str = ""


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
            if request.probing and rejects_mode(exc):
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
        usage = usage + response.usage
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
        system = messages[0]["content"]
        try:
            out = validate_output(call.output, raw, ctx)
            return TaskOutcome(
                out, usage, list(ctx.warnings), mode, raw, ctx.item_warnings, system
            )
        except OutputInvalid as invalid:
            if answers > call.max_reasks:
                if invalid.grounding_only:
                    ctx.final = True
                    ctx.warnings = []
                    out = validate_output(call.output, raw, ctx)
                    return TaskOutcome(
                        out, usage, list(ctx.warnings), mode, raw, ctx.item_warnings, system
                    )
                raise OutputValidationError(
                    f"the model's answer did not validate after {answers} attempt(s): "
                    + "; ".join(invalid.errors[:5]),
                    errors=invalid.errors,
                    raw_output=raw,
                    attempts=answers,
                    usage=usage,
                ) from None
            if call.on_reask is not None:
                call.on_reask(call.task, answers, invalid.errors, invalid.grounding_only)
            messages = [
                *messages,
                {"role": "assistant", "content": raw[:4000]},
                {"role": "user", "content": call.reask(invalid.errors)},
            ]


def advance(
    gen: Generator[ChatRequest, ChatResponse, TaskOutcome],
    value: ChatResponse | None = None,
    *,
    error: BaseException | None = None,
) -> ChatRequest | TaskOutcome:
    """Move a conversation one step: the next request to send, or the final outcome.

    Start with no value; then send each response, or throw the transport's error.
    """
    try:
        if error is not None:
            return gen.throw(error)
        return gen.send(value) if value is not None else next(gen)
    except StopIteration as stop:
        outcome: TaskOutcome = stop.value
        return outcome


def read_field(obj: Any, name: str) -> Any:
    """``obj.name`` of openai's objects, or ``obj[name]`` of a raw JSON body (a batch API's)."""
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def response_from_completion(completion: Any, headers: Mapping[str, str]) -> ChatResponse:
    """Our view of a chat completion: an openai ``ChatCompletion`` or its raw JSON body.

    Tolerant of sparse local servers (no usage, no refusal field).
    """
    choices = read_field(completion, "choices") or []
    if not choices:
        raise ServerError(
            "the endpoint returned a completion without choices",
            status_code=502,
            request_id=headers.get("x-request-id"),
        )
    choice = choices[0]
    message = read_field(choice, "message")
    content = read_field(message, "content")
    usage = read_field(completion, "usage")
    prompt = read_field(usage, "prompt_tokens") if usage is not None else None
    completion_tokens = read_field(usage, "completion_tokens") if usage is not None else None
    reasoning, cached = _token_details(usage)
    return ChatResponse(
        content=content,
        refusal=read_field(message, "refusal"),
        finish_reason=read_field(choice, "finish_reason"),
        # Some servers omit usage: fall back to an estimate so budgets still add up.
        prompt_tokens=int(prompt) if prompt is not None else 0,
        completion_tokens=int(completion_tokens)
        if completion_tokens is not None
        else estimate_tokens(content or ""),
        headers=dict(headers),
        request_id=headers.get("x-request-id"),
        reasoning_tokens=reasoning,
        cached_tokens=cached,
        response_model=_text_or_none(read_field(completion, "model")),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _token_details(usage: Any) -> tuple[int, int]:
    """(reasoning tokens, cached prompt tokens) of a completion's ``usage``; 0 if not said.

    OpenAI: ``completion_tokens_details.reasoning_tokens`` and
    ``prompt_tokens_details.cached_tokens``, both parts of the totals
    (https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage).
    DeepSeek reports its context cache as ``prompt_cache_hit_tokens`` (+
    ``prompt_cache_miss_tokens`` = ``prompt_tokens``) instead
    (https://api-docs.deepseek.com/guides/kv_cache).
    """
    if usage is None:
        return 0, 0
    out = read_field(usage, "completion_tokens_details")
    inp = read_field(usage, "prompt_tokens_details")
    reasoning = read_field(out, "reasoning_tokens") if out is not None else None
    cached = read_field(inp, "cached_tokens") if inp is not None else None
    if not cached:
        cached = read_field(usage, "prompt_cache_hit_tokens")
    return _count(reasoning), _count(cached)


def _count(value: Any) -> int:
    # Sparse or odd servers send null, floats or strings here: none of it may break an answer.
    try:
        return max(0, int(value)) if value is not None else 0
    except (TypeError, ValueError):
        return 0
