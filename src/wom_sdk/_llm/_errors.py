"""openai's and httpx2's transport errors, as ours (``_exceptions``)."""

from __future__ import annotations

from typing import Any

from .._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    RateLimitError,
    ServerError,
    WomError,
)
from .._retry import retry_after

__all__ = ["map_openai_error"]


def map_openai_error(exc: BaseException) -> WomError | None:
    """Our typed error for an openai/httpx2 transport error, or None if it is not one."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return APITimeoutError(
            "the endpoint did not answer within the timeout; it may be overloaded "
            "(raise timeout= or lower the request rate)"
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return APIConnectionError(
            f"could not reach the endpoint ({type(cause).__name__}: {cause}); check "
            "base_url / OPENAI_BASE_URL and that the server is running"
        )
    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers
        status = exc.status_code
        request_id = headers.get("x-request-id") or getattr(exc, "request_id", None)
        try:
            body = exc.response.text[:2000]
        except Exception:  # a streamed/closed body; the message still says enough
            body = None
        detail = exc.message[:300]
        common: dict[str, Any] = {
            "status_code": status,
            "request_id": request_id,
            "body": body,
            "retry_after": retry_after(headers),
        }
        if status in (401, 403):
            return AuthenticationError(
                f"the endpoint rejected the credentials ({status}): {detail}. Check "
                "OPENAI_API_KEY / api_key, and that the key may use this model",
                **common,
            )
        if status == 429:
            return RateLimitError(
                f"rate limited (429) and retries did not help: {detail}. Lower "
                "requests_per_minute / tokens_per_minute, or check the account's quota",
                **common,
            )
        if status >= 500:
            return ServerError(f"the endpoint failed ({status}): {detail}", **common)
        if status == 404:
            return APIStatusError(
                f"not found (404): {detail}. Check the model name (WOM_MODEL / model=) "
                "and that base_url ends with /v1",
                **common,
            )
        return APIStatusError(f"the endpoint answered {status}: {detail}", **common)
    return None
