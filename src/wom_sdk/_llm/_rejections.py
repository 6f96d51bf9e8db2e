"""What an error body says was wrong: a parameter, the output format, or the content.

Decided on the body's structured fields first (``param``, ``code``), as
providers that follow OpenAI's error shape give them; words in the message
are only the last resort, for servers without structured errors (llama.cpp's
500s). The shapes read, each seen in the wild:

* OpenAI, Azure, DeepSeek, Ollama, Qwen (DashScope), Anthropic's layer:
  ``{"error": {"message", "type", "param", "code"}}`` (OpenAI's API reference;
  DeepSeek: llm-exe/llm-exe#662; DashScope: agno-agi/agno#5317; Azure adds
  ``innererror``, Microsoft's content-filter docs).
* Gemini's OpenAI layer: the same object inside a one-element list,
  ``[{"error": {"code": 400, "message", "status": "INVALID_ARGUMENT"}}]``
  (FuzzAnything/PromptFuzz#42, Simpleyyt/ai-manus#101).
* vLLM before 0.10.1: flat ``{"object": "error", "message", "type", "param", "code": 400}``
  (vllm-project/vllm#12886; OpenAI's shape since vllm-project/vllm#22099).
* llama.cpp's server: ``{"error": {"code": 400, "message", "type"}}``; FastAPI
  servers (llama-cpp-python): ``{"detail": ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .._exceptions import APIStatusError
from ._params import SAMPLING_PARAMS, TOKEN_PARAMS

__all__ = ["ErrorFields", "Rejected", "Rejection", "classify", "error_fields"]

# Words that name the output format, for bodies without a ``param`` (DeepSeek's
# "This response_format type is unavailable now" has ``"param": null``).
_FORMAT_WORDS = (
    "response_format",
    "json_schema",
    "json_object",
    "structured output",
    "grammar",
    "tool_choice",
    "tools",
    "function call",
)
_UNSUPPORTED_WORDS = (
    "unsupported", "not supported", "does not support", "unknown name", "unrecognized",
)
_PARAM_NAMES = (*TOKEN_PARAMS, *sorted(SAMPLING_PARAMS))


@dataclass(frozen=True)
class ErrorFields:
    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | None = None


class Rejected(StrEnum):
    PARAMETER = "parameter"  # a request parameter the endpoint does not take
    OUTPUT_MODE = "output_mode"  # the response format (or tools) asked for
    CONTENT_FILTER = "content_filter"  # the provider's filter refused the prompt
    OTHER = "other"


@dataclass(frozen=True)
class Rejection:
    kind: Rejected
    param: str | None = None
    code: str | None = None
    message: str = ""


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def error_fields(body: str | None) -> ErrorFields:
    """The error's message, type, param and code, from any of the shapes above."""
    if not body:
        return ErrorFields()
    try:
        data: Any = json.loads(body)
    except ValueError:
        return ErrorFields(message=body[:500])
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, Mapping):
        return ErrorFields(message=body[:500])
    inner = data.get("error")
    if isinstance(inner, Mapping):
        data = inner
    elif isinstance(inner, str):
        return ErrorFields(message=inner)
    elif "detail" in data:
        return ErrorFields(message=json.dumps(data["detail"], ensure_ascii=False)[:500])
    return ErrorFields(
        message=_text(data.get("message")) or "",
        type=_text(data.get("type")) or _text(data.get("status")),
        param=_text(data.get("param")) or None,
        code=_text(data.get("code")),
    )


def _top_name(param: str) -> str:
    """``response_format.json_schema`` -> ``response_format``; ``tools[0].type`` -> ``tools``."""
    return re.split(r"[.\[]", param, maxsplit=1)[0]


def classify(exc: APIStatusError, sent: Mapping[str, Any]) -> Rejection:
    """What ``exc`` (an error answer to the request ``sent``) rejected."""
    fields = error_fields(exc.body)
    message = fields.message or exc.message
    lowered = message.lower()
    if fields.code == "content_filter":
        # Azure: the prompt tripped the content filter ({"code": "content_filter",
        # "param": "prompt", "innererror": {"code": "ResponsibleAIPolicyViolation"}}).
        return Rejection(Rejected.CONTENT_FILTER, fields.param, fields.code, message)
    if fields.param:
        name = _top_name(fields.param)
        if name in ("response_format", "tools", "tool_choice", "functions", "function_call"):
            return Rejection(Rejected.OUTPUT_MODE, name, fields.code, message)
        if name == "messages" and "json" in lowered:
            # "'messages' must contain the word 'json' ... 'response_format' of type
            # 'json_object'" (OpenAI, DashScope): the format, not the messages.
            return Rejection(Rejected.OUTPUT_MODE, "response_format", fields.code, message)
        if name in sent:
            return Rejection(Rejected.PARAMETER, name, fields.code, message)
        return Rejection(Rejected.OTHER, name, fields.code, message)
    names_format = any(w in lowered for w in _FORMAT_WORDS)
    if exc.status_code in (500, 501):
        # llama.cpp's servers fail on a format they cannot turn into a grammar, and say
        # so (the cassettes' 500 names response_format); a bare 500 is a server's hiccup.
        kind = Rejected.OUTPUT_MODE if names_format else Rejected.OTHER
        return Rejection(kind, None, fields.code, message)
    if exc.status_code not in (400, 404, 415, 422):
        return Rejection(Rejected.OTHER, None, fields.code, message)
    # The last resort: a parameter we sent, named in the message as unsupported...
    if any(w in lowered for w in _UNSUPPORTED_WORDS):
        for name in _PARAM_NAMES:
            if name in sent and re.search(rf"\b{re.escape(name)}\b", lowered):
                return Rejection(Rejected.PARAMETER, name, fields.code, message)
    # ... or the output format named anywhere.
    if names_format:
        return Rejection(Rejected.OUTPUT_MODE, None, fields.code, message)
    return Rejection(Rejected.OTHER, None, fields.code, message)
