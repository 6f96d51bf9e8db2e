"""The openai client requests go through, and which failures are not worth retrying.

Either the caller's own client (``client=``: proxies, headers, Azure auth, kept
as it is but for its retries, switched off with ``with_options(max_retries=0)``
so that ours are the only ones), or one built from the settings: the
timeout, the key or key provider, and ``max_retries=0`` for the same reason.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .._config import Settings
from .._constants import DEFAULT_CONNECT_TIMEOUT
from .._exceptions import APIStatusError
from ._rejections import Rejected, classify

__all__ = ["make_openai_client", "vetoes_retry"]


def make_openai_client(
    settings: Settings,
    *,
    async_: bool,
    user_client: Any = None,
    timeout: float,
    default_headers: Mapping[str, str] | None = None,
    http_client: Any = None,
) -> Any:
    """An ``openai.OpenAI`` (or ``AsyncOpenAI``) that never retries on its own."""
    import httpx2
    import openai

    if user_client is not None:
        expected = openai.AsyncOpenAI if async_ else openai.OpenAI
        if not isinstance(user_client, expected):
            twin = "AsyncReviewAnalyzer" if async_ else "ReviewAnalyzer"
            raise TypeError(f"{twin}(client=...) takes an openai.{expected.__name__}, not "
                            f"{type(user_client).__name__}")
        return user_client.with_options(max_retries=0)
    key: Any = settings.key_provider or settings.api_key.get_secret_value()
    kwargs: dict[str, Any] = {
        "api_key": _awaitable_key(key) if async_ else key,
        "base_url": settings.base_url,
        "max_retries": 0,  # one retry layer only: ours
        "timeout": httpx2.Timeout(timeout, connect=min(timeout, DEFAULT_CONNECT_TIMEOUT)),
        "default_headers": dict(default_headers) if default_headers else None,
    }
    if http_client is not None:
        kwargs["http_client"] = http_client
    return openai.AsyncOpenAI(**kwargs) if async_ else openai.OpenAI(**kwargs)


def _awaitable_key(key: Any) -> Any:
    """A key provider the async client can await: it awaits whatever ``api_key`` returns."""
    if not callable(key) or inspect.iscoroutinefunction(key):
        return key
    provider: Callable[[], Any] = key

    async def fresh_key() -> str:
        value = provider()
        if inspect.isawaitable(value):
            value = await value
        return str(value)

    return fresh_key


def vetoes_retry(exc: BaseException, *, probing: bool, params: Mapping[str, Any]) -> bool:
    """Whether a failure of a probing request should fall back at once instead of retrying.

    A 500 naming the output format is llama.cpp's way of saying "I cannot do this
    format": retrying it is pointless (a bare 500 is a hiccup, and retried).
    """
    if not (probing and isinstance(exc, APIStatusError)):
        return False
    return classify(exc, params).kind is Rejected.OUTPUT_MODE
