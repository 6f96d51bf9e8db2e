"""Shared test setup: hermetic environment, fake key, cassettes that never touch the network."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `helpers` importable from every test folder

from wom_sdk import RetryPolicy

#: What tests use when no real key is set; cassettes never contain a real one.
FAKE_API_KEY = "fake-test-key-not-real"
#: Retries stay on (tests assert them) but without waiting.
FAST_RETRY = RetryPolicy(attempts=4, timeout=30, wait_initial=0, wait_max=0, wait_jitter=0)

_ENV = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "WOM_MODEL", "WOM_EMBEDDING_MODEL", "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's exported key or endpoint must not leak into (or break) the tests."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return FAST_RETRY


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
