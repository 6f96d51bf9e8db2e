"""Settings, and the arguments' checks: arguments > environment > defaults.

``resolve_settings``: constructor arguments, else documented environment
variables, else defaults.

The checks (``check_*``) look at arguments where they enter: one ``TypeError``
or ``ConfigurationError`` naming them. A wrong type found deep inside
(``'int' object has no attribute 'strip'``) or not at all
(``analyze_many("good food")`` analyzing nine one-character reviews) costs a
user time or money. ``AnalyzerCore`` calls these checks once, for both
analyzers, before any request: the type is a ``TypeError``, a value out of
range a ``ConfigurationError``, and the message names the argument and what it
must be.

The API key is checked so that it can be sent as an HTTP header value
(RFC 9110 section 5.5: visible ASCII; no line breaks, which would split the
header), and it never appears in the message, only where it is wrong.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from ._constants import DEFAULT_EMBEDDING_MODEL, DEFAULT_MODEL, LOCAL_PLACEHOLDER_KEY
from ._exceptions import ConfigurationError

__all__ = [
    "KeyProvider",
    "Settings",
    "azure_v1_base_url",
    "check_api_key",
    "check_batch",
    "check_categories",
    "check_int",
    "check_number",
    "check_optional",
    "check_settings",
    "check_task",
    "is_azure_host",
    "resolve_settings",
]

#: A callable returning a fresh key for each request (an Entra ID token provider), as
#: openai's clients accept for ``api_key``; the async client also takes a coroutine function.
KeyProvider = Callable[[], Any]

_MISSING_ENDPOINT = (
    "No API key and no endpoint configured. Either set OPENAI_API_KEY (for OpenAI) or "
    "OPENAI_BASE_URL (for any OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; "
    "`python -m wom_sdk.local` starts a bundled one), or AZURE_OPENAI_ENDPOINT and "
    "AZURE_OPENAI_API_KEY (Azure OpenAI), or pass ReviewAnalyzer(api_key=..., base_url=...) "
    "(`wom`: --base-url / --api-key-env)."
)
# Azure OpenAI's resource hosts (Azure's v1 API docs, "api-version-lifecycle":
# https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle).
_AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")


@dataclass(frozen=True)
class Settings:
    """Resolved connection settings. The key is a ``SecretStr``: it never prints."""

    model: str
    api_key: SecretStr
    base_url: str | None
    #: what ``embed`` asks for when not told (the chat model cannot embed)
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    #: called for a fresh key before each request (then ``api_key`` is a placeholder)
    key_provider: KeyProvider | None = None

    @property
    def endpoint(self) -> str:
        """Where requests go; also the key under which endpoint quirks are remembered."""
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")


def _clean(value: str | None) -> str | None:
    # An exported-but-empty variable (`export OPENAI_API_KEY=`) means "not set".
    if value is None:
        return None
    value = value.strip()
    return value or None


def is_azure_host(url: str | None) -> bool:
    """Whether ``url`` is an Azure OpenAI resource."""
    host = (urlsplit(url).hostname or "") if url else ""
    return host.endswith(_AZURE_HOSTS)


def azure_v1_base_url(endpoint: str) -> str:
    """``https://RES.openai.azure.com`` (what the portal shows) -> its v1 API root.

    The v1 API is ``<endpoint>/openai/v1/``, taken by the plain OpenAI client
    with no ``api-version`` (Azure's "api-version-lifecycle" page, linked above).
    """
    url = endpoint.rstrip("/")
    if url.endswith("/openai/v1"):
        return url + "/"
    if url.endswith("/openai"):
        return url + "/v1/"
    return url + "/openai/v1/"


def resolve_settings(
    *,
    model: str | None,
    api_key: str | KeyProvider | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
    client_base_url: str | None = None,
) -> Settings:
    """Arguments win over WOM_MODEL / OPENAI_API_KEY / OPENAI_BASE_URL, which win over defaults.

    Azure OpenAI: with neither ``base_url`` nor OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT
    is used (as its v1 API root), and for an Azure endpoint AZURE_OPENAI_API_KEY is
    the key when none is given (before OPENAI_API_KEY). ``api_key`` may be a callable
    returning a fresh key (or Entra ID token) for each request.

    ``client_base_url`` is the base URL of a client the caller brought (``client=``):
    it needs no key or URL of ours.

    The embedding model has no constructor argument (``embed(model=...)`` is
    one): WOM_EMBEDDING_MODEL, else ``DEFAULT_EMBEDDING_MODEL``.
    """
    env = os.environ if environ is None else environ
    model = _clean(model) or _clean(env.get("WOM_MODEL")) or DEFAULT_MODEL
    embedding_model = _clean(env.get("WOM_EMBEDDING_MODEL")) or DEFAULT_EMBEDDING_MODEL
    provider: KeyProvider | None = None
    if callable(api_key):
        provider, api_key = api_key, None
    elif api_key is not None and not isinstance(api_key, str):
        raise TypeError(
            f"api_key must be a str or a callable returning one, not {type(api_key).__name__}"
        )
    if client_base_url is not None:
        return Settings(model, SecretStr(LOCAL_PLACEHOLDER_KEY), client_base_url,
                        embedding_model)
    url = _clean(base_url) or _clean(env.get("OPENAI_BASE_URL"))
    azure_endpoint = _clean(env.get("AZURE_OPENAI_ENDPOINT"))
    azure = is_azure_host(url)
    if url is None and azure_endpoint is not None:
        url, azure = azure_v1_base_url(azure_endpoint), True
    key = _clean(api_key)
    if key is None and provider is None:
        if azure:
            key = _clean(env.get("AZURE_OPENAI_API_KEY"))
        key = key or _clean(env.get("OPENAI_API_KEY"))
    if key is None and url is None and provider is None:
        raise ConfigurationError(_MISSING_ENDPOINT)
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"base_url must start with http:// or https:// (got {url!r}); "
            "for a local server it usually looks like http://127.0.0.1:8000/v1"
        )
    # Local servers need no key, but the openai client insists on one.
    return Settings(
        model=model,
        api_key=SecretStr(key or LOCAL_PLACEHOLDER_KEY),
        base_url=url,
        embedding_model=embedding_model,
        key_provider=provider,
    )


# -- the arguments' checks --------------------------------------------------------------------


def _kind(value: object) -> str:
    return type(value).__name__


def check_optional(name: str, value: Any, types: Any, what: str) -> None:
    """``value`` is None or of ``types``, else ``TypeError`` naming ``name``."""
    if value is not None and not isinstance(value, types):
        raise TypeError(f"{name} must be {what} or None, not {_kind(value)}")


def check_settings(args: Mapping[str, Any]) -> None:
    """The analyzers' constructor arguments (``AnalyzerCore.__init__``'s ``locals()``)."""
    from ._cache import ResponseCache
    from ._retry import RetryPolicy
    from .text._guard import ReplyPolicy

    for name in ("model", "base_url", "brand_voice", "order_number_pattern",
                 "structured_output", "reasoning_effort"):
        check_optional(name, args[name], str, "a str")
    if args["api_key"] is not None and not (isinstance(args["api_key"], str)
                                            or callable(args["api_key"])):
        raise TypeError(f"api_key must be a str or a callable returning one, not "
                        f"{_kind(args['api_key'])}")
    if args["on_event"] is not None and not callable(args["on_event"]):
        raise TypeError(f"on_event must be a callable or None, not {_kind(args['on_event'])}")
    check_optional("prices", args["prices"], str | os.PathLike, "a path (str or pathlib.Path)")
    for name in ("requests_per_minute", "tokens_per_minute"):
        check_number(name, args[name])
    check_number("timeout", args["timeout"], optional=False)
    check_number("temperature", args["temperature"], minimum=0, inclusive=True, maximum=2)
    check_int("max_reasks", args["max_reasks"], minimum=0)
    check_int("max_output_tokens", args["max_output_tokens"], minimum=1)
    check_int("max_review_chars", args["max_review_chars"], minimum=1)
    check_optional("retry", args["retry"], RetryPolicy, "a RetryPolicy")
    check_optional("reply_policy", args["reply_policy"], ReplyPolicy, "a ReplyPolicy")
    check_optional("sampling", args["sampling"], Mapping, "a dict of request parameters")
    check_optional("redact", args["redact"], bool, "True or False")
    if not isinstance(args["restore_redactions"], bool):
        raise TypeError(f"restore_redactions must be True or False, not "
                        f"{_kind(args['restore_redactions'])}")
    check_optional("prompts_dir", args["prompts_dir"], str | os.PathLike,
                   "a path (str or pathlib.Path)")
    check_optional("cache", args["cache"], str | os.PathLike | ResponseCache,
                   "a path or a ResponseCache")
    check_categories("categories", args["categories"])
    check_headers("default_headers", args["default_headers"])


def check_task(product: Any, rating: Any, brand_voice: Any, categories: Any,
               contact: Any) -> None:
    """The per-call arguments of ``analyze``, ``sentiment``, ``complaints``, ``suggest_reply``."""
    for name, value in (("product", product), ("brand_voice", brand_voice),
                        ("contact", contact)):
        check_optional(name, value, str, "a str")
    check_number("rating", rating, minimum=-math.inf)
    check_categories("categories", categories)


def check_batch(reviews: Any, pack: Any, max_concurrency: Any, cancel: Any) -> None:
    """The arguments of ``analyze_many`` / ``iter_many`` that are not per review."""
    import threading

    check_reviews(reviews)
    check_int("pack", pack, minimum=1)
    check_int("max_concurrency", max_concurrency, minimum=1, optional=True)
    check_optional("cancel", cancel, threading.Event, "a threading.Event")


def check_number(name: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False,
                 maximum: float | None = None, optional: bool = True) -> None:
    """A real number (not a bool, not a string of digits) in range."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {_kind(value)} ({value!r})")
    low_ok = value >= minimum if inclusive else value > minimum
    if not math.isfinite(value) or not low_ok or (maximum is not None and value > maximum):
        bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
        top = f" and <= {maximum:g}" if maximum is not None else ""
        raise ConfigurationError(f"{name} must be {bound}{top}, got {value!r}")


def check_int(name: str, value: Any, *, minimum: int, optional: bool = False) -> None:
    """A whole number (not a bool, not a float) of at least ``minimum``."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {_kind(value)} ({value!r})")
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")


def check_categories(name: str, value: Any) -> None:
    """None, or a non-empty sequence of non-empty strings (not one string)."""
    if value is None:
        return
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | Iterable):
        raise TypeError(f"{name} must be a list of strings, not {_kind(value)}")
    items = list(value)
    bad = [x for x in items if not isinstance(x, str) or not x.strip()]
    if bad:
        raise TypeError(f"{name} must hold non-empty strings, not {bad[0]!r}")
    if not items:
        raise ConfigurationError(f"{name} must not be empty (None for the defaults)")


def check_headers(name: str, value: Any) -> None:
    """None, or a mapping of header names to string values that HTTP can carry."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict of header names to values, not {_kind(value)}")
    for key, val in value.items():
        if not isinstance(key, str) or not isinstance(val, str):
            raise TypeError(f"{name}: header names and values must be str, got "
                            f"{_kind(key)}: {_kind(val)}")
        problem = _header_problem(val)
        if problem is not None:
            raise ConfigurationError(f"{name}[{key!r}] cannot be sent as an HTTP header: "
                                     f"{problem}")


def _header_problem(value: str) -> str | None:
    for position, char in enumerate(value, start=1):
        if char in "\r\n":
            return f"it contains a line break (character {position})"
        if not char.isascii():
            return (f"it contains a non-ASCII character (character {position}, "
                    f"U+{ord(char):04X}), often a copy-paste artifact such as a "
                    "zero-width space or a curly quote")
        if (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F:
            return f"it contains a control character (character {position})"
    return None


def check_api_key(key: str, *, given: bool) -> None:
    """The key can be an HTTP header value; the message never shows it.

    ``given``: it came from ``api_key=`` (else from ``OPENAI_API_KEY``).
    """
    problem = _header_problem(key)
    if problem is not None:
        where = "api_key" if given else "the API key in OPENAI_API_KEY"
        raise ConfigurationError(f"{where} cannot be sent as an HTTP header: {problem}. "
                                 "Copy the key again from your provider's console")


def check_reviews(reviews: Any) -> None:
    """``analyze_many``'s input is an iterable of reviews, not one review or a table."""
    if isinstance(reviews, str | bytes):
        raise TypeError("reviews must be an iterable of reviews (str, ReviewRecord or "
                        "mapping), not one str: analyze_many(['good food']), or analyze(text)")
    if hasattr(reviews, "iterrows") and hasattr(reviews, "columns"):
        raise TypeError("reviews is a DataFrame (iterating it gives its column names): "
                        "use analyze_dataframe(df, text_column=...)")
    if isinstance(reviews, Mapping):
        raise TypeError("reviews is one mapping (iterating it gives its keys): wrap it in a "
                        "list, analyze_many([review])")
    if not isinstance(reviews, Iterable):
        raise TypeError(f"reviews must be an iterable of reviews, not {_kind(reviews)}")
