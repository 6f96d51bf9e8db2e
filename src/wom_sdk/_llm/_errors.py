"""openai's and httpx2's transport errors, as ours (``_exceptions``): one class per status."""

from __future__ import annotations

from typing import Any

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    IncompatibleEndpointError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
    WomError,
)
from .._retry import retry_after
from ._rejections import error_fields

__all__ = ["map_openai_error"]

#: Statuses for which an HTML page means the URL is not an API at all (a 5xx page
#: from a proxy is a proxy's hiccup: retried like any 5xx).
_HTML_MEANS_WRONG_URL = frozenset({400, 404, 405, 415})


def _looks_like_html(response: Any, body: str | None) -> bool:
    content_type = str(response.headers.get("content-type", "")).lower()
    return "html" in content_type or (body or "").lstrip()[:1] == "<"


def map_openai_error(
    exc: BaseException, *, model: str | None = None, url: str | None = None
) -> WomError | None:
    """Our typed error for an openai/httpx2 transport error, or None if it is not one.

    ``model`` and ``url`` name what was asked of whom, for messages a user can act on.
    """
    import openai

    where = url or "the endpoint"
    if isinstance(exc, openai.APITimeoutError):
        return APITimeoutError(
            "the endpoint did not answer within the timeout; it may be overloaded "
            "(raise timeout= or lower the request rate)"
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return APIConnectionError(
            f"could not reach {where} ({type(cause).__name__}: {cause}); check "
            "base_url / OPENAI_BASE_URL and that the server is running"
        )
    if isinstance(exc, ValueError) and "JSON" in f"{type(exc)} {exc}":
        # A 200 whose body is not JSON at all (openai parses it after the status).
        return IncompatibleEndpointError(
            f"{where} answered with a body that is not JSON ({exc}): this does not look like "
            "an OpenAI-compatible endpoint; check base_url / OPENAI_BASE_URL",
            url=url,
        )
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    status = exc.status_code
    request_id = headers.get("x-request-id") or getattr(exc, "request_id", None)
    try:
        body: str | None = exc.response.text[:2000]
    except Exception:  # a streamed/closed body; the message still says enough
        body = None
    if status in _HTML_MEANS_WRONG_URL and _looks_like_html(exc.response, body):
        return IncompatibleEndpointError(
            f"{where} answered {status} with an HTML page: this does not look like an "
            "OpenAI-compatible endpoint. Check base_url / OPENAI_BASE_URL: it is usually "
            "the API root ending in /v1",
            url=url,
        )
    fields = error_fields(body)
    detail = (fields.message or exc.message)[:300]
    common: dict[str, Any] = {
        "status_code": status,
        "request_id": request_id,
        "body": body,
        "retry_after": retry_after(headers),
    }
    if status == 400:
        if fields.code == "content_filter":
            # Azure's filter refused the prompt: the review's content, not the request
            # (https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter).
            return ContentFilterError(
                f"the provider's content filter refused the review ({detail}); it may need "
                "manual handling",
                raw_output=body,
            )
        return BadRequestError(f"{where} refused the request (400): {detail}", **common)
    if status == 401:
        return AuthenticationError(
            f"{where} rejected the credentials (401): {detail}. Check OPENAI_API_KEY / "
            "api_key (AZURE_OPENAI_API_KEY for Azure)",
            **common,
        )
    if status == 403:
        return PermissionDeniedError(
            f"{where} refused access (403): {detail}. The key is valid but may not use "
            f"model {model!r} (or this resource, region or network)",
            **common,
        )
    if status == 404:
        return NotFoundError(
            f"model {model!r} not found at {where} (404: {detail}). Check the model name "
            "(WOM_MODEL / model=; for Azure, the deployment name) and that base_url is the "
            "API root ending in /v1",
            **common,
        )
    if status == 422:
        return UnprocessableEntityError(
            f"{where} could not process the request (422): {detail}", **common
        )
    if status == 429:
        return RateLimitError(
            f"rate limited (429) and retries did not help: {detail}. Lower "
            "requests_per_minute / tokens_per_minute, or check the account's quota",
            **common,
        )
    if status >= 500:
        return ServerError(f"{where} failed ({status}): {detail}", **common)
    return APIStatusError(f"{where} answered {status}: {detail}", **common)
