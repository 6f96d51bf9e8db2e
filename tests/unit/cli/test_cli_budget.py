"""``wom analyze --budget USD``: stop before passing it, say so, continue on the next run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wom_sdk import events as ev
from wom_sdk._constants import EXIT_BUDGET
from wom_sdk._pricing import Price, load_prices
from wom_sdk.cli import main
from wom_sdk.io._progress import RunSummary
from wom_sdk.testing import FakeLLM, set_testing
from wom_sdk.types import Usage

PRICE = Price(input=10.0, output=20.0)
ANSWER_COST = PRICE.cost(Usage(prompt_tokens=100, completion_tokens=50))  # the fake's answers


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    with set_testing(True):
        yield


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n" + "".join(f"r{i:02d},review number {i:02d}: fine\n"
                                         for i in range(12)), encoding="utf-8")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"fake-model": [PRICE.input, PRICE.output]}))
    return {"src": src, "prices": prices, "out": tmp_path / "out.jsonl",
            "summary": tmp_path / "summary.json"}


def factory(llm: FakeLLM) -> Any:
    return lambda **kw: llm.analyzer(**kw)


def worst_case(llm: FakeLLM, prices: Path) -> float:
    sent: list[ev.RequestSent] = []
    a = llm.analyzer(prices=prices, on_event=lambda e: sent.extend(
        [e] if isinstance(e, ev.RequestSent) else []))
    a.analyze("review number 00: fine")
    cap = a.max_output_tokens
    return PRICE.cost(Usage(prompt_tokens=sent[0].estimated_tokens - cap, completion_tokens=cap))


def analyze(llm: FakeLLM, f: dict[str, Path], *extra: str) -> int:
    return main(["analyze", str(f["src"]), "-o", str(f["out"]), "--concurrency", "1",
                 "--prices", str(f["prices"]), "--summary-json", str(f["summary"]), *extra],
                analyzer_factory=factory(llm))


def ids(path: Path) -> list[str]:
    return [json.loads(x)["id"] for x in path.read_text(encoding="utf-8").splitlines()]


def test_a_run_stops_at_its_budget_and_the_next_one_continues(
        files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    llm = FakeLLM()
    budget = f"{worst_case(FakeLLM(), files['prices']) + 3.5 * ANSWER_COST:.6f}"
    assert analyze(llm, files, "--budget", budget) == EXIT_BUDGET == 4
    assert ids(files["out"]) == ["r00", "r01", "r02", "r03"]
    summary = json.loads(files["summary"].read_text(encoding="utf-8"))
    assert summary["exit_code"] == EXIT_BUDGET
    assert summary["budget_usd"] == float(budget)
    assert summary["estimated_cost_usd"] <= float(budget)
    assert summary["analyzed"] == 4
    assert "budget" in summary["stopped_reason"]
    err = capsys.readouterr().err
    assert f"stopped: the budget of ${float(budget):g} was reached" in err
    assert "Stopped at the budget" in err
    assert "run the same command again" in err

    assert analyze(llm, files, "--budget", budget) == EXIT_BUDGET
    assert ids(files["out"]) == [f"r{i:02d}" for i in range(8)]  # continued, nothing twice
    assert analyze(llm, files, "--budget", "10") == 0
    assert ids(files["out"]) == [f"r{i:02d}" for i in range(12)]
    summary = json.loads(files["summary"].read_text(encoding="utf-8"))
    assert (summary["exit_code"], summary["stopped_reason"]) == (0, None)


def test_a_budget_without_a_known_price_fails_before_anything_is_sent_or_written(
        files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    llm = FakeLLM()
    status = main(["analyze", str(files["src"]), "-o", str(files["out"]), "--budget", "5"],
                  analyzer_factory=factory(llm))
    assert status == 1
    assert "no price is known for model 'fake-model'" in capsys.readouterr().err
    assert llm.requests == []
    assert not files["out"].exists()


def test_the_summary_shows_cached_and_reasoning_tokens(files: dict[str, Path]) -> None:
    s = RunSummary(input="in.csv", output="out.jsonl", model="gpt-4o-mini", budget_usd=2.0)
    s.set_usage(Usage(requests=3, prompt_tokens=3000, completion_tokens=900,
                      cached_tokens=2048, reasoning_tokens=512), load_prices(environ={}))
    text = s.render()
    assert "3,000 in (2,048 cached), 900 out (512 reasoning), 3 requests" in text
    assert "of the --budget $2" in text
    assert s.estimated_cost_usd == pytest.approx(
        (952 * 0.15 + 2048 * 0.075 + 900 * 0.60) / 1_000_000, abs=1e-6)


def test_help_lists_the_budget_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "4 stopped at the --budget" in out
    assert "--budget USD" in out
