"""Batch API tests: polls and retries do not sleep; the fake's virtual clock moves instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wom_sdk.testing import set_testing


@pytest.fixture(autouse=True)
def _no_waits() -> Iterator[None]:
    """Polls and retries do not sleep; the fake's virtual clock moves instead."""
    with set_testing(True):
        yield
