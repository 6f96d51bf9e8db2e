"""``wom analyze`` end to end, in process, against a mock endpoint (no network)."""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.answers import insight_json
from wom_sdk import RetryPolicy, ReviewAnalyzer
from wom_sdk.cli import main
from wom_sdk.cli._analyze import _resume_command
from wom_sdk.io._runner import STOP_AFTER
from wom_sdk.testing import FakeLLM, RecordedRequest, api_error, set_testing


class MockLLM:
    """Answers like a good model, except for reviews that ask for trouble.

    "FAIL-OUTPUT" in a review: the answer is not JSON (a per-review validation error).
    "FAIL-500" in a review, or ``down=True``: HTTP 500 (an endpoint failure).
    """

    def __init__(self) -> None:
        self.down = False
        self.fail_output = True
        self.reviews: list[str] = []
        self._lock = threading.Lock()
        self.fake = FakeLLM(then=self.answer)

    def answer(self, request: RecordedRequest) -> Any:
        texts = request.reviews
        with self._lock:
            self.reviews += texts
        if self.down or any("FAIL-500" in t for t in texts):
            return api_error(500, "server exploded", error_type="server_error")
        if self.fail_output and any("FAIL-OUTPUT" in t for t in texts):
            return "I cannot answer in JSON, sorry."
        if request.task == "analyze_pack":
            return {"results": [{"id": rid, **_answer(t)}
                                for rid, t in zip(request.review_ids, texts, strict=True)]}
        return _answer(texts[0])

    def factory(self) -> Callable[..., ReviewAnalyzer]:
        def make(**kw: Any) -> ReviewAnalyzer:
            kw["base_url"] = kw.get("base_url") or "http://mock.test/v1"
            return ReviewAnalyzer(**{"retry": RetryPolicy(attempts=2), **kw},
                                  http_client=self.fake.client())
        return make


def _answer(text: str) -> dict[str, Any]:
    zh = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    return insight_json(text, language="zh" if zh else "en")


@pytest.fixture
def llm() -> Iterator[MockLLM]:
    with set_testing(True):  # retries without waits
        yield MockLLM()


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["id,product,text"] + [f'{rid},P,"{text}"' for rid, text in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def out_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def run(llm: MockLLM, tmp_path: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    summary = tmp_path / "summary.json"
    status = main(["analyze", *argv, "--summary-json", str(summary), "--rpm", "100000"],
                  analyzer_factory=llm.factory())
    data: dict[str, Any] = (json.loads(summary.read_text(encoding="utf-8"))
                            if summary.exists() else {})
    summary.unlink(missing_ok=True)
    return status, data


ROWS = [(f"r{i}", f"第{i}条评论：电池一天要充三次" if i % 2 else f"Review {i}: screen is great")
        for i in range(1, 13)]


def test_analyze_writes_one_line_per_review_with_insight_or_error(
        llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [*ROWS, ("bad", "FAIL-OUTPUT please"), ("empty", "")])
    out = tmp_path / "out.jsonl"
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 0
    lines = out_lines(out)
    assert sorted(x["id"] for x in lines) == sorted([r for r, _ in ROWS] + ["bad", "empty"])
    by_id = {x["id"]: x for x in lines}
    assert by_id["r1"]["insight"]["sentiment"]["label"] == "negative"
    assert by_id["r1"]["product"] == "P"
    assert by_id["r1"]["error"] is None
    assert by_id["bad"]["insight"] is None
    assert by_id["bad"]["error"]["kind"] == "validation"
    assert by_id["empty"]["error"]["kind"] == "invalid_review"
    assert (s["total"], s["analyzed"], s["failed"]) == (14, 12, 2)
    assert s["failures_by_kind"] == {"validation": 1, "invalid_review": 1}
    assert s["prompt_tokens"] > 0
    assert s["requests"] >= 12
    # the default model, but at http://mock.test, not OpenAI: its price is unknown, never guessed.
    assert s["estimated_cost_usd"] is None
    assert s["exit_code"] == 0


def test_with_concurrency_one_the_output_keeps_input_order(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out.jsonl"
    assert run(llm, tmp_path, str(src), "-o", str(out), "--concurrency", "1")[0] == 0
    assert [x["id"] for x in out_lines(out)] == [r for r, _ in ROWS]


def test_rerun_continues_without_writing_any_id_twice(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out.jsonl"
    assert run(llm, tmp_path, str(src), "-o", str(out), "--limit", "5")[0] == 0
    assert len(out_lines(out)) == 5
    llm.reviews.clear()
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 0
    ids = [x["id"] for x in out_lines(out)]
    assert sorted(ids) == sorted(r for r, _ in ROWS)
    assert len(ids) == len(set(ids))
    assert (s["skipped_done"], s["analyzed"]) == (5, 7)
    assert len(llm.reviews) == 7  # the finished ones were not sent again
    # A third run has nothing left to do.
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert (status, s["skipped_done"], s["analyzed"], s["requests"]) == (0, 12, 0, 0)


def test_a_cut_last_line_from_a_killed_run_is_repaired(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out.jsonl"
    run(llm, tmp_path, str(src), "-o", str(out), "--limit", "4", "--concurrency", "1")
    data = out.read_bytes()
    out.write_bytes(data[: len(data) - 30])  # the 4th line is cut, as by a kill
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 0
    assert s["repaired_truncated_line"] is True
    assert s["skipped_done"] == 3
    assert s["analyzed"] == 9
    ids = [x["id"] for x in out_lines(out)]  # every line parses
    assert sorted(ids) == sorted(r for r, _ in ROWS)


def test_overwrite_starts_over(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS[:3])
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "old", "text": "x", "insight": null, "error": {"kind": "server"}}\n')
    status, s = run(llm, tmp_path, str(src), "-o", str(out), "--overwrite")
    assert status == 0
    assert s["analyzed"] == 3
    assert sorted(x["id"] for x in out_lines(out)) == ["r1", "r2", "r3"]


def test_retry_errors_reruns_only_the_failures(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [*ROWS[:4], ("bad", "FAIL-OUTPUT then fixed")])
    out = tmp_path / "out.jsonl"
    assert run(llm, tmp_path, str(src), "-o", str(out))[0] == 0
    assert {x["id"] for x in out_lines(out) if x["error"]} == {"bad"}
    llm.fail_output = False
    llm.reviews.clear()
    status, s = run(llm, tmp_path, str(src), "-o", str(out), "--retry-errors")
    assert status == 0
    assert s["retried_errors"] == 1
    assert s["analyzed"] == 1
    assert llm.reviews == ["FAIL-OUTPUT then fixed"]
    lines = out_lines(out)
    assert sorted(x["id"] for x in lines) == ["bad", "r1", "r2", "r3", "r4"]
    assert all(x["insight"] is not None for x in lines)


def test_duplicate_ids_are_analyzed_once_and_reported(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [("a", "first"), ("b", "second"), ("a", "again"),
                                          ("a", "and again")])
    out = tmp_path / "out.jsonl"
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 0
    assert sorted((x["id"], x["text"]) for x in out_lines(out)) == [("a", "first"),
                                                                    ("b", "second")]
    assert (s["total"], s["duplicates"], s["duplicate_ids"]) == (4, 2, ["a", "a"])


def test_pack_analyzes_every_review(llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS)
    out = tmp_path / "out.jsonl"
    status, s = run(llm, tmp_path, str(src), "-o", str(out), "--pack", "4")
    assert status == 0
    assert s["analyzed"] == 12
    assert s["requests"] < 12  # several reviews per request
    assert sorted(x["id"] for x in out_lines(out)) == sorted(r for r, _ in ROWS)


def test_txt_from_stdin_and_invalid_utf8_in_the_summary(
        llm: MockLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = "好评，电池很耐用，物流也很快\n\n".encode() + b"bad byte \xff here\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "out.jsonl"
    status, s = run(llm, tmp_path, "-", "-o", str(out))
    assert status == 0
    assert s["analyzed"] == 2
    assert s["replaced_characters"] == 1
    assert [x["id"] for x in sorted(out_lines(out), key=lambda x: x["id"])] == ["row-1", "row-3"]


def test_jsonl_input_with_chinese_field_names(llm: MockLLM, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"编号": f"x{i}", "评价": f"质量很好{i}", "评分": 5},
                                        ensure_ascii=False) for i in range(3)) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 0
    assert s["analyzed"] == 3
    assert {x["id"]: x["rating"] for x in out_lines(out)} == {"x0": 5.0, "x1": 5.0, "x2": 5.0}


# -- endpoint failures --------------------------------------------------------------------------
def test_an_endpoint_failure_among_successes_is_a_per_review_error(
        llm: MockLLM, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [("x", "FAIL-500 for this one"), *ROWS[:3]])
    out = tmp_path / "out.jsonl"
    status, s = run(llm, tmp_path, str(src), "-o", str(out), "--concurrency", "1")
    assert status == 0
    assert {x["id"]: (x["error"] or {}).get("kind") for x in out_lines(out)} == {
        "x": "server", "r1": None, "r2": None, "r3": None}
    assert s["failures_by_kind"] == {"server": 1}


def test_endpoint_down_writes_nothing_and_exits_1_then_rerun_works(
        llm: MockLLM, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS[:5])
    out = tmp_path / "out.jsonl"
    llm.down = True
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 1
    assert out.read_text() == ""  # nothing that a fixed rerun would have to skip
    assert s["stopped_reason"].startswith("nothing could be analyzed: server error")
    assert s["not_finished"] == 5
    assert "run the same command again" in capsys.readouterr().err
    llm.down = False
    status, s = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 0
    assert s["analyzed"] == 5
    assert len(out_lines(out)) == 5


def test_a_long_run_stops_when_the_endpoint_keeps_failing(llm: MockLLM, tmp_path: Path) -> None:
    rows = [(f"d{i}", f"review {i}") for i in range(60)]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.jsonl"
    llm.down = True
    status, s = run(llm, tmp_path, str(src), "-o", str(out), "--concurrency", "2")
    assert status == 1
    assert "in a row failed with server errors" in s["stopped_reason"]
    assert len(llm.reviews) < 2 * (STOP_AFTER + 4)  # stopped early: 2 attempts each
    assert out.read_text() == ""


# -- usage and configuration errors -------------------------------------------------------------
def test_missing_text_column_is_a_usage_error_listing_columns(
        llm: MockLLM, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("sku,stars,opinion\nA,5,great\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    status, _ = run(llm, tmp_path, str(src), "-o", str(out))
    assert status == 2
    err = capsys.readouterr().err
    assert "'sku', 'stars', 'opinion'" in err
    assert "--text-column" in err
    assert not out.exists()
    assert run(llm, tmp_path, str(src), "-o", str(out), "--text-column", "opinion")[0] == 0


def test_no_endpoint_configured_exits_1_with_the_message_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS[:1])
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_api_key_env_names_a_variable(llm: MockLLM, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS[:1])
    out = tmp_path / "out.jsonl"
    status, _ = run(llm, tmp_path, str(src), "-o", str(out), "--api-key-env", "MY_KEY")
    assert status == 1
    assert "MY_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("MY_KEY", "sk-from-env")
    assert run(llm, tmp_path, str(src), "-o", str(out), "--api-key-env", "MY_KEY")[0] == 0


# -- what is printed ----------------------------------------------------------------------------
def test_not_a_terminal_prints_only_the_summary(llm: MockLLM, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS)
    run(llm, tmp_path, str(src), "-o", str(tmp_path / "out.jsonl"))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "\r" not in captured.err  # no progress bar
    assert captured.err.startswith("wom analyze: ")
    assert "12 analyzed" in captured.err
    assert "estimated cost: unknown price for this model" in captured.err


def test_quiet_prints_nothing(llm: MockLLM, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS[:2])
    status, s = run(llm, tmp_path, str(src), "-o", str(tmp_path / "o.jsonl"), "--quiet")
    assert status == 0
    assert s["analyzed"] == 2
    assert capsys.readouterr() == ("", "")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar(llm: MockLLM, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    src = write_csv(tmp_path / "in.csv", ROWS)
    assert run(llm, tmp_path, str(src), "-o", str(tmp_path / "o.jsonl"))[0] == 0
    text = term.getvalue()
    assert "12/12" in text
    assert "\r" in text
    assert "ok=" in text or "review" in text


def test_resume_command_drops_what_would_start_over() -> None:
    assert _resume_command(["analyze", "in put.csv", "-o", "o.jsonl", "--overwrite"]) == (
        "wom analyze 'in put.csv' -o o.jsonl")
