"""``ReviewAnalyzer`` and ``AsyncReviewAnalyzer``: the I/O of the analyzers.

Everything that does not wait (settings, preparing requests, finishing
results, bookkeeping) is ``_core.AnalyzerCore``. The twins add what waits: the
openai client, sending with retries, driving the ``_llm.converse`` dialogue,
and the public methods, which name a task of ``_tasks.TASKS``.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from . import _cancel
from ._batch import PackAnswer, ReviewInput, aiter_batch, in_order, iter_batch
from ._core import AnalyzerCore, Prepared
from ._exceptions import APIStatusError
from ._llm import ChatRequest, ChatResponse, EmbeddingRequest, TaskCall, TaskOutcome, advance
from ._llm import converse as _converse
from ._validate import check_batch
from .io._dataframe import records_from_frame, to_frame
from .types import (
    BatchResult,
    Complaint,
    ReplySuggestion,
    ReviewInsight,
    ReviewRecord,
    Sentiment,
)

__all__ = ["AsyncReviewAnalyzer", "ReviewAnalyzer"]


class ReviewAnalyzer(AnalyzerCore):
    """Analyze customer reviews with any OpenAI-compatible chat endpoint.

    Connection settings come from the arguments, else from the environment:
    ``WOM_MODEL`` (default ``gpt-4o-mini``), ``OPENAI_API_KEY`` and
    ``OPENAI_BASE_URL``. A local server needs only the base URL.

    Args:
        model: model name as the endpoint knows it.
        api_key: the endpoint's key (never printed; ``repr`` masks it).
        base_url: e.g. ``http://127.0.0.1:8000/v1``; default OpenAI.
        requests_per_minute: the provider's request limit; requests are paced
            evenly to it. None: learned from ``x-ratelimit-*`` headers.
        tokens_per_minute: the provider's token limit (same rules).
        timeout: seconds one request may take (default 60).
        retry: ``RetryPolicy`` for transient failures (408/409/429/5xx, connection).
        max_reasks: validation re-asks after the first answer (default 2).
        max_output_tokens: cap on each answer's tokens.
        temperature: sampling temperature; None to leave the endpoint's default.
        sampling: more request parameters sent with every request, e.g.
            ``{"top_p": 0.9, "frequency_penalty": 0.5, "seed": 1}``.
        structured_output: "auto" (probe json_schema, fall back and remember), or
            force one of "json_schema", "json_object_schema", "json_object", "prompt".
        prompts_dir: a folder of Jinja templates overriding the built-in ones by name.
        categories: complaint categories (default ``types.DEFAULT_CATEGORIES``).
        brand_voice: how replies should sound, e.g. "warm, brief, no emoji".
        reply_policy: what replies may contain (links, codes, refund promises).
        redact: send e-mails, phone numbers, ID and card numbers as placeholders.
            Default: on for tasks that write a reply, off for the others.
        order_number_pattern: a regex for the shop's order numbers, redacted too.
        restore_redactions: put the original values back into quotes and replies.
        max_review_chars: longer reviews are cut (the result says so).
        cache: a path (SQLite) or ``ResponseCache``; identical requests are answered from it.
        default_headers: extra HTTP headers (e.g. Azure or gateway headers).
        http_client: an ``httpx2.Client`` (proxies, custom transports, tests).
    """

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                # openai takes ~1 s to import; only pay for it when a request is made.
                import openai

                self._client = openai.OpenAI(**self._openai_kwargs())
            return self._client

    def close(self) -> None:
        """Close the HTTP connections (and the cache)."""
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        if self._cache is not None:
            self._cache.close()

    def __enter__(self) -> ReviewAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, req: ChatRequest | EmbeddingRequest, create: Callable[..., Any],
                 done: Callable[..., Any]) -> Any:
        """One request, retried: wait for the limiter, send, map errors, book the answer."""
        import tenacity

        stop = _cancel.current()  # a batch's: once set, no request leaves (``_cancel``)
        for attempt in tenacity.Retrying(**self._retrying_kwargs(req, stop)):
            with attempt:
                resv = self._limiter.acquire(req.estimated_tokens, stop)
                _cancel.check(stop)
                try:
                    raw = create(**req.params)
                    parsed = raw.parse()
                except Exception as e:
                    raise self._on_error(e) from e
                result = done(req, parsed, raw.headers, resv)
        return result

    def _send(self, req: ChatRequest) -> ChatResponse:
        hit = self._cache_get(req)
        if hit is not None:
            return hit
        chat = self._get_client().chat.completions.with_raw_response
        resp: ChatResponse = self._request(req, chat.create, self._on_response)
        self._cache_put(req, resp)
        return resp

    def _run(self, call: TaskCall) -> TaskOutcome:
        gen = _converse(call, self._memory)
        step = advance(gen)
        while isinstance(step, ChatRequest):
            try:
                resp = self._send(step)
            except APIStatusError as e:
                step = advance(gen, error=e)
                continue
            self._count_response(resp)
            step = advance(gen, resp)
        return step

    def _do(self, prep: Prepared) -> Any:
        assert prep.call is not None
        return self._finish(prep, self._run(prep.call))

    def _analyze_pack(self, records: Sequence[ReviewRecord], **kw: Any) -> PackAnswer:
        pack = self._prepare_pack(records, **kw)
        # With fewer than two reviews left there is nothing to share: they go one by one.
        got = self._finish_pack(pack, self._run(pack.call)) if len(pack.items) > 1 else {}
        return got, pack.invalid

    # -- the public tasks ----------------------------------------------------------------
    def analyze(self, text: str, *, product: str | None = None, rating: float | None = None,
                brand_voice: str | None = None, categories: Sequence[str] | None = None,
                ) -> ReviewInsight:
        """Sentiment, grounded complaints, praise and a reply for one review."""
        return cast(ReviewInsight, self._do(self._prepare(
            "analyze", text, product=product, rating=rating, brand_voice=brand_voice,
            categories=categories)))

    def sentiment(self, text: str, *, product: str | None = None,
                  rating: float | None = None) -> Sentiment:
        """The review's overall sentiment only (cheaper than ``analyze``)."""
        prep = self._prepare("sentiment", text, product=product, rating=rating)
        return cast(Sentiment, self._do(prep))

    def complaints(self, text: str, *, product: str | None = None,
                   categories: Sequence[str] | None = None) -> list[Complaint]:
        """The review's complaints, each with a verbatim quote."""
        prep = self._prepare("complaints", text, product=product, categories=categories)
        return cast(list[Complaint], self._do(prep))

    def suggest_reply(self, text: str, *, brand_voice: str | None = None,
                      product: str | None = None, rating: float | None = None,
                      contact: str | None = None) -> ReplySuggestion:
        """A reply the shop could post, in the review's language, checked by ``reply_policy``."""
        return cast(ReplySuggestion, self._do(self._prepare(
            "reply", text, product=product, rating=rating, brand_voice=brand_voice,
            contact=contact)))

    def embed(self, texts: Sequence[str], *, model: str | None = None,
              dimensions: int | None = None) -> list[list[float]]:
        """One vector per text, in order, from the endpoint's ``/embeddings``.

        Sent in batches of a sane size, through the same timeout, retries, rate
        limiter, error types and key as the chat tasks; the tokens count in ``usage``.

        Args:
            texts: the texts to embed (none empty).
            model: the embedding model; default ``WOM_EMBEDDING_MODEL``, else
                ``text-embedding-3-small``.
            dimensions: shorter vectors, where the model supports it (OpenAI's
                ``text-embedding-3-*``).
        """
        api = self._get_client().embeddings.with_raw_response
        vectors: list[list[float]] = []
        for req in self._embedding_requests(texts, model, dimensions):
            vectors += self._request(req, api.create, self._on_embeddings)
        return vectors

    def analyze_many(self, reviews: Iterable[ReviewInput], *, pack: int = 1,
                     max_concurrency: int | None = None,
                     on_result: Callable[[BatchResult], None] | None = None,
                     brand_voice: str | None = None, categories: Sequence[str] | None = None,
                     ) -> list[BatchResult]:
        """Analyze many reviews; results in input order, one failure never stops the rest.

        Args:
            reviews: strings, ``ReviewRecord``s or mappings with ``text`` (or
                ``review``) and optional ``id``, ``product``, ``rating``, ``date``.
            pack: send up to this many short reviews per request (cheaper prompts).
            max_concurrency: cap on reviews in flight; the rate limiter sets the pace.
            on_result: called with each result as it completes (progress, streaming).
        """
        pairs = self.iter_many(reviews, pack=pack, max_concurrency=max_concurrency,
                               brand_voice=brand_voice, categories=categories)
        return in_order(pairs, on_result)

    def analyze_dataframe(self, df: Any, *, text_column: str, id_column: str | None = None,
                          product_column: str | None = None, rating_column: str | None = None,
                          date_column: str | None = None, pack: int = 1,
                          max_concurrency: int | None = None) -> Any:
        """``df`` with the insight flattened into columns (``sentiment_label``, ...).

        Needs the ``pandas`` extra. Failed rows keep their place, with
        ``error_kind`` / ``error_message`` set. Ids come from ``id_column`` or the index.
        """
        records = list(records_from_frame(
            df, text_column=text_column, id_column=id_column, product_column=product_column,
            rating_column=rating_column, date_column=date_column))
        results = self.analyze_many(records, pack=pack, max_concurrency=max_concurrency)
        return to_frame(df, results)

    def iter_many(self, reviews: Iterable[ReviewInput], *, pack: int = 1,
                  max_concurrency: int | None = None, brand_voice: str | None = None,
                  categories: Sequence[str] | None = None, cancel: threading.Event | None = None,
                  ) -> Iterator[tuple[int, BatchResult]]:
        """(input index, result) pairs as they complete; reads ``reviews`` lazily.

        Once ``cancel`` is set no request is sent: reviews in flight are yielded, the rest not.
        """
        check_batch(reviews, pack, max_concurrency, cancel)
        kw: dict[str, Any] = {"brand_voice": brand_voice, "categories": categories}
        return iter_batch(
            reviews,
            analyze_one=lambda r: self.analyze(r.text, product=r.product, rating=r.rating, **kw),
            analyze_pack=lambda records: self._analyze_pack(records, **kw),
            rate_known=self._rate_known, pack=pack, max_concurrency=max_concurrency,
            cancel=cancel)


class AsyncReviewAnalyzer(AnalyzerCore):
    """The async twin of ``ReviewAnalyzer``: same arguments, same results.

    ``http_client`` takes an ``httpx2.AsyncClient``.
    """

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import openai

                self._client = openai.AsyncOpenAI(**self._openai_kwargs())
            return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections (and the cache)."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self._cache is not None:
            self._cache.close()

    async def __aenter__(self) -> AsyncReviewAnalyzer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _request(self, req: ChatRequest | EmbeddingRequest,
                       create: Callable[..., Awaitable[Any]], done: Callable[..., Any]) -> Any:
        """One request, retried: wait for the limiter, send, map errors, book the answer."""
        import tenacity

        stop = _cancel.current()
        async for attempt in tenacity.AsyncRetrying(**self._retrying_kwargs(req, stop, True)):
            with attempt:
                resv = await self._limiter.aacquire(req.estimated_tokens, stop)
                _cancel.check(stop)
                try:
                    raw = await create(**req.params)
                    parsed = raw.parse()
                except Exception as e:
                    raise self._on_error(e) from e
                result = done(req, parsed, raw.headers, resv)
        return result

    async def _send(self, req: ChatRequest) -> ChatResponse:
        hit = self._cache_get(req)
        if hit is not None:
            return hit
        chat = self._get_client().chat.completions.with_raw_response
        resp: ChatResponse = await self._request(req, chat.create, self._on_response)
        self._cache_put(req, resp)
        return resp

    async def _run(self, call: TaskCall) -> TaskOutcome:
        gen = _converse(call, self._memory)
        step = advance(gen)
        while isinstance(step, ChatRequest):
            try:
                resp = await self._send(step)
            except APIStatusError as e:
                step = advance(gen, error=e)
                continue
            self._count_response(resp)
            step = advance(gen, resp)
        return step

    async def _do(self, prep: Prepared) -> Any:
        assert prep.call is not None
        return self._finish(prep, await self._run(prep.call))

    async def _analyze_pack(self, records: Sequence[ReviewRecord], **kw: Any) -> PackAnswer:
        pack = self._prepare_pack(records, **kw)
        got = self._finish_pack(pack, await self._run(pack.call)) if len(pack.items) > 1 else {}
        return got, pack.invalid

    # -- the public tasks ----------------------------------------------------------------
    async def analyze(self, text: str, *, product: str | None = None,
                      rating: float | None = None, brand_voice: str | None = None,
                      categories: Sequence[str] | None = None) -> ReviewInsight:
        """Sentiment, grounded complaints, praise and a reply for one review."""
        return cast(ReviewInsight, await self._do(self._prepare(
            "analyze", text, product=product, rating=rating, brand_voice=brand_voice,
            categories=categories)))

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

    async def embed(self, texts: Sequence[str], *, model: str | None = None,
                    dimensions: int | None = None) -> list[list[float]]:
        """Async twin of ``ReviewAnalyzer.embed``."""
        api = self._get_client().embeddings.with_raw_response
        vectors: list[list[float]] = []
        for req in self._embedding_requests(texts, model, dimensions):
            vectors += await self._request(req, api.create, self._on_embeddings)
        return vectors

    async def analyze_many(self, reviews: Iterable[ReviewInput], *, pack: int = 1,
                           max_concurrency: int | None = None,
                           on_result: Callable[[BatchResult], None] | None = None,
                           brand_voice: str | None = None,
                           categories: Sequence[str] | None = None) -> list[BatchResult]:
        """Async twin of ``ReviewAnalyzer.analyze_many``."""
        pairs = []
        async for pair in self.aiter_many(reviews, pack=pack, max_concurrency=max_concurrency,
                                          brand_voice=brand_voice, categories=categories):
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
                   categories: Sequence[str] | None = None,
                   cancel: threading.Event | None = None,
                   ) -> AsyncIterator[tuple[int, BatchResult]]:
        """(index, result) pairs as they complete; reads ``reviews`` lazily; ``cancel`` as sync."""
        check_batch(reviews, pack, max_concurrency, cancel)
        kw: dict[str, Any] = {"brand_voice": brand_voice, "categories": categories}
        return aiter_batch(
            reviews,
            analyze_one=lambda r: self.analyze(r.text, product=r.product, rating=r.rating, **kw),
            analyze_pack=lambda records: self._analyze_pack(records, **kw),
            rate_known=self._rate_known, pack=pack, max_concurrency=max_concurrency,
            cancel=cancel)
