"""The errors wom-sdk raises. Every one is a ``WomError``::

    WomError
    ├── ConfigurationError          settings are missing or contradict each other
    │   └── PricesError             a price file cannot be read or has the wrong shape
    ├── InvalidReviewError          the review text cannot be analyzed (empty, ...)
    ├── InputError                  an input file cannot be read as asked (format, columns)
    ├── OutputFileError             the output file cannot be used (not ours, a folder, read-only)
    ├── OutputBusyError             another process is writing the same output file
    ├── LocalServerError            the bundled local server cannot start (wom_sdk.local)
    │   └── LocalExtraMissingError  the `local` extra is not installed
    ├── APIError                    the endpoint answered, or could not be reached
    │   ├── APIConnectionError      no answer: refused, reset, DNS
    │   │   └── APITimeoutError     no answer within the timeout
    │   ├── IncompatibleEndpointError   the URL answered, but not as an OpenAI-compatible API
    │   ├── APIStatusError          an HTTP error status (status_code, request_id)
    │   │   ├── BadRequestError     400: the endpoint refused the request as sent
    │   │   │   └── UnsupportedFeatureError  the provider cannot do what was asked
    │   │   ├── AuthenticationError 401: the key is missing or wrong
    │   │   ├── PermissionDeniedError   403: the key may not use this model or resource
    │   │   ├── NotFoundError       404: no such model at this base URL
    │   │   ├── UnprocessableEntityError    422: the endpoint could not process the request
    │   │   ├── RateLimitError      429 after every retry (retry_after)
    │   │   └── ServerError         5xx after every retry
    │   └── BatchAPIError           the provider's Batch API failed a job or a request (code)
    └── OutputError                 the model answered, but not with a usable result
        ├── OutputValidationError   JSON missing or invalid after every re-ask
        ├── TruncatedOutputError    finish_reason == "length"
        ├── RefusalError            the model refused
        └── ContentFilterError      the provider's content filter stopped the answer

Retries happen inside; what reaches the caller is the last failure, typed, with
a message saying what happened and what to do. ``OutputError`` subclasses carry
the raw model output, the number of attempts and the tokens spent.

Where a caller may already catch a builtin, the error is also that builtin:
``InvalidReviewError``, ``InputError`` and ``PricesError`` subclass ``ValueError``,
``OutputFileError`` and ``OutputBusyError`` subclass ``OSError`` and
``LocalExtraMissingError`` ``ImportError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .types import Usage

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchAPIError",
    "ConfigurationError",
    "ContentFilterError",
    "IncompatibleEndpointError",
    "InputError",
    "InvalidReviewError",
    "LocalExtraMissingError",
    "LocalServerError",
    "NotFoundError",
    "OutputBusyError",
    "OutputError",
    "OutputFileError",
    "OutputValidationError",
    "PermissionDeniedError",
    "PricesError",
    "RateLimitError",
    "RefusalError",
    "ServerError",
    "TruncatedOutputError",
    "UnprocessableEntityError",
    "UnsupportedFeatureError",
    "WomError",
]


class WomError(Exception):
    """Base class of every error wom-sdk raises."""

    #: short machine-readable name, used in batch output (``{"error": {"kind": ...}}``)
    kind: str = "error"
    #: the tokens and requests spent before the failure (answers that did not
    #: validate, a re-ask cut by a server error); None when nothing was paid
    usage: Usage | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable description (batch output, logs)."""
        d: dict[str, Any] = {"kind": self.kind, "type": type(self).__name__,
                             "message": self.message}
        if self.usage is not None:
            d["usage"] = self.usage.model_dump()
        return d


class ConfigurationError(WomError):
    """Raised when settings are missing or inconsistent, before any request."""

    kind = "configuration"


class PricesError(ConfigurationError, ValueError):
    """Raised when a price file cannot be read or does not have the documented shape."""

    kind = "prices"


class InvalidReviewError(WomError, ValueError):
    """Raised when a review cannot be analyzed at all (e.g. empty text)."""

    kind = "invalid_review"


class InputError(WomError, ValueError):
    """Raised when an input file cannot be read as asked: missing, wrong format, no such column."""

    kind = "input"


class OutputFileError(WomError, OSError):
    """Raised before any request when the output is not our results file, a folder, or read-only."""

    kind = "output_file"


class OutputBusyError(WomError, OSError):
    """Raised when another process is writing the same output file."""

    kind = "output_busy"


class LocalServerError(WomError):
    """Raised when the bundled local model server cannot be started or has died."""

    kind = "local_server"

    def __init__(self, message: str, *, log_path: Path | None = None) -> None:
        super().__init__(message)
        #: the server's log when it failed to start, kept for a look (its tail
        #: is in the message); the caller may delete it
        self.log_path = log_path


class LocalExtraMissingError(LocalServerError, ImportError):
    """Raised when the ``local`` extra (llama-cpp-python server, the model) is not installed."""

    kind = "local_extra_missing"


class APIError(WomError):
    """The endpoint could not give an answer."""

    kind = "api"


class APIConnectionError(APIError):
    """Raised when the endpoint cannot be reached (after every retry)."""

    kind = "connection"


class APITimeoutError(APIConnectionError):
    """Raised when the endpoint does not answer within the timeout (after every retry)."""

    kind = "timeout"


class APIStatusError(APIError):
    """Raised for an HTTP error status that retries could not cure."""

    kind = "http_status"

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(status_code=self.status_code, request_id=self.request_id)
        return d


class IncompatibleEndpointError(APIError):
    """Raised at once when the base URL answers HTML or JSON that is not an OpenAI API's."""

    kind = "incompatible_endpoint"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        #: the endpoint that answered
        self.url = url


class BadRequestError(APIStatusError):
    """Raised on 400: the endpoint refused the request as it was sent."""

    kind = "bad_request"


class UnsupportedFeatureError(BadRequestError):
    """Raised when the provider cannot do what the analyzer was told to use (parameter, mode)."""

    kind = "unsupported_feature"

    def __init__(self, message: str, *, feature: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        #: what the endpoint refused: a request parameter ("temperature") or an output mode
        self.feature = feature


class AuthenticationError(APIStatusError):
    """Raised on 401: the API key is missing or wrong."""

    kind = "authentication"


class PermissionDeniedError(APIStatusError):
    """Raised on 403: the key is valid but may not use this model, resource or region."""

    kind = "permission_denied"


class NotFoundError(APIStatusError):
    """Raised on 404: the model (or the path) does not exist at this base URL."""

    kind = "not_found"


class UnprocessableEntityError(APIStatusError):
    """Raised on 422: the endpoint understood the request but could not process it."""

    kind = "unprocessable"


class RateLimitError(APIStatusError):
    """Raised on 429 once every retry has been spent (or quota is exhausted)."""

    kind = "rate_limit"


class ServerError(APIStatusError):
    """Raised on a 5xx status once every retry has been spent."""

    kind = "server"


class BatchAPIError(APIError):
    """Raised when the provider's Batch API refused a job or did not run a request (``code``)."""

    kind = "batch_api"

    def __init__(self, message: str, *, code: str | None = None,
                 batch_id: str | None = None) -> None:
        super().__init__(message)
        #: the provider's error code: token_limit_exceeded, batch_expired, batch_cancelled...
        self.code = code
        #: the batch it happened in, when there is one
        self.batch_id = batch_id

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(code=self.code, batch_id=self.batch_id)
        return d


class OutputError(WomError):
    """The model answered, but the answer is not a usable result."""

    kind = "output"

    def __init__(
        self,
        message: str,
        *,
        raw_output: str | None = None,
        attempts: int = 1,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.raw_output = raw_output
        self.attempts = attempts
        self.usage: Usage = usage if usage is not None else Usage()

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(attempts=self.attempts, raw_output=(self.raw_output or "")[:2000])
        return d


class OutputValidationError(OutputError):
    """Raised when the output is not valid JSON for the schema after every re-ask."""

    kind = "validation"

    def __init__(
        self,
        message: str,
        *,
        errors: list[str] | None = None,
        raw_output: str | None = None,
        attempts: int = 1,
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message, raw_output=raw_output, attempts=attempts, usage=usage)
        self.errors = errors or []


class TruncatedOutputError(OutputError):
    """Raised when the answer stopped at ``max_tokens`` (finish_reason "length")."""

    kind = "truncated"


class RefusalError(OutputError):
    """Raised when the model refuses to answer."""

    kind = "refusal"


class ContentFilterError(OutputError):
    """Raised when the provider's content filter cut the answer."""

    kind = "content_filter"
