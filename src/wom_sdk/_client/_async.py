"""``AsyncReviewAnalyzer``: the async twin's I/O, method for method as ``ReviewAnalyzer``."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, cast

from .._batch import PackAnswer, ReviewInput, aiter_batch, in_order
from .._batchapi import AsyncBatchSubmitter
from .._config import check_batch
from .._core import AnalyzerCore, Prepared
from .._exceptions import APIStatusError
from .._llm import (
    ChatRequest,
    ChatResponse,
    Conversation,
    EmbeddingRequest,
    TaskCall,
    TaskOutcome,
    advance,
)
from .._pricing import Budget
from .._retry import check_cancel, current_cancel
from ..events._observer import step
from ..io._dataframe import records_from_frame, to_frame
from ..types import (
    BatchResult,
    Complaint,
    Need,
    ReplySuggestion,
    ReviewInsight,
    ReviewRecord,
    Sentiment,
)

__all__ = ["AsyncReviewAnalyzer"]


class AsyncReviewAnalyzer(AsyncBatchSubmitter, AnalyzerCore):
    """The async twin of ``ReviewAnalyzer``: same arguments, same results.

    ``http_client`` takes an ``httpx2.AsyncClient``, ``client`` an
    ``openai.AsyncOpenAI``, and ``api_key`` a plain or an async callable; ``limiter``
    also takes a ``redis.asyncio.Redis`` client (checked by the first request, not here).
    """

    _asynchronous = True

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._openai_client(async_=True)
            return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections (and the cache); a ``client=`` stays the caller's to close."""
        client, self._client = self._client, None
        if client is not None and self._user_client is None:
            await client.close()
        if self._cache is not None:
            self._cache.close()
        if self._owns_limiter:
            await self._limiter.aclose()

    async def __aenter__(self) -> AsyncReviewAnalyzer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _request(self, req: ChatRequest | EmbeddingRequest,
                       create: Callable[..., Awaitable[Any]], done: Callable[..., Any],
                       budget: Budget | None = None) -> Any:
        """One request, retried: wait for the limiter, send, map errors, book the answer."""
        import tenacity

        stop = current_cancel()
        async for attempt in tenacity.AsyncRetrying(**self._retrying_kwargs(req, stop, True)):
            with attempt:
                resv = await self._limiter.aacquire(req.estimated_tokens, stop)
                check_cancel(stop)
                with self._sending(req, attempt, resv, budget) as sent:
                    try:
                        raw = await create(**req.params)
                        parsed = raw.parse()
                    except Exception as e:
                        raise self._on_error(e, req) from e
                    result = sent.result = done(req, parsed, raw.headers, resv)
        return result

    async def _send(self, req: ChatRequest, budget: Budget | None) -> ChatResponse:
        hit = self._cache_get(req)
        if hit is not None:
            return hit
        chat = self._get_client().chat.completions.with_raw_response
        resp: ChatResponse = await self._request(req, chat.create, self._on_response, budget)
        self._cache_put(req, resp)
        return resp

    async def _run(self, call: TaskCall, budget: Budget | None = None) -> TaskOutcome:
        async with self._memory.aprobe_gate((call.endpoint, call.model)):
            steps = self._obs.dialogue(call, self._memory, self._count_response)
            req = step(steps)
            while isinstance(req, ChatRequest):
                try:
                    got: ChatResponse | BaseException = await self._send(req, budget)
                except BaseException as e:
                    got = e
                req = step(steps, got)
            return req

    async def _drive(self, gen: Conversation, pending: ChatRequest | TaskOutcome) -> TaskOutcome:
        """Async twin of ``ReviewAnalyzer._drive``."""
        while isinstance(pending, ChatRequest):
            try:
                resp = await self._send(pending, None)
            except APIStatusError as e:
                pending = advance(gen, error=e)
                continue
            self._count_response(resp)
            pending = advance(gen, resp)
        return pending

    async def _do(self, prep: Prepared, budget: Budget | None = None) -> Any:
        assert prep.call is not None
        return self._finish(prep, await self._run(prep.call, budget))

    async def _analyze_pack(self, records: Sequence[ReviewRecord], budget: Budget | None = None,
                            **kw: Any) -> PackAnswer:
        pack = self._prepare_pack(records, **kw)
        done = await self._run(pack.call, budget) if len(pack.items) > 1 else None
        return (self._finish_pack(pack, done) if done is not None else {}), pack.invalid

    # -- the public tasks ----------------------------------------------------------------
    async def analyze(self, text: str, *, product: str | None = None,
                      rating: float | None = None, brand_voice: str | None = None,
                      categories: Sequence[str] | None = None,
                      include: Sequence[str] | None = None) -> ReviewInsight:
        """Async twin of ``ReviewAnalyzer.analyze``."""
        return cast(ReviewInsight, await self._do(self._prepare(
            "analyze", text, product=product, rating=rating, brand_voice=brand_voice,
            categories=categories, include=include)))

    async def sentiment(self, text: str, *, product: str | None = None,
                        rating: float | None = None) -> Sentiment:
        """The review's overall sentiment only (cheaper than ``analyze``)."""
        prep = self._prepare("sentiment", text, product=product, rating=rating)
        return cast(Sentiment, await self._do(prep))

    async def complaints(self, text: str, *, product: str | None = None,
                         categories: Sequence[str] | None = None) -> list[Complaint]:
        """The review's complaints, each with a verbatim quote."""
        prep = self._prepare("complaints", text, product=product, categories=categories)
        return cast(list[Complaint], await self._do(prep))

    async def suggest_reply(self, text: str, *, brand_voice: str | None = None,
                            product: str | None = None, rating: float | None = None,
                            contact: str | None = None) -> ReplySuggestion:
        """A reply the shop could post, in the review's language, checked by ``reply_policy``."""
        return cast(ReplySuggestion, await self._do(self._prepare(
            "reply", text, product=product, rating=rating, brand_voice=brand_voice,
            contact=contact)))

    async def needs(self, text: str, *, product: str | None = None) -> list[Need]:
        """Async twin of ``ReviewAnalyzer.needs``."""
        return cast(list[Need], await self._do(self._prepare("needs", text, product=product)))

    async def embed(self, texts: Sequence[str], *, model: str | None = None,
                    dimensions: int | None = None) -> list[list[float]]:
        """Async twin of ``ReviewAnalyzer.embed``."""
        api = self._get_client().embeddings.with_raw_response
        vectors: list[list[float]] = []
        for req in self._embedding_requests(texts, model, dimensions):
            vectors += (await self._request(req, api.create, self._on_embeddings)).vectors
        return vectors

    async def analyze_many(self, reviews: Iterable[ReviewInput], *, pack: int = 1,
                           max_concurrency: int | None = None,
                           on_result: Callable[[BatchResult], None] | None = None,
                           brand_voice: str | None = None, categories: Sequence[str] | None = None,
                           max_cost_usd: float | None = None) -> list[BatchResult]:
        """Async twin of ``ReviewAnalyzer.analyze_many``."""
        pairs = []
        async for pair in self.aiter_many(reviews, pack=pack, max_concurrency=max_concurrency,
                                          brand_voice=brand_voice, categories=categories,
                                          max_cost_usd=max_cost_usd):
            if on_result is not None:
                on_result(pair[1])
            pairs.append(pair)
        return in_order(pairs, None)

    async def analyze_dataframe(self, df: Any, *, text_column: str, id_column: str | None = None,
                          product_column: str | None = None, rating_column: str | None = None,
                          date_column: str | None = None, pack: int = 1,
                          max_concurrency: int | None = None) -> Any:
        """Async twin of ``ReviewAnalyzer.analyze_dataframe``."""
        records = list(records_from_frame(
            df, text_column=text_column, id_column=id_column, product_column=product_column,
            rating_column=rating_column, date_column=date_column))
        results = await self.analyze_many(records, pack=pack, max_concurrency=max_concurrency)
        return to_frame(df, results)

    def aiter_many(self, reviews: Iterable[ReviewInput], *, pack: int = 1,
                   max_concurrency: int | None = None, brand_voice: str | None = None,
                   categories: Sequence[str] | None = None, max_cost_usd: float | None = None,
                   cancel: threading.Event | None = None,
                   ) -> AsyncIterator[tuple[int, BatchResult]]:
        """(index, result) pairs as they complete; reads ``reviews`` lazily; ``cancel`` as sync."""
        check_batch(reviews, pack, max_concurrency, cancel)
        kw: dict[str, Any] = {"brand_voice": brand_voice, "categories": categories}
        budget = self._budget(max_cost_usd)
        return aiter_batch(
            reviews, analyze_one=lambda r: self._do(self._prepare(
                "analyze", r.text, product=r.product, rating=r.rating, **kw), budget),
            analyze_pack=lambda records: self._analyze_pack(records, budget, **kw),
            rate_known=self._rate_known, pack=pack, max_concurrency=max_concurrency,
            budget=budget, cancel=cancel)
