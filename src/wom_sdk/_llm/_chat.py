"""The chat dialogue of one task: requests, responses, the re-ask loop (``converse``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._constants import MAX_OUTPUT_TOKENS_RETRY
from .._exceptions import (
    APIStatusError,
    ContentFilterError,
    IncompatibleEndpointError,
    OutputValidationError,
    RefusalError,
    ServerError,
    TruncatedOutputError,
    UnsupportedFeatureError,
)
from .._tasks import OutputInvalid, OutputModel, ValidationContext, extract_json, validate_output
from ..types import Usage
from ._modes import EndpointMemory, Fallback, Mode
from ._params import ParamRules, output_budget
from ._rejections import Rejected, classify
from ._tokens import estimate_messages_tokens, estimate_tokens

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "Conversation",
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
    #: the parameter rules it was phrased with (what a rejection adapts)
    rules: ParamRules = field(default_factory=ParamRules)

    @property
    def max_output(self) -> int:
        """The output cap sent, whatever the endpoint calls it."""
        return int(self.params.get(self.rules.token_param) or 0)

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
    #: the answer came as a tool call (``content`` holds its arguments)
    tool_call: bool = False
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
            "tool_call": self.tool_call,
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
            tool_call=bool(data.get("tool_call")),
        )


@dataclass
class TaskCall:
    """A rendered task, ready to be sent (built by the analyzer's shared core)."""

    task: str  # the task's name; the json_schema (and the tool) is named "wom_<task>"
    output: OutputModel
    model: str
    endpoint: str
    render: Callable[[Mode], list[dict[str, str]]]
    reask: Callable[[list[str]], str]
    schema: dict[str, Any]
    strict_schema: dict[str, Any]
    context: ValidationContext
    #: sampling parameters (and ``reasoning_effort``) sent where the endpoint takes them
    sampling: dict[str, Any]
    max_output_tokens: int  # the visible answer's cap; reasoning models get more
    max_reasks: int
    #: the names in ``sampling`` the caller set: never dropped silently
    user_set: frozenset[str] = frozenset()
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


def _tool_name(call: TaskCall) -> str:
    return f"wom_{call.task}"


def _output_format(call: TaskCall, mode: Mode) -> dict[str, Any]:
    """The request fields that ask for ``mode``."""
    if mode is Mode.JSON_SCHEMA:
        schema = {"name": _tool_name(call), "schema": call.strict_schema, "strict": True}
        return {"response_format": {"type": "json_schema", "json_schema": schema}}
    if mode is Mode.JSON_OBJECT_SCHEMA:
        return {"response_format": {"type": "json_object", "schema": call.schema}}
    if mode is Mode.JSON_OBJECT:
        return {"response_format": {"type": "json_object"}}
    if mode is Mode.TOOLS:
        # Strict function calling: the arguments match the schema (OpenAI's structured
        # outputs guide names it the other form of Structured Outputs); the call is
        # forced, so the answer is the tool call and nothing else.
        function = {
            "name": _tool_name(call),
            "description": "Record the analysis of the review(s).",
            "parameters": call.strict_schema,
            "strict": True,
        }
        return {
            "tools": [{"type": "function", "function": function}],
            "tool_choice": {"type": "function", "function": {"name": _tool_name(call)}},
        }
    return {}


def _build(
    call: TaskCall,
    mode: Mode,
    messages: list[dict[str, str]],
    probing: bool,
    rules: ParamRules,
    max_output: int,
) -> ChatRequest:
    sampling = {
        k: v for k, v in call.sampling.items() if k not in rules.dropped or k in call.user_set
    }
    params: dict[str, Any] = {
        "model": call.model,
        "messages": messages,
        **sampling,
        rules.token_param: max_output,
        **_output_format(call, mode),
    }
    # Providers count the output cap against the token limit when the request
    # arrives (OpenAI does), so the limiter must reserve it too.
    est = estimate_messages_tokens(messages) + max_output
    return ChatRequest(params=params, estimated_tokens=est, mode=mode, probing=probing, rules=rules)


def _unsupported(
    call: TaskCall, feature: str, exc: APIStatusError, why: str
) -> UnsupportedFeatureError:
    return UnsupportedFeatureError(
        f"{call.endpoint} does not support {feature} for model {call.model!r}: {why}",
        feature=feature,
        status_code=exc.status_code,
        request_id=exc.request_id,
        body=exc.body,
    )


def _ignored_format(raw: str) -> bool:
    """Whether an answer to a strict format shows the endpoint ignored it: no JSON at all.

    A strict endpoint cannot answer prose; a JSON answer of the wrong shape is
    left to the re-ask (a fault, or a model's slip), not taken as proof.
    """
    return "{" not in extract_json(raw)


#: One task's dialogue: yields requests, is sent their responses, returns the outcome.
Conversation = Generator[ChatRequest, ChatResponse, TaskOutcome]


def converse(call: TaskCall, memory: EndpointMemory) -> Conversation:
    """The request/response dialogue of one task (see the module docstring)."""
    key = (call.endpoint, call.model)
    mode, confirmed = memory.get(key)
    rules = memory.rules(key)
    messages = call.render(mode)
    usage = Usage(cached=True)  # AND-ed with each answer's: True only if all came from the cache
    answers = 0  # every answer received, re-sent probes and the truncation retry included
    reasks = 0
    scale = 1  # the output cap's factor: 2 (or 0: as it was) after the one truncation retry
    raw = ""
    while True:
        budget = output_budget(call.max_output_tokens, rules, call.sampling.get("reasoning_effort"))
        if scale == 2:
            budget = max(budget, min(budget * 2, MAX_OUTPUT_TOKENS_RETRY))
        request = _build(call, mode, messages, not confirmed, rules, budget)
        try:
            response = yield request
        except APIStatusError as exc:
            rejection = classify(exc, request.params)
            if rejection.kind is Rejected.PARAMETER and rejection.param is not None:
                adapted = memory.adapt(key, request.rules, rejection.param, rejection.code,
                                       call.user_set)
                if adapted is None:
                    raise _unsupported(call, rejection.param, exc, rejection.message[:300]) from exc
                rules = adapted  # the same request again, phrased as the endpoint wants
                continue
            if rejection.kind is Rejected.OUTPUT_MODE:
                if request.probing:
                    why = Fallback.FAILED if exc.status_code >= 500 else Fallback.REJECTED
                    if memory.downgrade(key, mode, why) is not None:
                        mode, confirmed = memory.get(key)
                        messages = call.render(mode) + messages[2:]
                        continue
                elif memory.forced and exc.status_code < 500:
                    raise _unsupported(
                        call, f"structured_output={mode.value!r}", exc,
                        rejection.message[:300] + " (structured_output='auto' finds a mode "
                        "that works)",
                    ) from exc
            raise
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
            if scale == 1:
                # One retry: an answer cut at the cap gets twice the room (a reasoning
                # model may have spent its budget thinking); one cut short of it (a
                # provider's hiccup) is asked again as it was. Both are paid for.
                scale = 2 if response.completion_tokens >= budget * 0.9 else 0
                continue
            raise TruncatedOutputError(
                f"the answer was cut at {request.rules.token_param}={budget}, also when asked "
                "again; raise max_output_tokens or shorten the review",
                raw_output=raw,
                attempts=answers,
                usage=usage,
            )
        if (
            not confirmed
            and not response.cached
            and (mode is Mode.JSON_SCHEMA or (mode is Mode.TOOLS and not response.tool_call))
            and _ignored_format(raw)
            # Answered, but not in the format asked for: the endpoint ignores it.
            # The same request goes out again in the next mode (not a re-ask).
            and memory.downgrade(key, mode, Fallback.IGNORED) is not None
        ):
            mode, confirmed = memory.get(key)
            messages = call.render(mode) + messages[2:]
            continue
        if not confirmed and not response.cached:
            memory.confirm(key, mode)
            confirmed = True
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
            if reasks >= call.max_reasks:
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
            reasks += 1
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


def _not_openai(url: str | None, what: str) -> IncompatibleEndpointError:
    where = url or "the base URL"
    return IncompatibleEndpointError(
        f"{where} answered {what}: this does not look like an OpenAI-compatible endpoint. "
        "Check base_url / OPENAI_BASE_URL: it is usually the API root ending in /v1 "
        "(e.g. http://127.0.0.1:8000/v1, https://RESOURCE.openai.azure.com/openai/v1/)",
        url=url,
    )


def response_from_completion(
    completion: Any, headers: Mapping[str, str], *, url: str | None = None
) -> ChatResponse:
    """Our view of a chat completion: an openai ``ChatCompletion`` or its raw JSON body.

    Tolerant of sparse local servers (no usage, no refusal field). A body that
    is not a chat completion at all (an HTML page, some other JSON) is
    ``IncompatibleEndpointError`` at once: retrying a wrong URL helps nobody.
    """
    if isinstance(completion, (str, bytes)):
        text = completion if isinstance(completion, str) else completion.decode("utf-8", "replace")
        kind = "with an HTML page" if text.lstrip()[:1] == "<" else "with text"
        raise _not_openai(url, f"{kind} ({text.strip()[:80]!r}) instead of a chat completion")
    choices = read_field(completion, "choices")
    if choices is None:
        extra = getattr(completion, "model_extra", None) or (
            completion if isinstance(completion, Mapping) else {}
        )
        keys = sorted(str(k) for k in extra)[:6]
        raise _not_openai(url, f"JSON without 'choices' (keys: {keys})")
    if not choices:
        raise ServerError(
            "the endpoint returned a completion without choices",
            status_code=502,
            request_id=headers.get("x-request-id"),
        )
    choice = choices[0]
    message = read_field(choice, "message")
    content = read_field(message, "content")
    tool_calls = read_field(message, "tool_calls") or []
    function = read_field(tool_calls[0], "function") if tool_calls else None
    arguments = read_field(function, "arguments") if function is not None else None
    if arguments is not None:
        content = arguments if isinstance(arguments, str) else json.dumps(arguments)
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
        tool_call=arguments is not None,
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
