"""``--reasoning-effort``: passed to the analyzer, checked by argparse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wom_sdk.cli import main
from wom_sdk.testing import FakeLLM


def test_reasoning_effort_reaches_the_request(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("电池一天要充三次\n", encoding="utf-8")
    llm = FakeLLM()
    made: list[dict[str, Any]] = []

    def factory(**kw: Any) -> Any:
        made.append(kw)
        return llm.analyzer(**kw)

    status = main(["analyze", str(src), "-o", str(tmp_path / "out.jsonl"), "--model",
                   "gpt-6-luna", "--reasoning-effort", "low", "-q"], analyzer_factory=factory)
    assert status == 0
    assert made[0]["reasoning_effort"] == "low"
    body = llm.requests[0].body
    assert body["reasoning_effort"] == "low"
    assert body["max_completion_tokens"] == 1024 + 2048


def test_an_unknown_effort_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["analyze", "x.csv", "-o", str(tmp_path / "o.jsonl"), "--reasoning-effort", "huge"]
    assert main(argv) == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err
