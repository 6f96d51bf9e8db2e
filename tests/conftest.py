"""Shared test setup: hermetic environment, fake key, cassettes that never touch the network."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))  # `helpers` importable from every test folder

from wom_sdk import RetryPolicy
from wom_sdk.testing import set_testing

#: What tests use when no real key is set; cassettes never contain a real one.
FAKE_API_KEY = "fake-test-key-not-real"

# Property tests: a quick run by default; CI (scripts/test.sh) selects "ci".
settings.register_profile(
    "dev",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile("ci", settings.get_profile("dev"), max_examples=2000)
settings.load_profile(os.environ.get("WOM_HYPOTHESIS_PROFILE", "dev"))

_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "WOM_MODEL", "WOM_EMBEDDING_MODEL", "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's exported key or endpoint must not leak into (or break) the tests."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fast_retry() -> Iterator[RetryPolicy]:
    """Four tries per request, and no waits: retries stay on (tests count them).

    ``wom_sdk.testing.set_testing`` is what users get for the same purpose; it also
    keeps the rate limiter from sleeping (a 429's cool-down is booked, not waited).
    """
    with set_testing(True):
        yield RetryPolicy(attempts=4)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """Cassettes: secrets stripped; replay only unless WOM_RECORD_MODE says otherwise."""
    return {
        "filter_headers": [
            ("authorization", "DUMMY"),
            ("api-key", "DUMMY"),
            ("x-api-key", "DUMMY"),
            ("openai-organization", None),
            ("openai-project", None),
            ("cookie", None),
            ("set-cookie", None),
        ],
        "record_mode": os.environ.get("WOM_RECORD_MODE", "none"),
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }
