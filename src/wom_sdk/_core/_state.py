"""What an analyzer holds, built once: its settings and its pieces; and what it tells of itself.

``CoreState.__init__`` checks the arguments and builds everything the other
parts of the core share (``_prepare``, ``_finish``, ``_exchange`` are mixins
over it): the resolved settings, the prompt library, the endpoint memory, the
retry policy, the redactor, the cache, the observer and the rate limiter. Their
attributes are declared here, once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from .._cache import ResponseCache, open_cache
from .._config import KeyProvider, check_api_key, check_settings, resolve_settings
from .._constants import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    DEFAULT_MAX_REASKS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT,
    REASONING_EFFORTS,
    ReasoningEffort,
)
from .._exceptions import ConfigurationError
from .._llm import EndpointMemory, Mode
from .._ratelimit import LimiterSpec, RateLimiter, limiter_for
from .._retry import RetryPolicy
from .._tasks import PromptLibrary, check_sections
from ..events import Event
from ..events._observer import Observer
from ..text._clean import DEFAULT_MAX_CHARS
from ..text._guard import ReplyPolicy
from ..text._redact import Redactor
from ..types import DEFAULT_CATEGORIES, Usage

__all__ = ["CoreState", "StructuredOutput"]

StructuredOutput = Literal[
    "auto", "json_schema", "json_object_schema", "tools", "json_object", "prompt"
]


class CoreState:
    """The settings and pieces of one analyzer. See ``ReviewAnalyzer`` for the arguments."""

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
