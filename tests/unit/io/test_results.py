"""The JSONL result line: one schema for the writer, the resume, the report and eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

import wom_sdk.report
from wom_sdk import InputError
from wom_sdk.io._results import (
    RESULTS_SCHEMA,
    RecordError,
    ResultRecord,
    check_results_file,
    dump_line,
    parse_line,
    read_results,
)
from wom_sdk.types import (
    BatchResult,
    ErrorInfo,
    ReplySuggestion,
    ReviewInsight,
    ReviewRecord,
    Sentiment,
)

_INSIGHT = ReviewInsight(language="zh", sentiment=Sentiment(label="positive", score=0.5),
                         reply=ReplySuggestion(text="谢谢"))


def ok(rid: str, **record: object) -> BatchResult:
    rec = ReviewRecord(id=rid, text=f"好评 {rid}", **record)  # type: ignore[arg-type]
    return BatchResult(id=rid, record=rec, insight=_INSIGHT)


def failed(rid: str) -> BatchResult:
    return BatchResult(id=rid, record=ReviewRecord(id=rid, text=rid),
                       error=ErrorInfo(kind="rate_limit", type="RateLimitError", message="429",
                                       status_code=429, request_id="req-1", attempts=3))


def test_the_line_is_exactly_the_documented_one() -> None:
    # Pins the schema: a change here is a change of every results file.
    raw = dump_line(ok("7", product="杯", rating=4.0, date="2024-05-01", extra={"渠道": "天猫"}))
    assert raw.decode() == (
        '{"wom":1,"id":"7","text":"好评 7","product":"杯","rating":4.0,"date":"2024-05-01",'
        '"extra":{"渠道":"天猫"},"insight":' + _INSIGHT.model_dump_json() + ',"error":null}\n')
    assert dump_line(failed("x")).decode() == (
        '{"wom":1,"id":"x","text":"x","insight":null,"error":{"kind":"rate_limit",'
        '"type":"RateLimitError","message":"429","status_code":429,"request_id":"req-1",'
        '"attempts":3}}\n')


def test_writer_reader_and_to_line_agree() -> None:
    for result in (ok("1", rating=5.0, extra={"shop": "s"}), failed("2")):
        raw = dump_line(result)
        assert json.loads(raw) == ResultRecord.from_result(result).to_line()
        back = parse_line(raw)
        assert back == ResultRecord.from_result(result)
        assert back.schema_version == RESULTS_SCHEMA
        assert back.ok is (result.insight is not None)
        assert dump_line(back) == raw  # a line read and written again is unchanged


def test_one_line_is_readable_and_stays_valid_json() -> None:
    raw = dump_line(ok("1"))
    assert raw.endswith(b"\n")
    assert raw.count(b"\n") == 1
    assert "好评".encode() in raw  # not \\u escapes
    rec = ReviewRecord(id="s", text="bad \ud800 char")
    raw = dump_line(BatchResult(id="s", record=rec, insight=_INSIGHT))
    assert json.loads(raw.decode("utf-8"))["text"] == "bad \ud800 char"


def test_writing_is_strict_about_the_outcome() -> None:
    rec = ReviewRecord(id="n", text="t")
    with pytest.raises(ValueError, match="exactly one of insight and error"):
        dump_line(BatchResult(id="n", record=rec))
    both = BatchResult(id="n", record=rec, insight=_INSIGHT,
                       error=ErrorInfo(kind="x", type="X", message="m"))
    with pytest.raises(ValueError, match="exactly one of insight and error"):
        ResultRecord.from_result(both).to_line()


def test_reading_is_lenient_for_older_files_and_other_tools() -> None:
    old = parse_line('{"id": 17, "text": "t", "rating": "4", "shop": "ignored", '
                     '"insight": null, "error": {"kind": "timeout", "code": 1}}')
    assert old.schema_version is None  # written before the marker existed
    assert (old.id, old.rating, old.ok) == ("17", 4.0, False)
    assert old.error == RecordError(kind="timeout")
    assert parse_line('{"id": "a", "error": {}}').error == RecordError(kind="error")
    with pytest.raises(ValidationError):
        parse_line("[1, 2]")


def test_extra_input_columns_are_read_back(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_bytes(dump_line(ok("1", extra={"渠道": "天猫", "order": 7})))
    [rec] = read_results(path)
    assert rec.extra == {"渠道": "天猫", "order": 7}


def test_the_report_exports_the_same_model() -> None:
    assert wom_sdk.report.ResultRecord is ResultRecord
    assert wom_sdk.report.RecordError is RecordError
    assert wom_sdk.report.read_results is read_results


# -- is it a results file at all? ---------------------------------------------------------------
def test_results_files_pass_the_check(tmp_path: Path) -> None:
    new = tmp_path / "new.jsonl"
    new.write_bytes(b"\n" + dump_line(ok("1")))
    old = tmp_path / "old.jsonl"
    old.write_text('{"id": "1", "text": "t", "insight": null, "error": {"kind": "x"}}\n')
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    for path in (new, old, empty):
        check_results_file(path)


@pytest.mark.parametrize(("name", "content", "column"), [
    ("reviews.csv", "编号,评论\n1,很好\n", "'评论'"),
    ("reviews.tsv", "id\tReview Text\n1\tgood\n", "'Review Text'"),
    ("reviews.jsonl", '{"id": 1, "content": "good"}\n', "'content'"),
])
def test_a_file_of_reviews_is_refused_with_what_to_do(
        tmp_path: Path, name: str, content: str, column: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as e:
        check_results_file(path)
    message = str(e.value)
    assert "is not a results file of `wom analyze`" in message
    assert f"it looks like reviews (column {column})" in message
    assert f"`wom analyze {path} -o results.jsonl`" in message


def test_other_files_are_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some text\n", encoding="utf-8")
    with pytest.raises(InputError, match="is not a results file") as e:
        check_results_file(path)
    assert "looks like reviews" not in str(e.value)
    with pytest.raises(InputError, match="results file not found"):
        check_results_file(tmp_path / "missing.jsonl")
