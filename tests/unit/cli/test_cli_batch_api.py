"""``wom analyze --batch-api`` and ``wom batches``, in process, against the fake Batch API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.fake_batches import StepClock, analyzer, server
from wom_sdk.cli import main
from wom_sdk.io._readers import open_source
from wom_sdk.testing import set_testing
from wom_sdk.types import ReviewRecord

EXAMPLES = Path(__file__).parents[3] / "examples" / "reviews.csv"


def _records() -> list[ReviewRecord]:
    source = open_source(str(EXAMPLES))
    try:
        return list(source)
    finally:
        source.close()


IDS = sorted(r.id for r in _records())


@pytest.fixture(autouse=True)
def _no_waits() -> Iterator[None]:
    with set_testing(True):
        yield


def _analyze(srv: Any, out: Path, *extra: str) -> list[str]:
    return ["analyze", str(EXAMPLES), "-o", str(out), "--batch-api", "--base-url", srv.base_url,
            "--model", "gpt-4o-mini", "--api-key-env", "WOM_TEST_KEY", *extra]


def _lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOM_TEST_KEY", "k")


def test_analyze_with_the_batch_api_writes_every_id_once_at_the_batch_price(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, summary, prices = tmp_path / "out.jsonl", tmp_path / "s.json", tmp_path / "p.json"
    prices.write_text(json.dumps({"gpt-4o-mini": {"input": 1.0, "output": 2.0}}))
    with server(clock=StepClock(3)) as srv:
        status = main(_analyze(srv, out, "--summary-json", str(summary), "--prices",
                               str(prices), "--max-requests-per-file", "10"))
        assert len(srv.batches.batches) == 3
    err = capsys.readouterr().err
    assert status == 0, err
    records = _lines(out)
    assert sorted(r["id"] for r in records) == IDS
    assert all(r["insight"] for r in records)
    s = json.loads(summary.read_text())
    b = s["batch_api"]
    assert (b["status"], b["answers"], len(b["batch_ids"])) == ("completed", len(IDS) - 1, 3)
    online_in = s["prompt_tokens"] - b["prompt_tokens"]
    online_out = s["completion_tokens"] - b["completion_tokens"]
    expected = (online_in + 2 * online_out + 0.5 * (b["prompt_tokens"] + 2 * b[
        "completion_tokens"])) / 1e6
    assert s["estimated_cost_usd"] == pytest.approx(expected, rel=1e-4)
    assert "Batch API answers at 50% of it" in s["price_source"]
    # Progress, off a terminal: one line per change of the job's state.
    assert "batch job" in err
    assert "in_progress" in err
    assert "batch API: job" in err
    # The same command again: everything is in the output, nothing is sent.
    with server() as srv2:
        assert main(_analyze(srv2, out)) == 0
        assert not srv2.batches.batches
    assert len(_lines(out)) == len(IDS)


def test_wom_batches_shows_and_cancels_a_live_job(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    records = _records()
    with server(clock=StepClock(1)) as srv:
        # A job submitted by a run that then stopped (the state stays, the lock goes).
        job = analyzer(srv, structured_output="json_schema").submit_batch(records, output=out)
        job._close()
        key = ["--api-key-env", "WOM_TEST_KEY"]
        assert main(["batches", str(out), *key]) == 0
        shown = capsys.readouterr().out
        assert f"batch job {job.id} for {out}" in shown
        assert "validating" in shown or "in_progress" in shown
        assert main(["batches", str(out), "--cancel", *key]) == 0
        capsys.readouterr()
        assert main(["batches", str(out), "--json", *key]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["cancel_requested"] is True
        assert data["files"][0]["status"] in ("cancelling", "cancelled")
        # The same `wom analyze` collects what ran; the rest end as cancelled errors.
        assert main(_analyze(srv, out)) == 0
        assert len(srv.batches.batches) == 1
    lines = _lines(out)
    assert sorted(r["id"] for r in lines) == IDS
    errors = [r["error"] for r in lines if r["error"]]
    assert errors
    assert {e["kind"] for e in errors} == {"batch_api"}


def test_other_settings_cannot_take_over_a_live_job(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    with server() as srv:
        job = analyzer(srv, structured_output="json_schema").submit_batch(
            _records(), output=out)
        job._close()
        assert main(_analyze(srv, out, "--pack", "5")) == 1
    err = capsys.readouterr().err
    assert "still running with other settings (pack 1 there, 5 now)" in err
    assert "wom batches" in err
    assert "Traceback" not in err


def test_wom_batches_without_a_job_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batches", str(tmp_path / "none.jsonl")]) == 2
    assert "no Batch API job" in capsys.readouterr().err
