"""Settings: constructor arguments, else documented environment variables, else defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from ._constants import DEFAULT_EMBEDDING_MODEL, DEFAULT_MODEL, LOCAL_PLACEHOLDER_KEY
from ._exceptions import ConfigurationError

__all__ = ["Settings", "resolve_settings"]

_MISSING_ENDPOINT = (
    "No API key and no endpoint configured. Either set OPENAI_API_KEY (for OpenAI) or "
    "OPENAI_BASE_URL (for any OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; "
    "`python -m wom_sdk.local` starts a bundled one), or pass "
    "ReviewAnalyzer(api_key=..., base_url=...) (`wom`: --base-url / --api-key-env)."
)


@dataclass(frozen=True)
class Settings:
    """Resolved connection settings. The key is a ``SecretStr``: it never prints."""

    model: str
    api_key: SecretStr
    base_url: str | None
    #: what ``embed`` asks for when not told (the chat model cannot embed)
    embedding_model: str = DEFAULT_EMBEDDING_MODEL

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


def resolve_settings(
    *,
    model: str | None,
    api_key: str | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Arguments win over WOM_MODEL / OPENAI_API_KEY / OPENAI_BASE_URL, which win over defaults.

    The embedding model has no constructor argument (``embed(model=...)`` is
    one): WOM_EMBEDDING_MODEL, else ``DEFAULT_EMBEDDING_MODEL``.
    """
    env = os.environ if environ is None else environ
    model = _clean(model) or _clean(env.get("WOM_MODEL")) or DEFAULT_MODEL
    embedding_model = _clean(env.get("WOM_EMBEDDING_MODEL")) or DEFAULT_EMBEDDING_MODEL
    key = _clean(api_key) or _clean(env.get("OPENAI_API_KEY"))
    url = _clean(base_url) or _clean(env.get("OPENAI_BASE_URL"))
    if key is None and url is None:
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
    )
