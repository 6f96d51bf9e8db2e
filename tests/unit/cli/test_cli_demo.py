"""``wom demo``: the offline demonstration (the local server replaced by a mock here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli import MockLLM

import wom_sdk.local
from wom_sdk.cli import main

_REAL_OPTIONS = wom_sdk.local.LocalServer.analyzer_options


class _FakeLocalServer:
    base_url = "http://mock.test/v1"
    model = "qwen2.5-coder-1.5b-instruct"
    api_key = "not-needed"

    def __enter__(self) -> _FakeLocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def analyzer_options(self) -> dict[str, Any]:
        # the real LocalServer's options, but pointing at the mock
        return {**_REAL_OPTIONS(self), "base_url": self.base_url}  # type: ignore[arg-type]


@pytest.fixture
def fake_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wom_sdk.local, "is_available", lambda: (True, ""))
    monkeypatch.setattr(wom_sdk.local, "LocalServer", _FakeLocalServer)


@pytest.mark.usefixtures("fake_local")
def test_demo_prints_results_and_says_it_is_a_small_local_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    llm = MockLLM()
    out = tmp_path / "demo.jsonl"
    made: list[dict[str, Any]] = []

    def factory(**kw: Any) -> Any:
        made.append(kw)
        return llm.factory()(**kw)

    assert main(["demo", "--limit", "2", "-o", str(out)], analyzer_factory=factory) == 0
    printed = capsys.readouterr().out
    assert "Qwen2.5-Coder 1.5B" in printed
    assert "small model" in printed
    assert "hosted models are more accurate" in printed
    assert "OPENAI_API_KEY" in printed
    assert "OPENAI_BASE_URL" in printed
    assert printed.count("sentiment: negative") == 2  # the mock calls everything negative
    assert "complaint: battery" in printed
    assert "suggested reply:" in printed
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["r01", "r02"]
    assert made[0]["base_url"] == _FakeLocalServer.base_url
    assert made[0]["timeout"] > 60  # a CPU model is slow
    # Run again: the demo starts over rather than finding everything done.
    assert main(["demo", "--limit", "1", "-o", str(out)], analyzer_factory=factory) == 0
    assert len(out.read_text().splitlines()) == 1


@pytest.mark.usefixtures("fake_local")
def test_demo_reads_your_own_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "mine.txt"
    src.write_text("物流太慢了，等了一周\n", encoding="utf-8")
    status = main(["demo", "--input", str(src), "-o", str(tmp_path / "o.jsonl")],
                  analyzer_factory=MockLLM().factory())
    assert status == 0
    assert "物流太慢了" in capsys.readouterr().out


def test_example_reviews_file_has_the_documented_shape() -> None:
    import csv

    path = Path(__file__).parents[3] / "examples" / "reviews.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "product", "rating", "date", "text"]
    assert 25 <= len(rows) <= 40
    assert len({r["id"] for r in rows}) == len(rows)
    zh = sum(any("\u4e00" <= ch <= "\u9fff" for ch in r["text"]) for r in rows)
    assert 0 < zh < len(rows)  # Chinese and English
    assert any("@" in r["text"] or "138" in r["text"] for r in rows)  # redaction example
    assert any("ignore all previous instructions" in r["text"].lower() for r in rows)


@pytest.mark.slow
@pytest.mark.local
def test_real_demo_with_the_bundled_model(tmp_path: Path) -> None:
    available, why = wom_sdk.local.is_available()
    if not available:
        pytest.skip(why)
    done = subprocess.run([sys.executable, "-m", "wom_sdk", "demo", "--limit", "1",
                           "-o", str(tmp_path / "d.jsonl")],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "small model" in done.stdout
    [line] = (tmp_path / "d.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["id"] == "r01"
