"""The public surface is deliberate, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import wom_sdk

EXPECTED = {
    "ReviewAnalyzer", "AsyncReviewAnalyzer", "ReviewInsight", "Sentiment", "Complaint", "Praise",
    "ReplySuggestion", "Usage", "DEFAULT_CATEGORIES", "RetryPolicy", "RateLimiter", "ReplyPolicy",
    "RedisRateLimiter",
    "ResponseCache", "SQLiteCache", "WomError", "ConfigurationError", "InvalidReviewError",
    "APIError", "APIConnectionError", "APITimeoutError", "APIStatusError", "AuthenticationError",
    "RateLimitError", "ServerError", "OutputError", "OutputValidationError",
    "TruncatedOutputError", "RefusalError", "ContentFilterError", "__version__",
}


def test_exported_names_are_exactly_the_intended_ones() -> None:
    assert set(wom_sdk.__all__) == EXPECTED
    for name in wom_sdk.__all__:
        assert hasattr(wom_sdk, name)


def test_errors_form_one_tree() -> None:
    for name in wom_sdk.__all__:
        obj = getattr(wom_sdk, name)
        if isinstance(obj, type) and name.endswith("Error"):
            assert issubclass(obj, wom_sdk.WomError), name
            assert obj.__module__ == "wom_sdk"
            assert obj.__doc__


def test_import_is_cheap_and_side_effect_free() -> None:
    code = ("import sys, wom_sdk; heavy = [m for m in ('openai', 'httpx2', 'jinja2', 'tenacity', "
            "'pandas', 'matplotlib', 'llama_cpp', 'redis') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""
