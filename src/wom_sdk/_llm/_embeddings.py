"""``/embeddings`` requests of a sane size, and reading their answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .._constants import EMBEDDING_BATCH_SIZE, EMBEDDING_BATCH_TOKENS
from .._exceptions import InvalidReviewError, ServerError
from ..types import Usage
from ._chat import read_field
from ._tokens import estimate_tokens

__all__ = ["Embedded", "EmbeddingRequest", "embedding_requests", "vectors_from_response"]


@dataclass
class EmbeddingRequest:
    """One ``/embeddings`` call: ``params`` go to ``embeddings.create``."""

    params: dict[str, Any]
    estimated_tokens: int
    count: int  # texts in this request
    probing: bool = False  # embeddings have no output-mode ladder to probe


def embedding_requests(
    texts: Sequence[str],
    *,
    model: str,
    dimensions: int | None = None,
    max_items: int = EMBEDDING_BATCH_SIZE,
    max_tokens: int = EMBEDDING_BATCH_TOKENS,
) -> list[EmbeddingRequest]:
    """The requests that embed ``texts``, in order, each within the endpoint's limits.

    Every text is checked before anything is sent. OpenAI refuses an empty
    string, more than 2048 inputs, or more than 300,000 tokens summed over one
    request (openai-python, ``src/openai/types/embedding_create_params.py``); our
    batches stay well inside (the token count is an estimate).
    """
    requests: list[EmbeddingRequest] = []
    batch: list[str] = []
    tokens = 0
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i} to embed must be str, not {type(text).__name__}")
        if not text:
            raise InvalidReviewError(f"text {i} to embed is empty; endpoints refuse empty input")
        cost = estimate_tokens(text)
        if batch and (len(batch) >= max_items or tokens + cost > max_tokens):
            requests.append(_embedding_request(batch, tokens, model, dimensions))
            batch, tokens = [], 0
        batch.append(text)
        tokens += cost
    if batch:
        requests.append(_embedding_request(batch, tokens, model, dimensions))
    return requests


def _embedding_request(
    batch: list[str], tokens: int, model: str, dimensions: int | None
) -> EmbeddingRequest:
    params: dict[str, Any] = {"model": model, "input": batch}
    if dimensions is not None:
        params["dimensions"] = dimensions
    return EmbeddingRequest(params=params, estimated_tokens=tokens, count=len(batch))


class Embedded(NamedTuple):
    """One ``/embeddings`` answer: a vector per input, in input order, and what it cost."""

    vectors: list[list[float]]
    usage: Usage


def vectors_from_response(
    response: Any, req: EmbeddingRequest, headers: Mapping[str, str]
) -> Embedded:
    """The vectors, and the prompt tokens the endpoint counted (estimated if it did not say)."""
    data = read_field(response, "data") or []
    by_index = {int(read_field(d, "index")): read_field(d, "embedding") for d in data}
    if sorted(by_index) != list(range(req.count)):
        raise ServerError(
            f"the endpoint returned {len(by_index)} embeddings for {req.count} inputs",
            status_code=502,
            request_id=headers.get("x-request-id"),
        )
    usage = read_field(response, "usage")
    tokens = read_field(usage, "prompt_tokens") if usage is not None else None
    vectors = [[float(x) for x in by_index[i]] for i in range(req.count)]
    count = int(tokens) if tokens is not None else req.estimated_tokens
    return Embedded(vectors, Usage(requests=1, prompt_tokens=count))
