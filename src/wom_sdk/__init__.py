"""wom-sdk: customer reviews (word of mouth, 口碑) into validated, grounded insight.

    >>> from wom_sdk import ReviewAnalyzer
    >>> insight = ReviewAnalyzer().analyze("电池一天要充三次，客服也不回消息")
    >>> insight.sentiment.label, [c.quote for c in insight.complaints]

Importing the package is cheap: openai, jinja2, tenacity and httpx2 are loaded
when the first analyzer needs them.
"""

from __future__ import annotations

from ._cache import ResponseCache, SQLiteCache
from ._client import AsyncReviewAnalyzer, ReviewAnalyzer
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ContentFilterError,
    InputError,
    InvalidReviewError,
    LocalExtraMissingError,
    LocalServerError,
    OutputBusyError,
    OutputError,
    OutputFileError,
    OutputValidationError,
    PricesError,
    RateLimitError,
    RefusalError,
    ServerError,
    TruncatedOutputError,
    WomError,
)
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from .text._guard import ReplyPolicy
from .types import (
    DEFAULT_CATEGORIES,
    Complaint,
    Praise,
    ReplySuggestion,
    ReviewInsight,
    Sentiment,
    Usage,
)

#: The one home of the version: pyproject.toml reads it from here (hatch dynamic version).
__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CATEGORIES",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncReviewAnalyzer",
    "AuthenticationError",
    "Complaint",
    "ConfigurationError",
    "ContentFilterError",
    "InputError",
    "InvalidReviewError",
    "LocalExtraMissingError",
    "LocalServerError",
    "OutputBusyError",
    "OutputError",
    "OutputFileError",
    "OutputValidationError",
    "Praise",
    "PricesError",
    "RateLimitError",
    "RateLimiter",
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
