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
    "InputError", "PricesError", "OutputFileError", "OutputBusyError", "LocalServerError",
    "LocalExtraMissingError",
    "BadRequestError", "UnsupportedFeatureError", "PermissionDeniedError", "NotFoundError",
    "UnprocessableEntityError", "IncompatibleEndpointError",
    "Need", "NEED_TAGS",
    "BatchJob", "AsyncBatchJob", "BatchAPIError",
}


def test_exported_names_are_exactly_the_intended_ones() -> None:
    assert set(wom_sdk.__all__) == EXPECTED
    for name in wom_sdk.__all__:
        assert hasattr(wom_sdk, name)


#: What ``on_event=`` receives (``wom_sdk.events``): one type per moment, and their base.
EVENTS = {
    "Event", "RequestSent", "RequestFinished", "RetryScheduled", "Throttled", "Paced",
    "Adapted", "Reasked", "CacheHit", "QuotesDropped", "ReviewFinished", "BudgetReached",
}


def test_event_types_are_exactly_the_intended_ones() -> None:
    import dataclasses

    from wom_sdk import events

    assert set(events.__all__) == EVENTS
    for name in EVENTS:
        cls = getattr(events, name)
        assert issubclass(cls, events.Event), name
        assert dataclasses.is_dataclass(cls), name
        assert cls.__dataclass_params__.frozen, name
        assert cls.__doc__, name
        assert cls.logger.startswith("wom_sdk"), name


def test_errors_form_one_tree() -> None:
    for name in wom_sdk.__all__:
        obj = getattr(wom_sdk, name)
        if isinstance(obj, type) and name.endswith("Error"):
            assert issubclass(obj, wom_sdk.WomError), name
            assert obj.__module__ == "wom_sdk"
            assert obj.__doc__


def test_import_is_cheap_and_side_effect_free() -> None:
    code = ("import sys, wom_sdk; heavy = [m for m in ('openai', 'httpx2', 'jinja2', 'tenacity', "
            "'pandas', 'matplotlib', 'llama_cpp', 'redis', 'wom_sdk.testing', 'opentelemetry', "
            "'genai_prices') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_version_has_one_home() -> None:
    # pyproject.toml reads the version from wom_sdk/__init__.py (hatch dynamic version):
    # the installed metadata and the module cannot disagree.
    import importlib.metadata
    import tomllib
    from pathlib import Path

    assert importlib.metadata.version("wom-sdk") == wom_sdk.__version__
    root = Path(__file__).parents[3]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert not (root / "src" / "wom_sdk" / "_version.py").exists()


#: The analyzers' public methods (and properties); the async twin has ``aiter_many``
#: and ``aclose`` where the sync one has ``iter_many`` and ``close``.
ANALYZER_METHODS = {
    "analyze", "sentiment", "complaints", "suggest_reply", "needs", "embed", "analyze_many",
    "analyze_dataframe", "model", "base_url", "limiter", "usage", "structured_output_modes",
}


def _public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def test_analyzer_methods_are_the_intended_ones_in_both_twins() -> None:
    import inspect

    sync, async_ = wom_sdk.ReviewAnalyzer, wom_sdk.AsyncReviewAnalyzer
    assert _public(sync) == ANALYZER_METHODS | {"iter_many", "close", "submit_batch"}
    assert _public(async_) == ANALYZER_METHODS | {"aiter_many", "aclose", "submit_batch"}
    for name in ANALYZER_METHODS:
        one, two = getattr(sync, name), getattr(async_, name)
        if callable(one):
            # Same parameters, defaults and annotations: one API, written twice.
            assert inspect.signature(one) == inspect.signature(two), name
            assert inspect.iscoroutinefunction(two), name
            assert one.__doc__, name
    embed = inspect.signature(sync.embed)
    assert list(embed.parameters) == ["self", "texts", "model", "dimensions"]
    assert embed.parameters["model"].default is None
    assert "Args:" in (sync.embed.__doc__ or "")


def test_submit_batch_and_the_job_are_twins() -> None:
    import inspect

    one = inspect.signature(wom_sdk.ReviewAnalyzer.submit_batch)
    two = inspect.signature(wom_sdk.AsyncReviewAnalyzer.submit_batch)
    # The same parameters; only the job they return differs (BatchJob / AsyncBatchJob).
    assert one.parameters == two.parameters
    assert inspect.iscoroutinefunction(wom_sdk.AsyncReviewAnalyzer.submit_batch)
    assert "Args:" in (wom_sdk.ReviewAnalyzer.submit_batch.__doc__ or "")
    job, ajob = wom_sdk.BatchJob, wom_sdk.AsyncBatchJob
    methods = {"wait", "results", "refresh", "cancel"}
    shown = {"id", "status", "done", "request_counts", "batch_ids", "state_file", "usage",
             "stats", "elapsed", "describe"}
    assert _public(job) == _public(ajob) == methods | shown
    for name in methods:
        assert inspect.iscoroutinefunction(getattr(ajob, name)), name
        assert not inspect.iscoroutinefunction(getattr(job, name)), name
        assert getattr(job, name).__doc__, name
