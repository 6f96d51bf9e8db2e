"""``ReviewAnalyzer``: the sync twin's I/O (threads; the batch drivers run it on a pool)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from .._batch import PackAnswer, ReviewInput, in_order, iter_batch
from .._batchapi import BatchSubmitter
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

__all__ = ["ReviewAnalyzer"]


class ReviewAnalyzer(BatchSubmitter, AnalyzerCore):
    """Analyze customer reviews with any OpenAI-compatible chat endpoint.

    Connection settings come from the arguments, else from the environment:
    ``WOM_MODEL`` (default ``gpt-6-luna``), ``OPENAI_API_KEY`` and
    ``OPENAI_BASE_URL``; for Azure OpenAI, ``AZURE_OPENAI_ENDPOINT`` and
    ``AZURE_OPENAI_API_KEY``. A local server needs only the base URL.

    Args:
        model: model name as the endpoint knows it (Azure: the deployment name).
        api_key: the endpoint's key (never printed; ``repr`` masks it), or a
            callable returning a fresh one for each request (an Entra ID token
            provider such as ``azure.identity.get_bearer_token_provider(...)``).
        base_url: e.g. ``http://127.0.0.1:8000/v1``; default OpenAI.
        requests_per_minute: the provider's request limit; requests are paced
            evenly to it. None: learned from ``x-ratelimit-*`` headers.
        tokens_per_minute: the provider's token limit (same rules).
        limiter: share the pacing: a ``RateLimiter`` (one limit for several
            analyzers of this process), or a ``redis://`` / ``rediss://`` URL or
            ``redis.Redis`` client (one limit for every process using that Redis,
            keyed by endpoint and model; the ``redis`` extra). ``RedisRateLimiter``
            adds a key of your own. Redis unreachable: ``ConfigurationError``.
        timeout: seconds one request may take (default 60).
        retry: ``RetryPolicy`` for transient failures (408/409/429/5xx, connection).
        max_reasks: validation re-asks after the first answer (default 2).
        max_output_tokens: cap on each answer's tokens.
        temperature: sampling temperature; None to leave the endpoint's default.
        sampling: more request parameters sent with every request, e.g.
            ``{"top_p": 0.9, "frequency_penalty": 0.5, "seed": 1}``.
        structured_output: "auto" (probe json_schema, fall back and remember), or
            force one of "json_schema", "json_object_schema", "tools", "json_object",
            "prompt" (an endpoint that refuses it raises ``UnsupportedFeatureError``).
        reasoning_effort: for reasoning models: "none", "minimal", "low", "medium",
            "high", "xhigh" or "max" (not every model takes every value); None
            sends nothing (the model's default, usually "medium").
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
        client: your own ``openai.OpenAI`` (proxies, headers, Azure auth): used as
            it is, with its own retries off (``with_options(max_retries=0)``) so
            that ours are the only ones; then pass no ``api_key`` / ``base_url`` /
            ``default_headers`` / ``http_client``. Closing the analyzer leaves it open.
        include: optional sections of every ``analyze`` (batches too), e.g. ``("needs",)``.
        on_event: called with each ``wom_sdk.events.Event``; what it raises is logged only.
        prices: a price file for budgets (default ``WOM_PRICES``, then genai-prices' data).
    """

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                # openai takes ~1 s to import; only pay for it when a request is made.
                self._client = self._openai_client(async_=False)
            return self._client

    def close(self) -> None:
        """Close the HTTP connections (and the cache); a ``client=`` stays the caller's to close."""
        with self._client_lock:
            if self._client is not None and self._user_client is None:
                self._client.close()
            self._client = None
        if self._cache is not None:
            self._cache.close()
        if self._owns_limiter:
            self._limiter.close()

    def __enter__(self) -> ReviewAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, req: ChatRequest | EmbeddingRequest, create: Callable[..., Any],
                 done: Callable[..., Any], budget: Budget | None = None) -> Any:
        """One request, retried: wait for the limiter, send, map errors, book the answer."""
        import tenacity

        stop = current_cancel()  # a batch's: once set, no request leaves (``_retry``)
        for attempt in tenacity.Retrying(**self._retrying_kwargs(req, stop)):
            with attempt:
                resv = self._limiter.acquire(req.estimated_tokens, stop)
                check_cancel(stop)
                with self._sending(req, attempt, resv, budget) as sent:
                    try:
                        raw = create(**req.params)
                        parsed = raw.parse()
                    except Exception as e:
                        raise self._on_error(e, req) from e
                    result = sent.result = done(req, parsed, raw.headers, resv)
        return result

    def _send(self, req: ChatRequest, budget: Budget | None) -> ChatResponse:
        hit = self._cache_get(req)
        if hit is not None:
            return hit
        chat = self._get_client().chat.completions.with_raw_response
        resp: ChatResponse = self._request(req, chat.create, self._on_response, budget)
        self._cache_put(req, resp)
        return resp

    def _run(self, call: TaskCall, budget: Budget | None = None) -> TaskOutcome:
        with self._memory.probe_gate((call.endpoint, call.model)):
            steps = self._obs.dialogue(call, self._memory, self._count_response)
            req = step(steps)
            while isinstance(req, ChatRequest):
                try:
                    got: ChatResponse | BaseException = self._send(req, budget)
                except BaseException as e:  # the dialogue decides: adapt, or end (and say so)
                    got = e
                req = step(steps, got)
            return req

    def _drive(self, gen: Conversation, pending: ChatRequest | TaskOutcome) -> TaskOutcome:
        """Send each request of a dialogue until its outcome (a batch's re-runs start midway)."""
        while isinstance(pending, ChatRequest):
            try:
                resp = self._send(pending, None)
            except APIStatusError as e:
                pending = advance(gen, error=e)
                continue
            self._count_response(resp)
            pending = advance(gen, resp)
        return pending

    def _do(self, prep: Prepared, budget: Budget | None = None) -> Any:
        assert prep.call is not None
        return self._finish(prep, self._run(prep.call, budget))

    def _analyze_pack(self, records: Sequence[ReviewRecord], budget: Budget | None = None,
                      **kw: Any) -> PackAnswer:
        pack = self._prepare_pack(records, **kw)
        # With fewer than two reviews left there is nothing to share: they go one by one.
        got = self._finish_pack(pack, self._run(pack.call, budget)) if len(pack.items) > 1 else {}
        return got, pack.invalid

    # -- the public tasks ----------------------------------------------------------------
    def analyze(self, text: str, *, product: str | None = None, rating: float | None = None,
                brand_voice: str | None = None, categories: Sequence[str] | None = None,
                include: Sequence[str] | None = None) -> ReviewInsight:
        """Sentiment, grounded complaints, praise, a reply (and ``include``'s sections)."""
        return cast(ReviewInsight, self._do(self._prepare(
            "analyze", text, product=product, rating=rating, brand_voice=brand_voice,
            categories=categories, include=include)))

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

    def needs(self, text: str, *, product: str | None = None) -> list[Need]:
        """Who the product was bought for and what for (``NEED_TAGS``), each with a verbatim
        quote; never an attribute of a person."""
        return cast(list[Need], self._do(self._prepare("needs", text, product=product)))

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
            vectors += self._request(req, api.create, self._on_embeddings).vectors
        return vectors

    def analyze_many(self, reviews: Iterable[ReviewInput], *, pack: int = 1,
                     max_concurrency: int | None = None,
                     on_result: Callable[[BatchResult], None] | None = None,
                     brand_voice: str | None = None, categories: Sequence[str] | None = None,
                     max_cost_usd: float | None = None) -> list[BatchResult]:
        """Analyze many reviews; results in input order, one failure never stops the rest.

        Args:
            reviews: strings, ``ReviewRecord``s or mappings with ``text`` (or
                ``review``) and optional ``id``, ``product``, ``rating``, ``date``.
            pack: send up to this many short reviews per request (cheaper prompts).
            max_concurrency: cap on reviews in flight; the rate limiter sets the pace.
            on_result: called with each result as it completes (progress, streaming).
            max_cost_usd: spend at most this (US dollars): no request that could pass
                it is sent. Reviews not done by then are not in the results (a WARNING and
                a ``BudgetReached`` event say so); an unknown price: ``ConfigurationError``.
        """
        pairs = self.iter_many(reviews, pack=pack, max_concurrency=max_concurrency,
                               brand_voice=brand_voice, categories=categories,
                               max_cost_usd=max_cost_usd)
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
                  categories: Sequence[str] | None = None, max_cost_usd: float | None = None,
                  cancel: threading.Event | None = None,
                  ) -> Iterator[tuple[int, BatchResult]]:
        """(input index, result) pairs as they complete; reads ``reviews`` lazily.

        Once ``cancel`` is set no request is sent: reviews in flight are yielded, the rest not.
        """
        check_batch(reviews, pack, max_concurrency, cancel)
        kw: dict[str, Any] = {"brand_voice": brand_voice, "categories": categories}
        budget = self._budget(max_cost_usd)
        return iter_batch(
            reviews, analyze_one=lambda r: self._do(self._prepare(
                "analyze", r.text, product=r.product, rating=r.rating, **kw), budget),
            analyze_pack=lambda records: self._analyze_pack(records, budget, **kw),
            rate_known=self._rate_known, pack=pack, max_concurrency=max_concurrency,
            budget=budget, cancel=cancel)
