"""End-to-end fixtures: one real local model server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wom_sdk.local import LocalServer, is_available


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """The bundled model behind llama-cpp-python's server; skips without the ``local`` extra.

    Session-scoped because starting it (loading the model, one warm-up token)
    takes seconds, and every request after the first reuses the cached prompt
    prefix.
    """
    available, reason = is_available()
    if not available:
        pytest.skip(reason)
    with LocalServer() as server:
        yield server
