"""What both analyzers share and what does no I/O: prepare, finish, pack, bookkeeping.

``AnalyzerCore`` holds the settings and turns a review into a ``TaskCall``
(clean, redact, detect the script, render the prompt: ``_prepare``), and a
validated answer into the public result (``_finish``, by the task's row in
``_tasks.TASKS``). Around each HTTP exchange it supplies what is the same for
both twins: the response cache, usage counting, the limiter's bookkeeping
(``_on_response``, ``_on_error``), and the arguments of the openai client and
of the retry loop. ``ReviewAnalyzer`` / ``AsyncReviewAnalyzer`` (``_client``)
add only the waiting.

A path that does not send over HTTP (a provider's batch API) uses the same
pieces: ``_prepare`` -> ``next(_llm.converse(prep.call, memory))`` is the
request body; a raw completion body -> ``_llm.response_from_completion`` ->
``_llm.advance`` -> ``_finish`` is the result.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

from ._cache import ResponseCache, open_cache
from ._config import (
    KeyProvider,
    check_api_key,
    check_settings,
    check_task,
    resolve_settings,
)
from ._constants import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    DEFAULT_MAX_REASKS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT,
    REASONING_EFFORTS,
    ReasoningEffort,
)
from ._exceptions import APIStatusError, ConfigurationError, InvalidReviewError, WomError
from ._llm import (
    ChatRequest,
    ChatResponse,
    Embedded,
    EmbeddingRequest,
    EndpointMemory,
    Mode,
    TaskCall,
    TaskOutcome,
    embedding_requests,
    make_openai_client,
    map_openai_error,
    response_from_completion,
    vectors_from_response,
    vetoes_retry,
)
from ._pricing import Budget
from ._ratelimit import LimiterSpec, RateLimiter, Reservation, limiter_for
from ._retry import (
    RetryPolicy,
    async_interruptible_wait,
    interruptible_wait,
    tenacity_kwargs,
)
from ._tasks import (
    NEED_TAGS,
    TASKS,
    Finishing,
    PromptLibrary,
    Task,
    ValidationContext,
    analyze_task,
    boundary_for,
    check_sections,
    leak_markers,
    schema_for,
    schema_text_for,
    strict_schema_for,
)
from .events import Event
from .events._observer import Observer
from .text._clean import DEFAULT_MAX_CHARS, CleanedReview, clean_review
from .text._guard import ReplyPolicy, detect_language
from .text._redact import Redacted, Redactor
from .types import DEFAULT_CATEGORIES, ReviewInsight, ReviewRecord, Usage

__all__ = ["AnalyzerCore", "Pack", "Prepared", "StructuredOutput"]

StructuredOutput = Literal[
    "auto", "json_schema", "json_object_schema", "tools", "json_object", "prompt"
]
#: A pack's answer holds one insight per review: its output cap grows with them, up to this.
_PACK_MAX_OUTPUT_TOKENS = 16384


@dataclass
class Prepared:
    """One review, cleaned and redacted, with the request it becomes."""

    task: Task
    call: TaskCall | None  # None for one review of a pack (the pack has the call)
    cleaned: CleanedReview
    redacted: Redacted | None
    review: str  # what the model sees: the redacted text, or the cleaned one
    language_hint: str


@dataclass
class Pack:
    """Several short reviews sharing one request; prompt ids are "r1", "r2", ..."""

    call: TaskCall
    items: dict[str, Prepared]  # by prompt id
    real_ids: dict[str, str]  # prompt id -> the caller's id
    invalid: dict[str, InvalidReviewError]  # by the caller's id


class AnalyzerCore:
    """Shared, I/O-free core of both analyzers. See ``ReviewAnalyzer`` for the arguments."""

    #: which twin this is (a redis.asyncio limiter client can only serve the async one)
    _asynchronous = False

    def __init__(
        self,
        model: str | None = None,
        api_key: str | KeyProvider | None = None,
        base_url: str | None = None,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        limiter: LimiterSpec = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_reasks: int = DEFAULT_MAX_REASKS,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        temperature: float | None = DEFAULT_TEMPERATURE,
        sampling: Mapping[str, Any] | None = None,
        structured_output: StructuredOutput = "auto",
        prompts_dir: str | Path | None = None,
        categories: Sequence[str] | None = None,
        brand_voice: str | None = None,
        reply_policy: ReplyPolicy | None = None,
        redact: bool | None = None,
        order_number_pattern: str | None = None,
        restore_redactions: bool = False,
        max_review_chars: int = DEFAULT_MAX_CHARS,
        cache: str | Path | ResponseCache | None = None,
        default_headers: dict[str, str] | None = None,
        http_client: Any = None,
        reasoning_effort: ReasoningEffort | None = None,
        client: Any = None,
        include: Sequence[str] = (),
        on_event: Callable[[Event], None] | None = None,
        prices: str | Path | None = None,
    ) -> None:
        check_settings(locals())  # types and ranges, each error naming its argument
        if client is not None and (api_key is not None or base_url is not None
                                   or http_client is not None or default_headers):
            raise ConfigurationError(
                "client= carries its own key, base URL, headers and HTTP client: pass "
                "api_key / base_url / default_headers / http_client to it, not here"
            )
        if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
            raise ConfigurationError(
                f"reasoning_effort must be one of {list(REASONING_EFFORTS)}, got "
                f"{reasoning_effort!r}"
            )
        self._user_client = client
        self._settings = resolve_settings(
            model=model, api_key=api_key, base_url=base_url,
            client_base_url=str(client.base_url) if client is not None else None,
        )
        check_api_key(self._settings.api_key.get_secret_value(), given=api_key is not None)
        if structured_output not in ("auto", *(m.value for m in Mode)):
            raise ConfigurationError(
                f"structured_output must be 'auto' or one of {[m.value for m in Mode]}"
            )
        self._prompts = PromptLibrary(prompts_dir)
        self._memory = EndpointMemory(
            None if structured_output == "auto" else Mode(structured_output)
        )
        self._retry = retry or RetryPolicy()
        self.timeout = timeout
        self.max_reasks = max_reasks
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self.sampling = dict(sampling or {})
        self.reasoning_effort = reasoning_effort
        self.categories: tuple[str, ...] = tuple(categories or DEFAULT_CATEGORIES)
        #: optional sections every ``analyze`` adds unless told otherwise
        self.include: tuple[str, ...] = check_sections(include)
        self.brand_voice = brand_voice
        self.reply_policy = reply_policy or ReplyPolicy()
        self.redact = redact
        self.restore_redactions = restore_redactions
        self.max_review_chars = max_review_chars
        self._redactor = Redactor(order_number_pattern=order_number_pattern)
        self._default_headers = dict(default_headers or {})
        self._http_client = http_client
        self._cache = open_cache(cache)
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._usage_lock = threading.Lock()
        self._usage = Usage()
        self._obs = Observer(on_event, model=self.model, base_url=self.base_url)
        self._prices = prices  # read when a budget needs them (a bad file fails that call)
        # Last: a Redis limiter connects (and fails fast) only once everything else is valid.
        try:
            self._limiter, self._owns_limiter = limiter_for(
                limiter, endpoint=self._settings.endpoint, model=self.model,
                requests_per_minute=requests_per_minute, tokens_per_minute=tokens_per_minute,
                asynchronous=self._asynchronous)
        except ConfigurationError:
            if self._cache is not None:
                self._cache.close()
            raise

    # -- introspection ---------------------------------------------------------------
    @property
    def model(self) -> str:
        return self._settings.model

    @property
    def base_url(self) -> str | None:
        return self._settings.base_url

    @property
    def limiter(self) -> RateLimiter:
        """The rate limiter every call of this analyzer shares."""
        return self._limiter

    @property
    def usage(self) -> Usage:
        """Tokens and requests spent by this analyzer so far (all tasks, all attempts)."""
        with self._usage_lock:
            return self._usage

    def _rate_known(self) -> bool:
        """Whether the limiter knows a limit (configured, or learned from headers)."""
        lim = self._limiter
        return lim.requests_per_minute is not None or lim.tokens_per_minute is not None

    @property
    def structured_output_modes(self) -> dict[str, str]:
        """The output mode found to work, per endpoint and model."""
        return self._memory.snapshot()

    def __repr__(self) -> str:
        # The key is a SecretStr: it renders as '**********'.
        return (
            f"{type(self).__name__}(model={self.model!r}, base_url={self.base_url!r}, "
            f"api_key={self._settings.api_key!r}, limiter={self._limiter!r})"
        )

    # -- preparing requests ------------------------------------------------------------
    def _sanitize(self, task: Task, text: str) -> Prepared:
        """Clean, redact (by default only for tasks that write a reply) and detect the script."""
        if not isinstance(text, str):
            raise TypeError(f"review text must be str, not {type(text).__name__}")
        cleaned = clean_review(text, max_chars=self.max_review_chars)
        redact = self.redact if self.redact is not None else task.writes_reply
        redacted = self._redactor.redact(cleaned.text) if redact else None
        review = redacted.text if redacted is not None else cleaned.text
        return Prepared(task, None, cleaned, redacted, review, detect_language(review))

    def _prepare(
        self,
        task: str,
        text: str,
        *,
        product: str | None = None,
        rating: float | None = None,
        brand_voice: str | None = None,
        categories: Sequence[str] | None = None,
        contact: str | None = None,
        include: Sequence[str] | None = None,
    ) -> Prepared:
        check_task(product, rating, brand_voice, categories, contact)
        sections = self._sections(include)
        prep = self._sanitize(analyze_task(sections) if task == "analyze" else TASKS[task], text)
        cats = tuple(categories) if categories else self.categories
        variables: dict[str, Any] = {
            **_section_variables(sections),
            "review": prep.review,
            "boundary": boundary_for(prep.review),
            "language_hint": prep.language_hint,
            "product": product,
            "rating": rating,
            "brand_voice": brand_voice if brand_voice is not None else self.brand_voice,
            "categories": list(cats),
            "contact": contact,
        }
        context = ValidationContext(review=prep.review, categories=cats)
        prep.call = self._task_call(prep.task, variables, cats, context)
        return prep

    def _prepare_pack(
        self,
        records: Sequence[ReviewRecord],
        *,
        brand_voice: str | None = None,
        categories: Sequence[str] | None = None,
        include: Sequence[str] | None = None,
    ) -> Pack:
        sections = self._sections(include)
        task = analyze_task(sections, packed=True)
        items: dict[str, Prepared] = {}
        invalid: dict[str, InvalidReviewError] = {}
        real_ids: dict[str, str] = {}
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()
        cats = tuple(categories) if categories else self.categories
        for rec in records:
            if rec.id in seen:
                continue  # a repeated id cannot be mapped back: it goes alone
            seen.add(rec.id)
            try:
                prep = self._sanitize(task, rec.text)
            except InvalidReviewError as e:
                invalid[rec.id] = e
                continue
            # Short positional ids in the prompt: the caller's ids may be long, or
            # contain quotes that would break out of the tag's attribute.
            alias = f"r{len(items) + 1}"
            items[alias] = prep
            real_ids[alias] = rec.id
            entries.append(
                {"id": alias, "text": prep.review, "product": rec.product, "rating": rec.rating}
            )
        call = self._task_call(
            task,
            {
                **_section_variables(sections),
                "reviews": entries,
                "boundary": boundary_for("\n".join(e["text"] for e in entries)),
                "categories": list(cats),
                "language_hint": "each review's own language",
                "brand_voice": brand_voice if brand_voice is not None else self.brand_voice,
                "product": None,
                "rating": None,
                "contact": None,
            },
            cats,
            ValidationContext(
                review="", categories=cats, pack={e["id"]: e["text"] for e in entries}
            ),
            max_output_tokens=min(
                self.max_output_tokens * max(1, len(entries)), _PACK_MAX_OUTPUT_TOKENS
            ),
        )
        return Pack(call, items, real_ids, invalid)

    def _sections(self, include: Sequence[str] | None) -> tuple[str, ...]:
        return self.include if include is None else check_sections(include)

    def _task_call(
        self,
        task: Task,
        variables: dict[str, Any],
        categories: tuple[str, ...],
        context: ValidationContext,
        *,
        max_output_tokens: int | None = None,
    ) -> TaskCall:
        prompts = self._prompts
        schema_text = schema_text_for(task.output, categories)

        def render(mode: Mode) -> list[dict[str, str]]:
            # A strict endpoint enforces the schema itself: not sending it twice saves tokens.
            schema_json = "" if mode is Mode.JSON_SCHEMA else schema_text
            return prompts.render(task.template, {**variables, "schema_json": schema_json})

        def reask(errors: list[str]) -> str:
            return prompts.render_text(
                "reask", {"errors": errors, "boundary": variables["boundary"]}
            )

        sampling: dict[str, Any] = dict(self.sampling)
        # What the caller chose is never dropped behind their back; our default
        # temperature is left out where the endpoint refuses it (reasoning models).
        user_set = set(sampling)
        if self.temperature is not None:
            sampling["temperature"] = self.temperature
            if self.temperature != DEFAULT_TEMPERATURE:
                user_set.add("temperature")
        if self.reasoning_effort is not None:
            sampling["reasoning_effort"] = self.reasoning_effort
            user_set.add("reasoning_effort")
        return TaskCall(
            task=task.name,
            output=task.output,
            model=self.model,
            endpoint=self._settings.endpoint,
            render=render,
            reask=reask,
            schema=schema_for(task.output, categories),
            strict_schema=strict_schema_for(task.output, categories),
            context=context,
            sampling=sampling,
            max_output_tokens=max_output_tokens or self.max_output_tokens,
            max_reasks=self.max_reasks,
            user_set=frozenset(user_set),
            on_reask=self._obs.reasked,
        )

    # -- turning answers into results --------------------------------------------------
    @staticmethod
    def _truncation_note(prep: Prepared) -> list[str]:
        if not prep.cleaned.truncated:
            return []
        return [
            f"review truncated from {prep.cleaned.original_length} to "
            f"{len(prep.cleaned.text)} characters before analysis"
        ]

    def _finishing(
        self, prep: Prepared, outcome: TaskOutcome, usage: Usage, warnings: list[str]
    ) -> Finishing:
        redacted = prep.redacted
        restore = (
            redacted.restore if redacted is not None and self.restore_redactions else _unchanged
        )
        return Finishing(
            review=prep.cleaned.text,
            language_hint=prep.language_hint,
            restore=restore,
            reply_policy=self.reply_policy,
            # From the system message actually sent: a custom prompts_dir is guarded too.
            leak_markers=leak_markers(outcome.system),
            model=self.model,
            usage=usage,
            warnings=warnings,
            mode=outcome.mode.value,
            truncated=prep.cleaned.truncated,
            redactions=sum(redacted.counts.values()) if redacted is not None else 0,
        )

    def _finish(self, prep: Prepared, outcome: TaskOutcome) -> Any:
        """The public result of one review's task, built by its row in ``TASKS``."""
        warnings = [*outcome.warnings, *self._truncation_note(prep)]
        finishing = self._finishing(prep, outcome, outcome.usage, warnings)
        return prep.task.build(outcome.output, finishing)

    def _finish_pack(self, pack: Pack, outcome: TaskOutcome) -> dict[str, ReviewInsight]:
        """Insights keyed by the caller's review ids (reviews the answer lacked are absent)."""
        results = outcome.output.results
        n = max(1, len(results))
        # The request's cost is shared evenly; the analyzer's own total stays exact.
        share = outcome.usage.split(n)
        got: dict[str, ReviewInsight] = {}
        for k, item in enumerate(results):
            prep = pack.items[item.id]
            usage = share + Usage(requests=outcome.usage.requests if k == 0 else 0)
            # Each review gets its own grounding warnings, not the whole answer's.
            warnings = [*self._truncation_note(prep), *outcome.item_warnings.get(item.id, [])]
            finishing = self._finishing(prep, outcome, usage, warnings)
            insight = prep.task.build(item, finishing)
            extra = {**insight.extra, "packed_with": n}
            got[pack.real_ids[item.id]] = insight.model_copy(update={"extra": extra})
        return got

    # -- bookkeeping around one HTTP exchange ------------------------------------------
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


def _unchanged(text: str) -> str:
    return text


def _section_variables(sections: tuple[str, ...]) -> dict[str, Any]:
    """What the templates of optional sections read (``prompts/_section_*.jinja``)."""
    return {"sections": list(sections),
            "need_tags": [(tag, meaning) for tag, (_, meaning) in NEED_TAGS.items()]}
