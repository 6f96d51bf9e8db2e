"""Cassette tests: real traffic of a real OpenAI-compatible server, replayed offline.

Replay (the default, and always in CI): ``record_mode`` is "none", so a request
that is not in the cassette fails the test instead of touching the network.

Re-record against the bundled local server (started for you)::

    WOM_RECORD_MODE=rewrite .venv/bin/python -m pytest tests/recorded

or against any endpoint (OpenAI, DeepSeek, Qwen, vLLM...)::

    WOM_RECORD_MODE=rewrite WOM_RECORD_BASE_URL=https://api.openai.com/v1 \\
    WOM_RECORD_MODEL=gpt-4o-mini OPENAI_API_KEY=sk-... .venv/bin/python -m pytest tests/recorded

The endpoint and model used are written to ``cassettes/recorded_with.json`` so
that replays send the same request bodies. Authorization headers are replaced
by ``DUMMY`` before anything is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
#: Replays never send it anywhere; recordings use the real key from the environment.
FAKE_API_KEY = "fake-test-key-not-real"
RECORDED_WITH = HERE / "cassettes" / "recorded_with.json"


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    model: str
    api_key: str


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(HERE / "cassettes")


@pytest.fixture(autouse=True)
def _every_interaction_played(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a replay that left recorded requests unsent: the SDK's requests changed."""
    yield
    if os.environ.get("WOM_RECORD_MODE", "none") != "none":
        return
    if "vcr" in request.fixturenames:
        cassette = request.getfixturevalue("vcr")
        if cassette is not None and len(cassette) and not cassette.all_played:
            pytest.fail(
                f"{len(cassette) - cassette.play_count} recorded request(s) were "
                "never sent; re-record (see tests/recorded/conftest.py)"
            )


@pytest.fixture(scope="session")
def endpoint() -> Iterator[Endpoint]:
    mode = os.environ.get("WOM_RECORD_MODE", "none")
    if mode == "none":
        if not RECORDED_WITH.exists():
            pytest.skip("no cassettes recorded yet (see tests/recorded/conftest.py)")
        info = json.loads(RECORDED_WITH.read_text())
        # The host is never contacted in replay; only the path and body are matched.
        yield Endpoint("http://recorded.invalid" + info["path"], info["model"], FAKE_API_KEY)
        return
    base = os.environ.get("WOM_RECORD_BASE_URL")
    if base:
        model = os.environ.get("WOM_RECORD_MODEL", "gpt-4o-mini")
        _save(base, model)
        yield Endpoint(base, model, os.environ.get("OPENAI_API_KEY", "not-needed"))
        return
    from wom_sdk.local import LocalServer, is_available

    ok, why = is_available()
    if not ok:
        pytest.skip(f"recording needs the local server: {why}")
    with LocalServer() as srv:
        _save(srv.base_url, srv.model)
        yield Endpoint(srv.base_url, srv.model, srv.api_key)


def _save(base_url: str, model: str) -> None:
    from urllib.parse import urlsplit

    RECORDED_WITH.parent.mkdir(parents=True, exist_ok=True)
    RECORDED_WITH.write_text(
        json.dumps({"path": urlsplit(base_url).path, "model": model}, indent=2) + "\n"
    )
