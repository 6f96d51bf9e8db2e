"""Provider profiles: the documented request rules, errors, headers and answers of endpoints.

A ``Profile`` plugs into ``FakeOpenAIServer(profile=...)``: it says where the
provider serves chat completions, whom it lets in, which requests it refuses
and how (in its own error shape), what its model sees of a request, and how
its answers look. Every quirk carries the documentation page or public issue
it comes from; where a provider publishes a rule but not its exact wording,
the comment says the wording is ours. Standard library only.

The "model" behind every profile is the server's responder (``wom_responder``
in the provider tests); a profile only changes what reaches it and what
comes back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ._payloads import Answer, dumps

__all__ = [
    "PROFILES",
    "VLLM",
    "Anthropic",
    "Azure",
    "DeepSeek",
    "Gemini",
    "LlamaCpp",
    "Ollama",
    "OpenAIChat",
    "OpenAIReasoning",
    "Profile",
    "Qwen",
    "Refusal",
]


@dataclass(frozen=True)
class Refusal:
    """An error answer: status and the fields providers put in their error bodies."""

    status: int
    message: str
    param: str | None = None
    code: str | int | None = None
    type: str | None = "invalid_request_error"
    extra: Mapping[str, Any] = field(default_factory=dict)


def _mentions_json(body: Mapping[str, Any]) -> bool:
    return any("json" in str(m.get("content", "")).lower() for m in body.get("messages") or [])


def _format_type(body: Mapping[str, Any]) -> str | None:
    fmt = body.get("response_format")
    return str(fmt.get("type")) if isinstance(fmt, Mapping) else None


def _forced_tool(body: Mapping[str, Any]) -> str | None:
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        return str(choice.get("function", {}).get("name") or "") or None
    return None


@dataclass(frozen=True)
class Profile:
    """OpenAI's own Chat Completions API: the reference every other profile varies."""

    name: str = "openai"
    #: the path chat completions are served under, without "/chat/completions"
    prefix: str = "/v1"
    #: the key a request must carry (None: any or none)
    api_key: str | None = None

    # -- routing and access ------------------------------------------------------------
    def local_path(self, path: str) -> str | None:
        """The fake server's own path ("/v1/...") for ``path``, or None if not served."""
        if path == self.prefix or path.startswith(self.prefix + "/"):
            return "/v1" + path[len(self.prefix):]
        return None

    def authorize(self, headers: Mapping[str, str]) -> Refusal | None:
        if self.api_key is None:
            return None
        # OpenAI: the key as a Bearer token in the Authorization header (API reference,
        # Authentication).
        if headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return Refusal(401, "Incorrect API key provided.", code="invalid_api_key")

    # -- requests ----------------------------------------------------------------------
    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        """The provider's refusal of this request, if it refuses it."""
        if _format_type(body) == "json_object" and not _mentions_json(body):
            # JSON mode needs the word in the messages: 400 with "param": "messages"
            # (the body quoted in ultimatejimmy/xray.koplugin#33).
            return Refusal(
                400,
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
                param="messages",
            )
        return None

    def sees(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The request as the model gets it (what the provider ignores is gone)."""
        return dict(body)

    # -- answers -----------------------------------------------------------------------
    def shape(self, body: Mapping[str, Any], answer: Answer) -> Answer:
        """The answer as the provider returns it (a forced tool call comes as tool_calls)."""
        name = _forced_tool(body)
        if name and body.get("tools") and answer.content is not None and answer.refusal is None:
            call = {
                "id": "call_fake0001",
                "type": "function",
                "function": {"name": name, "arguments": answer.content},
            }
            # "tool_calls if the model called a tool" (openai-python,
            # types/chat/chat_completion.py, Choice.finish_reason).
            return replace(answer, content=None, tool_calls=(call,), finish_reason="tool_calls")
        return answer

    def decorate(self, completion: dict[str, Any], body: Mapping[str, Any]) -> None:
        """Extra fields of the provider's completion object (none for OpenAI)."""

    def error_body(self, refusal: Refusal) -> bytes:
        # OpenAI's error object (API reference, "Error codes").
        return dumps({"error": {"message": refusal.message, "type": refusal.type,
                                "param": refusal.param, "code": refusal.code,
                                **refusal.extra}})


@dataclass(frozen=True)
class OpenAIChat(Profile):
    """OpenAI chat models (gpt-4.1-mini, gpt-4o-mini): every request form the SDK sends works."""

    name: str = "openai-chat"


# Reasoning tokens the fake model spends, by effort: the fake's own numbers (OpenAI
# publishes none); what matters is that they come out of max_completion_tokens.
_REASONING_SPENT = {"none": 0, "minimal": 200, "low": 600, "medium": 1800, "high": 5000,
                    "xhigh": 9000, "max": 9000}


@dataclass(frozen=True)
class OpenAIReasoning(Profile):
    """OpenAI reasoning models (o-series, GPT-5 and GPT-6 families, e.g. gpt-6-luna)."""

    name: str = "openai-reasoning"
    #: the effort the model uses when none is sent ("medium (default)", the model pages)
    default_effort: str = "medium"
    #: how much longer than usual the fake model thinks (a hard review, a verbose model)
    reasoning_scale: float = 1.0

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        if "max_tokens" in body:
            # The body quoted in tailcallhq/forgecode#1081 and teilomillet/gollm#33.
            return Refusal(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                param="max_tokens", code="unsupported_parameter",
            )
        for name in ("temperature", "top_p"):
            if name in body and body[name] != 1:
                # The body quoted in leafo/lua-openai#12 and BeehiveInnovations/pal-mcp-server#78.
                return Refusal(
                    400,
                    f"Unsupported value: '{name}' does not support {body[name]} with this "
                    "model. Only the default (1) value is supported.",
                    param=name, code="unsupported_value",
                )
        effort = body.get("reasoning_effort") or self.default_effort
        if body.get("tools") and effort != "none":
            # "Chat Completions supports function calling only with reasoning effort set
            # to none" (https://developers.openai.com/api/docs/models/gpt-6-luna); the
            # wording of the refusal is ours, the shape OpenAI's.
            return Refusal(
                400,
                "Function tools are only supported with reasoning_effort 'none' for this "
                "model in /v1/chat/completions.",
                param="tools", code="unsupported_parameter",
            )
        return super().check(body)

    def shape(self, body: Mapping[str, Any], answer: Answer) -> Answer:
        answer = super().shape(body, answer)
        effort = str(body.get("reasoning_effort") or self.default_effort)
        reasoning = int(_REASONING_SPENT.get(effort, 1800) * self.reasoning_scale)
        visible = len(answer.content or "") // 3 + 1
        cap = body.get("max_completion_tokens")
        details = {"reasoning_tokens": reasoning, "audio_tokens": 0,
                   "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        if isinstance(cap, int) and reasoning + visible > cap:
            # max_completion_tokens covers "visible output tokens and reasoning tokens"
            # (openai-python's docstring); the cap can be reached "before any visible output
            # tokens are produced" (https://developers.openai.com/api/docs/guides/reasoning).
            details["reasoning_tokens"] = min(reasoning, cap)
            return Answer(content="", finish_reason="length",
                          usage={"completion_tokens": cap, "completion_tokens_details": details})
        return replace(answer, usage={"completion_tokens": reasoning + visible,
                                      "completion_tokens_details": details})


@dataclass(frozen=True)
class Azure(Profile):
    """Azure OpenAI's v1 API: ``https://RESOURCE.openai.azure.com/openai/v1/``.

    The model is the deployment name; the key comes as ``api-key`` (REST) or as
    ``Authorization: Bearer`` (the OpenAI client), an Entra ID token as Bearer
    (https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle).
    """

    name: str = "azure"
    prefix: str = "/openai/v1"
    deployments: tuple[str, ...] = ("reviews-gpt",)
    #: Entra ID tokens the fake accepts in the Authorization header
    tokens: frozenset[str] = frozenset()
    #: a review containing this is refused by the prompt filter
    filtered_word: str = "FILTER-ME"
    #: a review containing this gets an answer the output filter stops
    filtered_answer_word: str = "FILTER-ANSWER"

    def authorize(self, headers: Mapping[str, str]) -> Refusal | None:
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and self.api_key in (headers.get("api-key"), bearer):
            return None
        if bearer in self.tokens:
            return None
        if self.api_key is None and not self.tokens:
            return None
        # Azure's 401 for a wrong key (the code is the status, as a string).
        return Refusal(401, "Access denied due to invalid subscription key or wrong API "
                            "endpoint. Make sure to provide a valid key for an active "
                            "subscription and use a correct regional API endpoint for "
                            "your resource.", code="401", type=None)

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        if body.get("model") not in self.deployments:
            # "DeploymentNotFound" is Azure's code for a deployment name it does not know.
            return Refusal(404, "The API deployment for this resource does not exist. If you "
                                "created the deployment within the last 5 minutes, please "
                                "wait a moment and try again.",
                           code="DeploymentNotFound", type=None)
        if any(self.filtered_word in str(m.get("content", "")) for m in body["messages"]):
            # A prompt the filter refuses: 400, code "content_filter", with the category
            # verdicts under innererror (Azure's content filtering docs,
            # https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter).
            return Refusal(
                400,
                "The response was filtered due to the prompt triggering Azure OpenAI's "
                "content management policy. Please modify your prompt and retry.",
                param="prompt", code="content_filter", type=None,
                extra={"status": 400, "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {**_SAFE, "violence": {"filtered": True,
                                                                     "severity": "high"}}}},
            )
        return super().check(body)

    def shape(self, body: Mapping[str, Any], answer: Answer) -> Answer:
        if any(self.filtered_answer_word in str(m.get("content", "")) for m in body["messages"]):
            # An answer the output filter stops: finish_reason "content_filter", the
            # content withheld (the content filtering docs above).
            return Answer(content=None, finish_reason="content_filter")
        return super().shape(body, answer)

    def decorate(self, completion: dict[str, Any], body: Mapping[str, Any]) -> None:
        # Every Azure completion reports the filter's verdicts on the prompt and on
        # each choice (the content filtering docs above).
        completion["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": dict(_SAFE)}
        ]
        for choice in completion["choices"]:
            filtered = choice["finish_reason"] == "content_filter"
            choice["content_filter_results"] = {
                **_SAFE, "violence": {"filtered": filtered, "severity": "high" if filtered
                                      else "safe"}}


_SAFE = {name: {"filtered": False, "severity": "safe"}
         for name in ("hate", "self_harm", "sexual", "violence")}


@dataclass(frozen=True)
class DeepSeek(Profile):
    """DeepSeek (``https://api.deepseek.com/v1``): JSON Output, no json_schema."""

    name: str = "deepseek"

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        if _format_type(body) not in (None, "text", "json_object"):
            # The body quoted in llm-exe/llm-exe#662 and khoj-ai/khoj#1336; the API
            # reference lists only "text" and "json_object".
            return Refusal(400, "This response_format type is unavailable now",
                           code="invalid_request_error")
        if _format_type(body) == "json_object" and not _mentions_json(body):
            # "Include the word 'json' in the system or user prompt"
            # (https://api-docs.deepseek.com/guides/json_mode); the refusal's wording is
            # the one quoted in browserbase/stagehand#1204.
            return Refusal(400, "Prompt must contain the word 'json' in some form to use "
                                "'response_format' of type 'json_object'")
        return None


@dataclass(frozen=True)
class Qwen(Profile):
    """Qwen through DashScope's compatible mode (``.../compatible-mode/v1``)."""

    name: str = "qwen"
    prefix: str = "/compatible-mode/v1"

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        kind = _format_type(body)
        if kind not in (None, "text", "json_object"):
            # The compatible mode documented response_format as {"type": "text"} or
            # {"type": "json_object"} (quoted in langchain4j/langchain4j-community#128);
            # the refusal's wording is ours, its shape DashScope's (below).
            return Refusal(400, "<400> InternalError.Algo.InvalidParameter: The value of "
                                "response_format.type is invalid",
                           code="invalid_parameter_error")
        if kind == "json_object" and not _mentions_json(body):
            # The body quoted in agno-agi/agno#5317.
            return Refusal(400, "<400> InternalError.Algo.InvalidParameter: 'messages' must "
                                "contain the word 'json' in some form, to use "
                                "'response_format' of type 'json_object'.",
                           code="invalid_parameter_error")
        return None

    def error_body(self, refusal: Refusal) -> bytes:
        # DashScope: OpenAI's error object plus a request id (agno-agi/agno#5317).
        error = {"code": refusal.code, "param": refusal.param, "message": refusal.message,
                 "type": refusal.type}
        return dumps({"error": error, "request_id": "fake-dashscope-request"})


@dataclass(frozen=True)
class Anthropic(Profile):
    """Anthropic's OpenAI SDK compatibility layer (``https://api.anthropic.com/v1/``).

    ``response_format`` is ignored and ``strict`` on tools too; temperature is
    capped at 1; ``n`` must be 1 (https://docs.anthropic.com/en/api/openai-sdk).
    """

    name: str = "anthropic"

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        if body.get("n", 1) != 1:
            return Refusal(400, "n: only n=1 is supported", param="n")  # wording ours
        return None

    def sees(self, body: Mapping[str, Any]) -> dict[str, Any]:
        seen = dict(body)
        if isinstance(seen.get("temperature"), (int, float)):
            seen["temperature"] = min(1.0, float(seen["temperature"]))
        # The API ignores response_format; the fake model still answers the fields the
        # prompt lists, which the responder reads from the schema, so it keeps it.
        return seen

    def shape(self, body: Mapping[str, Any], answer: Answer) -> Answer:
        if _forced_tool(body):
            return super().shape(body, answer)
        if answer.content is None:
            return answer
        # Without a JSON mode a chat model wraps JSON in prose and a fence: the text
        # path (extract the JSON, validate it) is what must hold.
        return replace(answer, content=f"Here is the analysis:\n```json\n{answer.content}\n```")


@dataclass(frozen=True)
class Gemini(Profile):
    """Gemini's OpenAI compatibility layer (``.../v1beta/openai/``)."""

    name: str = "gemini"
    prefix: str = "/v1beta/openai"
    #: request fields the layer knows (https://ai.google.dev/gemini-api/docs/openai);
    #: any other is refused as an unknown name (FuzzAnything/PromptFuzz#42)
    known: frozenset[str] = frozenset({
        "model", "messages", "temperature", "top_p", "n", "max_tokens", "stop", "stream",
        "response_format", "tools", "tool_choice", "reasoning_effort", "seed",
    })

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        for name in body:
            if name not in self.known:
                return Refusal(400, f'Invalid JSON payload received. Unknown name "{name}": '
                                    "Cannot find field.", code=400, type="INVALID_ARGUMENT")
        return None

    def error_body(self, refusal: Refusal) -> bytes:
        # A one-element list around Google's error object (FuzzAnything/PromptFuzz#42,
        # Simpleyyt/ai-manus#101).
        return dumps([{"error": {"code": refusal.status, "message": refusal.message,
                                 "status": refusal.type}}])


@dataclass(frozen=True)
class Ollama(Profile):
    """Ollama's OpenAI compatibility (``http://localhost:11434/v1``)."""

    name: str = "ollama"
    #: prompts evaluated before (its prompt cache)
    seen: set[str] = field(default_factory=set, compare=False)

    def sees(self, body: Mapping[str, Any]) -> dict[str, Any]:
        # Fields it does not support are ignored, not refused (ollama/ollama docs/openai.md
        # lists the supported ones); json_schema is honoured since v0.5.0 (pydantic-ai's
        # Ollama model docs).
        return dict(body)

    def decorate(self, completion: dict[str, Any], body: Mapping[str, Any]) -> None:
        # "usage.prompt_tokens will be 0 for completions where prompt evaluation is
        # cached" (ollama/ollama docs/openai.md): a repeated prompt reports 0.
        key = json.dumps(body.get("messages"), sort_keys=True)
        if key in self.seen:
            completion["usage"]["prompt_tokens"] = 0
        self.seen.add(key)


@dataclass(frozen=True)
class VLLM(Profile):
    """vLLM's OpenAI-compatible server (``vllm serve``, ``http://localhost:8000/v1``)."""

    name: str = "vllm"
    #: the served model's context length (``--max-model-len``)
    max_model_len: int = 32768

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages") or []) // 3
        asked = body.get("max_completion_tokens") or body.get("max_tokens") or 0
        if prompt + int(asked) > self.max_model_len:
            # The refusal quoted in vllm-project/vllm#12886.
            return Refusal(400, f"This model's maximum context length is {self.max_model_len} "
                                f"tokens. However, you requested {prompt + int(asked)} tokens "
                                f"({prompt} in the messages, {asked} in the completion). "
                                "Please reduce the length of the messages or completion.",
                           code=400, type="BadRequestError")
        return None

    def error_body(self, refusal: Refusal) -> bytes:
        # vLLM before 0.10.1: a flat object (vllm-project/vllm#12886; OpenAI's shape since
        # vllm-project/vllm#22099). The older one is the harder to read.
        return dumps({"object": "error", "message": refusal.message, "type": refusal.type,
                      "param": refusal.param, "code": refusal.status})


@dataclass(frozen=True)
class LlamaCpp(Profile):
    """llama-cpp-python's server (the bundled local model's; ``python -m wom_sdk.local``)."""

    name: str = "llama.cpp"

    def check(self, body: Mapping[str, Any]) -> Refusal | None:
        if _format_type(body) == "json_schema":
            # Its request model takes response_format.type "text" or "json_object" only and
            # answers 500 (the body recorded in tests/recorded/cassettes/
            # test_analyze_falls_back_to_json_object_on_a_real_server.yaml).
            return Refusal(500, "1 validation error:\n  {'type': 'literal_error', 'loc': "
                                "('body', 'response_format', 'type'), 'msg': \"Input should be "
                                "'text' or 'json_object'\", 'input': 'json_schema'}",
                           type="internal_server_error")
        return None


#: Every profile by name (a fresh instance per server: some keep state, like Ollama's cache).
PROFILES: dict[str, type[Profile]] = {
    cls.name: cls
    for cls in (OpenAIChat, OpenAIReasoning, Azure, DeepSeek, Qwen, Anthropic, Gemini,
                Ollama, VLLM, LlamaCpp)
}
