"""The JSON bodies OpenAI returns, built from plain values (no state, no I/O)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._faults import FaultKind, break_json, break_schema, truncate
from ._limits import estimate_text_tokens

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "Answer",
    "answer_from",
    "chat_completion",
    "completion_tokens",
    "corrupt",
    "dumps",
    "embedding_inputs",
    "embeddings",
    "error",
    "model_object",
    "pseudo_embedding",
]

EMBEDDING_DIMENSIONS = 64
_REFUSAL = "I'm sorry, but I can't assist with that request."


def dumps(payload: object) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def error(message: str, type_: str, code: str | None = None, param: str | None = None) -> bytes:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    return dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def model_object(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1700000000, "owned_by": "wom-sdk"}


@dataclass(frozen=True, slots=True)
class Answer:
    """What the assistant says, before it is wrapped in a ChatCompletion."""

    content: str | None
    refusal: str | None = None
    finish_reason: str = "stop"
    #: the responder's own usage numbers, overriding the estimates
    usage: Mapping[str, Any] | None = None
    #: a function call instead of content: ``[{"id", "type", "function": {"name", "arguments"}}]``
    tool_calls: tuple[Mapping[str, Any], ...] | None = None


def answer_from(result: object) -> Answer:
    """A responder's return value (a str, or a dict of overrides) as an ``Answer``."""
    if isinstance(result, str):
        return Answer(result)
    if isinstance(result, Mapping):
        usage = result.get("usage")
        return Answer(
            content=result.get("content"),
            refusal=result.get("refusal"),
            finish_reason=result.get("finish_reason") or "stop",
            usage=usage if isinstance(usage, Mapping) else None,
        )
    raise TypeError(f"a responder must return str or a dict, not {type(result).__name__}")


def corrupt(fault: FaultKind, answer: Answer, request: Mapping[str, Any]) -> Answer:
    """``answer`` as a content fault leaves it (the other fault kinds never get here)."""
    content = answer.content if answer.content is not None else "{}"
    if fault == "invalid_json":
        return Answer(break_json(content), usage=answer.usage)
    if fault == "schema_break":
        return Answer(break_schema(request), usage=answer.usage)
    if fault == "truncate":
        return Answer(truncate(content), finish_reason="length", usage=answer.usage)
    return Answer(None, refusal=_REFUSAL, usage=answer.usage)


def completion_tokens(answer: Answer) -> int:
    """The responder's count if it gave one, else an estimate from the text."""
    if answer.usage is not None:
        given = answer.usage.get("completion_tokens")
        if isinstance(given, int):
            return given
    arguments = "".join(str(c["function"]["arguments"]) for c in answer.tool_calls or ())
    return estimate_text_tokens(answer.content or answer.refusal or arguments)


def _usage(answer: Answer, prompt_tokens: int) -> dict[str, Any]:
    completion = completion_tokens(answer)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if answer.usage is not None:
        usage.update(answer.usage)
        if "total_tokens" not in answer.usage:
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return usage


def chat_completion(
    answer: Answer, *, number: int, model: str, prompt_tokens: int
) -> dict[str, Any]:
    """A non-streaming ChatCompletion, field for field as OpenAI returns it."""
    return {
        "id": f"chatcmpl-fake{number:020d}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": answer.content,
                    "refusal": answer.refusal,
                    "annotations": [],
                    **({"tool_calls": list(answer.tool_calls)} if answer.tool_calls else {}),
                },
                "logprobs": None,
                "finish_reason": answer.finish_reason,
            }
        ],
        "usage": _usage(answer, prompt_tokens),
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }


def embedding_inputs(raw: object) -> list[str | list[int]] | None:
    """The ``input`` of an embeddings request as a list of items; None if malformed."""
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not raw:
        return None
    if all(isinstance(x, int) for x in raw):
        return [raw]  # one pre-tokenized input
    if all(isinstance(x, str) for x in raw) or all(isinstance(x, list) for x in raw):
        return list(raw)
    return None


def embeddings(
    inputs: list[str | list[int]], *, model: str, dims: int, tokens: int, as_base64: bool
) -> dict[str, Any]:
    """A CreateEmbeddingResponse of pseudo-embeddings."""
    data = []
    for index, item in enumerate(inputs):
        vector = pseudo_embedding(item, dims)
        encoded: list[float] | str = vector
        if as_base64:
            # What OpenAI sends for encoding_format="base64": little-endian float32.
            encoded = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def pseudo_embedding(item: str | list[int], dims: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A unit vector derived from a hash of ``item``: equal inputs, equal vectors."""
    seed = item.encode() if isinstance(item, str) else dumps(item)
    blocks = math.ceil(dims * 4 / 64)
    raw = b"".join(
        hashlib.blake2b(seed, digest_size=64, salt=block.to_bytes(16, "little")).digest()
        for block in range(blocks)
    )
    values = [v / 2**31 - 1.0 for v in struct.unpack(f"<{dims}I", raw[: dims * 4])]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
