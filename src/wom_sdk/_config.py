"""Settings: constructor arguments, else documented environment variables, else defaults."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from ._constants import DEFAULT_EMBEDDING_MODEL, DEFAULT_MODEL, LOCAL_PLACEHOLDER_KEY
from ._exceptions import ConfigurationError

__all__ = ["KeyProvider", "Settings", "azure_v1_base_url", "is_azure_host", "resolve_settings"]

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
