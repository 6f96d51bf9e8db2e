"""wom-sdk: customer reviews (word of mouth, 口碑) into validated, grounded insight.

    >>> from wom_sdk import ReviewAnalyzer
    >>> insight = ReviewAnalyzer().analyze("电池一天要充三次，客服也不回消息")
    >>> insight.sentiment.label, [c.quote for c in insight.complaints]

Importing the package is cheap: openai, jinja2, tenacity and httpx2 are loaded
when the first analyzer needs them (redis when a Redis limiter is made).

What an analyzer does is told through the ``wom_sdk`` loggers, ``on_event=``
(``wom_sdk.events``) and OpenTelemetry spans (the ``otel`` extra).
"""

from __future__ import annotations

import logging as _logging

from ._batchapi import AsyncBatchJob, BatchJob
from ._cache import ResponseCache, SQLiteCache
from ._client import AsyncReviewAnalyzer, ReviewAnalyzer
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BatchAPIError,
    ConfigurationError,
    ContentFilterError,
    IncompatibleEndpointError,
    InputError,
    InvalidReviewError,
    LocalExtraMissingError,
    LocalServerError,
    NotFoundError,
    OutputBusyError,
    OutputError,
    OutputFileError,
    OutputValidationError,
    PermissionDeniedError,
    PricesError,
    RateLimitError,
    RefusalError,
    ServerError,
    TruncatedOutputError,
    UnprocessableEntityError,
    UnsupportedFeatureError,
    WomError,
)
from ._ratelimit import RateLimiter, RedisRateLimiter
from ._retry import RetryPolicy
from ._tasks import NEED_TAGS
from .text._guard import ReplyPolicy
from .types import (
    DEFAULT_CATEGORIES,
    Complaint,
    Need,
    Praise,
    ReplySuggestion,
    ReviewInsight,
    Sentiment,
    Usage,
)

# A library's loggers stay quiet until the application configures logging
# (https://docs.python.org/3/howto/logging.html#configuring-logging-for-a-library).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

#: The one home of the version: pyproject.toml reads it from here (hatch dynamic version).
__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CATEGORIES",
    "NEED_TAGS",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncBatchJob",
    "AsyncReviewAnalyzer",
    "AuthenticationError",
    "BadRequestError",
    "BatchAPIError",
    "BatchJob",
    "Complaint",
    "ConfigurationError",
    "ContentFilterError",
    "IncompatibleEndpointError",
    "InputError",
    "InvalidReviewError",
    "LocalExtraMissingError",
    "LocalServerError",
    "Need",
    "NotFoundError",
    "OutputBusyError",
    "OutputError",
    "OutputFileError",
    "OutputValidationError",
    "PermissionDeniedError",
    "Praise",
    "PricesError",
    "RateLimitError",
    "RateLimiter",
    "RedisRateLimiter",
    "RefusalError",
    "ReplyPolicy",
    "ReplySuggestion",
    "ResponseCache",
    "RetryPolicy",
    "ReviewAnalyzer",
    "ReviewInsight",
    "SQLiteCache",
    "Sentiment",
    "ServerError",
    "TruncatedOutputError",
    "UnprocessableEntityError",
    "UnsupportedFeatureError",
    "Usage",
    "WomError",
    "__version__",
]

# Tracebacks and reprs show `wom_sdk.RateLimitError`, not `wom_sdk._exceptions.RateLimitError`.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("wom_sdk._"):
        _obj.__module__ = "wom_sdk"
del _name, _obj
