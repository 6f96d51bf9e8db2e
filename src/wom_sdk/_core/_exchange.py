"""The bookkeeping around one HTTP exchange, the same for both twins.

The response cache, usage counting, the budget's and the observer's scope of
each attempt, the limiter's bookkeeping (``_on_response``, ``_on_error``:
errors mapped to ours, a 429 slowing every request down), the openai client's
and the retry loop's arguments, and the embeddings requests and answers.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any

from .._exceptions import APIStatusError, WomError
from .._llm import (
    ChatRequest,
    ChatResponse,
    Embedded,
    EmbeddingRequest,
    embedding_requests,
    make_openai_client,
    map_openai_error,
    response_from_completion,
    vectors_from_response,
    vetoes_retry,
)
from .._pricing import Budget
from .._ratelimit import Reservation
from .._retry import async_interruptible_wait, interruptible_wait, tenacity_kwargs
from ..types import Usage
from ._state import CoreState

__all__ = ["ExchangeMixin"]


class ExchangeMixin(CoreState):
    """What surrounds each request: cache, usage, budget, limiter, errors, retries."""

    def _count(self, usage: Usage) -> None:
        with self._usage_lock:
            self._usage = self._usage + usage

    def _count_response(self, resp: ChatResponse) -> None:
        # A cached answer cost nothing now: the analyzer's total is what was paid.
        if not resp.cached:
            self._count(resp.usage)

    def _cache_key(self, req: ChatRequest) -> str:
        material = self._settings.endpoint + "\n" + req.cache_key_material()
        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()

    def _cache_get(self, req: ChatRequest) -> ChatResponse | None:
        if self._cache is None:
            return None
        hit = self._cache.get(self._cache_key(req))
        self._obs.cache_hit(hit is not None)
        return ChatResponse.from_json(hit) if hit is not None else None

    def _cache_put(self, req: ChatRequest, resp: ChatResponse) -> None:
        # Only answers worth replaying: a truncated or refused answer may succeed next time.
        if self._cache is not None and resp.finish_reason in ("stop", None) and not resp.refusal:
            self._cache.set(self._cache_key(req), resp.to_json())

    def _output_cap(self, req: ChatRequest | EmbeddingRequest) -> int:
        """The answer tokens a request may use: what providers reserve, and bill at most."""
        if isinstance(req, EmbeddingRequest):
            return 0
        return req.max_output or self.max_output_tokens

    def _budget(self, max_cost_usd: float | None) -> Budget | None:
        """A batch's budget; ``ConfigurationError`` if it cannot be kept."""
        return None if max_cost_usd is None else Budget.for_model(
            max_cost_usd, self._prices, self.model, self.base_url, self._obs.budget_reached)

    def _sending(self, req: Any, attempt: Any, resv: Reservation, budget: Budget | None) -> Any:
        """One attempt's scope: the budget's hold on it, its events and span."""
        return self._obs.request(req, attempt.retry_state.attempt_number, resv.delay,
                                 self._limiter, budget, self._output_cap(req))

    def _on_response(
        self, req: ChatRequest, completion: Any, headers: Any, resv: Reservation
    ) -> ChatResponse:
        self._obs.observe_limits(self._limiter, headers)
        resp = response_from_completion(completion, headers, url=self._settings.endpoint)
        # The provider charged the prompt plus this request's own output cap (a
        # pack reserves one answer per review), not the analyzer's default.
        charged = resp.prompt_tokens + self._output_cap(req)
        self._limiter.reconcile(resv, charged if resp.prompt_tokens else None)
        return resp

    def _on_error(
        self, exc: Exception, req: ChatRequest | EmbeddingRequest | None = None
    ) -> WomError:
        url = self._settings.endpoint
        model = req.params.get("model") if req is not None else self.model
        mapped = map_openai_error(exc, model=model, url=url)
        if mapped is None:
            raise exc
        if isinstance(mapped, APIStatusError) and mapped.status_code == 429:
            cooldown = self._limiter.penalize(mapped.retry_after)
            self._obs.throttled(mapped.retry_after, cooldown)
        return mapped

    def _openai_client(self, *, async_: bool) -> Any:
        return make_openai_client(
            self._settings, async_=async_, user_client=self._user_client, timeout=self.timeout,
            default_headers=self._default_headers, http_client=self._http_client)

    def _retrying_kwargs(self, req: ChatRequest | EmbeddingRequest,
                         cancel: threading.Event | None = None,
                         is_async: bool = False) -> dict[str, Any]:
        def no_retry(exc: BaseException) -> bool:
            return vetoes_retry(exc, probing=req.probing, params=req.params)

        kwargs = {**tenacity_kwargs(self._retry, no_retry=no_retry),
                  "before_sleep": self._obs.before_sleep}
        if cancel is not None:
            # A batch's cancel cuts the backoff short; the next attempt then sends nothing.
            kwargs["sleep"] = (partial(async_interruptible_wait, event=cancel) if is_async
                               else partial(interruptible_wait, event=cancel))
        return kwargs

    # -- embeddings ----------------------------------------------------------------------
    def _embedding_requests(
        self, texts: Sequence[str], model: str | None, dimensions: int | None
    ) -> list[EmbeddingRequest]:
        if isinstance(texts, str):
            raise TypeError("embed takes a list of texts, not one str")
        model = model or self._settings.embedding_model
        return embedding_requests(texts, model=model, dimensions=dimensions)

    def _on_embeddings(
        self, req: EmbeddingRequest, response: Any, headers: Any, resv: Reservation
    ) -> Embedded:
        self._limiter.observe(headers)
        got = vectors_from_response(response, req, headers)
        self._limiter.reconcile(resv, got.usage.prompt_tokens)
        self._count(got.usage)
        return got
