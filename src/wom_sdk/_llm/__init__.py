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

    json_schema         response_format json_schema, strict (OpenAI, vLLM, ...)
    json_object_schema  {"type": "json_object", "schema": ...} (llama.cpp, ...)
    json_object         {"type": "json_object"}, schema in the prompt
    prompt              no response_format; schema in the prompt, JSON extracted

An endpoint that answers 400/422 naming the response format, or 500/501, to a
mode it has not yet been seen to accept, is moved down one mode at once (no
retries), and what worked is remembered per endpoint and model (``EndpointMemory``:
the place for other per-endpoint quirks too).

Embeddings (``_embeddings``) have no dialogue: ``embedding_requests`` cuts a list
of texts into requests of a sane size and ``vectors_from_response`` reads the
answer. ``map_openai_error`` (``_errors``) turns openai's transport errors into ours.
"""

from __future__ import annotations

from ._chat import (
    ChatRequest,
    ChatResponse,
    TaskCall,
    TaskOutcome,
    advance,
    converse,
    response_from_completion,
)
from ._embeddings import Embedded, EmbeddingRequest, embedding_requests, vectors_from_response
from ._errors import map_openai_error
from ._modes import LADDER, EndpointMemory, Mode, rejects_mode

__all__ = [
    "LADDER",
    "ChatRequest",
    "ChatResponse",
    "Embedded",
    "EmbeddingRequest",
    "EndpointMemory",
    "Mode",
    "TaskCall",
    "TaskOutcome",
    "advance",
    "converse",
    "embedding_requests",
    "map_openai_error",
    "rejects_mode",
    "response_from_completion",
    "vectors_from_response",
]
