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

What each test got is written too, to ``cassettes/expected_outcomes.json``
(the ``outcomes`` fixture): while recording, any outcome the SDK guarantees is
accepted (a tiny model may well fail) and stored; a replay must then reproduce
it exactly (an insight or which error, the quotes kept, the quotes dropped with
their warnings, the requests and tokens counted). A replay sends the recorded
requests and gets the recorded answers, so a different outcome can only come
from a change in what the SDK does with them. When that change is intended,
store the new outcomes from the same cassettes and review the diff::

    WOM_UPDATE_OUTCOMES=1 .venv/bin/python -m pytest tests/recorded
    git diff tests/recorded/cassettes/expected_outcomes.json
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
#: Replays never send it anywhere; recordings use the real key from the environment.
FAKE_API_KEY = "fake-test-key-not-real"
RECORDED_WITH = HERE / "cassettes" / "recorded_with.json"
EXPECTED_OUTCOMES = HERE / "cassettes" / "expected_outcomes.json"


def _recording() -> bool:
    return os.environ.get("WOM_RECORD_MODE", "none") != "none"


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
    if _recording():
        return
    if "vcr" in request.fixturenames:
        cassette = request.getfixturevalue("vcr")
        if cassette is not None and len(cassette) and not cassette.all_played:
            pytest.fail(
                f"{len(cassette) - cassette.play_count} recorded request(s) were "
                "never sent; re-record (see tests/recorded/conftest.py)"
            )


@dataclass
class Outcomes:
    """What one test got: stored while recording, compared exactly in replay."""

    test: str
    #: store what is observed (recording, or WOM_UPDATE_OUTCOMES=1) instead of comparing
    recording: bool
    stored: dict[str, Any]
    seen: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, observed: dict[str, Any]) -> None:
        """Record ``observed`` as this test's outcome ``name``, or assert it is the recorded one."""
        assert name not in self.seen, f"outcome {name!r} checked twice"
        self.seen[name] = observed
        if self.recording:
            return
        if name not in self.stored:
            pytest.fail(f"no recorded outcome {name!r} for {self.test}; see WOM_UPDATE_OUTCOMES")
        assert observed == self.stored[name], (
            f"replaying {self.test} no longer gives the recorded outcome {name!r}: the SDK "
            "now handles the same answers differently (intended? see WOM_UPDATE_OUTCOMES)"
        )

    def save(self) -> None:
        everything = _load_outcomes()
        everything[self.test] = self.seen
        EXPECTED_OUTCOMES.write_text(
            json.dumps(everything, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )


def _load_outcomes() -> dict[str, Any]:
    if not EXPECTED_OUTCOMES.exists():
        return {}
    loaded: dict[str, Any] = json.loads(EXPECTED_OUTCOMES.read_text(encoding="utf-8"))
    return loaded


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Lets ``outcomes`` see whether the test itself failed (pytest's documented recipe).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def outcomes(request: pytest.FixtureRequest) -> Iterator[Outcomes]:
    test = request.node.name
    storing = _recording() or os.environ.get("WOM_UPDATE_OUTCOMES") == "1"
    got = Outcomes(test, storing, _load_outcomes().get(test, {}))
    yield got
    if got.recording:
        got.save()
        return
    call = getattr(request.node, "rep_call", None)
    unchecked = sorted(set(got.stored) - set(got.seen))
    # Like a cassette's unplayed requests: a passing test no longer checks them.
    if unchecked and call is not None and call.passed:
        pytest.fail(f"recorded outcomes {unchecked} of {test} were never checked")


@pytest.fixture(scope="session")
def endpoint() -> Iterator[Endpoint]:
    if not _recording():
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
