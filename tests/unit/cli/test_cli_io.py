"""``wom analyze``'s input and output as a hostile user gives them (issue 8, item 8)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wom_sdk import ReviewAnalyzer
from wom_sdk.cli import main
from wom_sdk.testing import FakeLLM, set_testing

CSV = "id,text\nr1,电池一天要充三次\nr2,物流很快\n"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with set_testing(True):
        yield FakeLLM()


def factory(llm: FakeLLM) -> Callable[..., ReviewAnalyzer]:
    def make(**kw: Any) -> ReviewAnalyzer:
        return ReviewAnalyzer(**{"base_url": "http://mock.test/v1", **kw},
                              http_client=llm.client())
    return make


def test_dash_writes_jsonl_to_standard_output(llm: FakeLLM, tmp_path: Path,
                                              capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(CSV, encoding="utf-8")
    assert main(["analyze", str(src), "-o", "-", "--rpm", "100000"],
                analyzer_factory=factory(llm)) == 0
    out, err = capfdbinary.readouterr()
    assert sorted(json.loads(x)["id"] for x in out.decode().splitlines()) == ["r1", "r2"]
    assert not (Path.cwd() / "-").exists()  # no file named "-"
    assert b"cannot be resumed" in err  # said, since the same command cannot continue


def test_an_unwritable_output_is_refused_before_anything_is_sent(
        llm: FakeLLM, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(CSV, encoding="utf-8")
    status = main(["analyze", str(src), "-o", str(src / "out.jsonl")],
                  analyzer_factory=factory(llm))
    err = capsys.readouterr().err
    assert status == 2
    assert "cannot write" in err
    assert "Nothing was sent" in err
    assert "run the same command again" not in err  # nothing ran: nothing to continue
    assert llm.requests == []


def test_a_folder_as_output_or_input(llm: FakeLLM, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(CSV, encoding="utf-8")
    assert main(["analyze", str(src), "-o", str(tmp_path)], analyzer_factory=factory(llm)) == 2
    assert "is a folder: give a file name" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path), "-o", str(tmp_path / "o.jsonl")],
                analyzer_factory=factory(llm)) == 2
    assert "is a folder, not a file" in capsys.readouterr().err
    assert llm.requests == []


def test_encoding_override_on_standard_input(llm: FakeLLM, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Big5 bytes that the detector could take for something else on so little text.
    data = "id,text\nt1,螢幕有刮痕\n".encode("cp950")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "o.jsonl"
    assert main(["analyze", "-", "-o", str(out), "--encoding", "big5", "--rpm", "100000"],
                analyzer_factory=factory(llm)) == 0
    [line] = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert line["text"] == "螢幕有刮痕"


def test_header_row_skips_title_rows_of_a_csv(llm: FakeLLM, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("店铺评价导出\n导出时间 2024-05-01\n" + CSV, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["analyze", str(src), "-o", str(out), "--header-row", "3", "--rpm", "100000"],
                analyzer_factory=factory(llm)) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_a_row_that_is_not_sent_is_an_input_error_and_retry_errors_takes_it_again(
        llm: FakeLLM, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text,stars\nr1,good, really good,5\nr2,fine,4\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["analyze", str(src), "-o", str(out), "--rpm", "100000"],
                analyzer_factory=factory(llm)) == 0
    lines = {x["id"]: x for x in map(json.loads, out.read_text().splitlines())}
    assert lines["r1"]["error"]["kind"] == "input"
    assert "line 2 (id r1): 4 fields, the header has 3" in lines["r1"]["error"]["message"]
    assert len(llm.requests) == 1  # r1 was never sent
    src.write_text('id,text,stars\nr1,"good, really good",5\nr2,fine,4\n', encoding="utf-8")
    assert main(["analyze", str(src), "-o", str(out), "--retry-errors", "--rpm", "100000"],
                analyzer_factory=factory(llm)) == 0
    lines = {x["id"]: x for x in map(json.loads, out.read_text().splitlines())}
    assert lines["r1"]["text"] == "good, really good"
    assert lines["r1"]["error"] is None
