"""Talking to an OpenAI-compatible endpoint, without doing the I/O.

``converse`` (``_chat``) is a generator: it yields the next ``ChatRequest`` and
receives the ``ChatResponse`` (or has the transport's error thrown into it). It
holds everything that is the same for the sync and the async client: which
structured-output mode to use and the fallback when the endpoint rejects one,
the validation re-ask loop, refusals, truncation, and usage accounting. The
analyzers only drive it (``advance``), each with its own I/O; a path that does
not speak HTTP (a provider's batch API) can drive it too: ``next(converse(...))``
is the first request's body, and ``response_from_completion`` reads a raw
completion body (a dict) as well as openai's objects.

Structured-output modes (``_modes``), best first::

    json_schema         response_format json_schema, strict (OpenAI, Azure, Gemini, vLLM, Ollama)
    json_object_schema  {"type": "json_object", "schema": ...} (llama.cpp's servers)
    tools               a forced function call with a strict schema (Anthropic's layer)
    json_object         {"type": "json_object"}, schema in the prompt (DeepSeek, Qwen)
    prompt              no response_format; schema in the prompt, JSON extracted

An endpoint that rejects a mode it has not yet been seen to accept (a 4xx
naming the format, a 500/501 to it), or ignores it (answers without the
schema's shape), is moved to the next mode at once, no retries; request
parameters it refuses (``max_tokens`` for a reasoning model, a ``temperature``)
are adapted the same way (``_params``). Both are remembered per endpoint and
model (``EndpointMemory``). What an error rejected is read from its body's
``param`` / ``code`` (``_rejections``), words only as the last resort.

Embeddings (``_embeddings``) have no dialogue: ``embedding_requests`` cuts a list
of texts into requests of a sane size and ``vectors_from_response`` reads the
answer. ``map_openai_error`` (``_errors``) turns openai's transport errors into ours.

The openai client the requests go through is built by ``make_openai_client``
(``_connection``: the caller's own, or one from the settings, never retrying on
its own); ``vetoes_retry`` says which failed probes fall back instead of being
retried. Requests carry a token estimate made without a tokenizer (``_tokens``)
for the rate limiter and the budget.
"""

from __future__ import annotations

from ._chat import (
    ChatRequest,
    ChatResponse,
    Conversation,
    TaskCall,
    TaskOutcome,
    advance,
    converse,
    response_from_completion,
)
from ._connection import make_openai_client, vetoes_retry
from ._embeddings import Embedded, EmbeddingRequest, embedding_requests, vectors_from_response
from ._errors import map_openai_error
from ._modes import LADDER, EndpointMemory, Fallback, Mode
from ._params import ParamRules, is_reasoning_model
from ._rejections import Rejected, classify, error_fields

__all__ = [
    "LADDER",
    "ChatRequest",
    "ChatResponse",
    "Conversation",
    "Embedded",
    "EmbeddingRequest",
    "EndpointMemory",
    "Fallback",
    "Mode",
    "ParamRules",
    "Rejected",
    "TaskCall",
    "TaskOutcome",
    "advance",
    "classify",
    "converse",
    "embedding_requests",
    "error_fields",
    "is_reasoning_model",
    "make_openai_client",
    "map_openai_error",
    "response_from_completion",
    "vectors_from_response",
    "vetoes_retry",
]
