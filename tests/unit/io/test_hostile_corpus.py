"""Every reader through every file of ``tests/data/hostile/``, each with its expected outcome.

The corpus is written by ``scripts/make_hostile_corpus.py`` (never by hand: the
first test checks that the script still writes exactly these bytes); its
``expected.json`` says what ``wom analyze`` (the file as input, and results
files as ``-o``), ``wom eval``, ``wom report`` and ``analyze_dataframe`` must do
with each file. A refusal must come before any request: the fake endpoint
counts them.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wom_sdk import ReviewAnalyzer
from wom_sdk.cli import main
from wom_sdk.io._readers import open_source
from wom_sdk.testing import FakeLLM, set_testing

ROOT = Path(__file__).parents[3]
CORPUS = ROOT / "tests" / "data" / "hostile"
EXPECTED: dict[str, dict[str, Any]] = json.loads(
    (CORPUS / "expected.json").read_text(encoding="utf-8"))


def _script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_hostile_corpus", ROOT / "scripts" / "make_hostile_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_exactly_what_the_script_writes() -> None:
    written = _script().write()
    on_disk = {p.relative_to(CORPUS).as_posix(): p.read_bytes()
               for p in CORPUS.rglob("*") if p.is_file()}
    assert written.keys() == on_disk.keys()
    changed = [name for name, data in written.items() if on_disk[name] != data]
    assert changed == [], "run: python scripts/make_hostile_corpus.py"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with set_testing(True):
        yield FakeLLM()


def _factory(llm: FakeLLM) -> Callable[..., ReviewAnalyzer]:
    def make(**kw: Any) -> ReviewAnalyzer:
        kw["base_url"] = kw.get("base_url") or "http://mock.test/v1"
        return ReviewAnalyzer(**kw, http_client=llm.client())
    return make


def _cases(reader: str) -> list[str]:
    return sorted(name for name, case in EXPECTED.items() if reader in case)


def _summary(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _out(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    return {x["id"]: x for x in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize("name", _cases("analyze"))
def test_wom_analyze(name: str, llm: FakeLLM, tmp_path: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    case, exp = EXPECTED[name], EXPECTED[name]["analyze"]
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    status = main(["analyze", str(CORPUS / name), "-o", str(out), "--summary-json",
                   str(summary), "--rpm", "100000", *case.get("args", [])],
                  analyzer_factory=_factory(llm))
    err = capsys.readouterr().err
    assert status == exp["status"], err
    assert "Traceback" not in err
    if "stderr" in exp:
        assert exp["stderr"] in err
    if "requests" in exp:
        assert len(llm.requests) == exp["requests"]
    s, lines = _summary(summary), _out(out)
    if exp["status"] != 0:
        assert not out.exists() or out.read_bytes() == b""
        return
    assert s["analyzed"] == exp["analyzed"], s
    assert s["not_finished"] == 0
    for key, field in (("encoding", "input_encoding"), ("replaced", "replaced_characters"),
                       ("joined_rows", "joined_rows"), ("rejected_rows", "rejected_rows"),
                       ("short_rows", "short_rows")):
        if key in exp:
            assert s[field] == exp[key], s
    for rid, text in exp.get("texts", {}).items():
        assert lines[rid]["text"] == text  # decoded right: no mojibake, nothing cut
    for rid, message in exp.get("errors", {}).items():
        assert lines[rid]["error"]["kind"] == "input"
        assert message in lines[rid]["error"]["message"]
    # Every row read ended as a line: none lost (swallowed rows are one field).
    assert len(lines) == s["total"] - s["duplicates"]


@pytest.mark.parametrize("name", _cases("eval"))
def test_wom_eval(name: str, llm: FakeLLM, capsys: pytest.CaptureFixture[str]) -> None:
    case, exp = EXPECTED[name], EXPECTED[name]["eval"]
    status = main(["eval", str(CORPUS / name), "--rpm", "100000", *case.get("args", [])],
                  analyzer_factory=_factory(llm))
    captured = capsys.readouterr()
    assert status == exp["status"], captured.err
    assert "Traceback" not in captured.err
    if "stderr" in exp:
        assert exp["stderr"] in captured.err
    if status != 0:
        assert llm.requests == []
        return
    reviews = int(re.search(r"^(\d+) labeled reviews", captured.out, re.M).group(1))  # type: ignore[union-attr]
    assert reviews == exp["reviews"]


@pytest.mark.parametrize("name", _cases("report"))
def test_wom_report(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exp = EXPECTED[name]["report"]
    status = main(["report", str(CORPUS / name), "-o", str(tmp_path / "r.md")])
    err = capsys.readouterr().err
    assert status == exp["status"], err
    assert "Traceback" not in err
    if "stderr" in exp:
        assert exp["stderr"] in err
    if status == 0:
        counted = int(re.search(r"wom report: ([\d,]+) reviews", err).group(1))  # type: ignore[union-attr]
        assert counted == exp["reviews"]
        if "note" in exp:
            assert exp["note"] in err
            assert exp["note"] in (tmp_path / "r.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", _cases("output"))
def test_results_files_as_output(name: str, llm: FakeLLM, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    exp = EXPECTED[name]["output"]
    out = tmp_path / "out.jsonl"
    shutil.copyfile(CORPUS / name, out)
    before = out.read_bytes()
    src = tmp_path / "in.csv"
    src.write_text("id,text\nR1,电池一天要充三次\nR2,包装很好\nR3,屏幕有划痕\n", encoding="utf-8")
    summary = tmp_path / "summary.json"
    status = main(["analyze", str(src), "-o", str(out), "--summary-json", str(summary),
                   "--rpm", "100000"], analyzer_factory=_factory(llm))
    err = capsys.readouterr().err
    assert status == exp["status"], err
    if "stderr" in exp:
        assert exp["stderr"] in err
        assert "run the same command again" not in err
    if exp.get("unchanged"):
        assert out.read_bytes() == before
    if exp.get("unchanged_prefix"):
        assert out.read_bytes().startswith(before)  # the stray line is still there
    if status == 0:
        s = _summary(summary)
        assert s["skipped_done"] == exp["skipped_done"], s
        assert s["analyzed"] == exp.get("analyzed", 3 - exp["skipped_done"])
    else:
        assert llm.requests == []


@pytest.mark.parametrize("name", [n for n in _cases("analyze")
                                  if EXPECTED[n]["analyze"]["status"] == 0])
def test_analyze_dataframe_on_the_same_rows(name: str, llm: FakeLLM) -> None:
    # What a notebook user holds after reading the file (our reader stands in for
    # pandas' own, which needs the encoding told): one result per row, in place.
    pd = pytest.importorskip("pandas")
    args = EXPECTED[name].get("args", [])
    options = {"sheet": args[1], "header_row": int(args[3])} if "--sheet" in args else {}
    with open_source(str(CORPUS / name), **options) as source:  # type: ignore[arg-type]
        records = list(source)
    df = pd.DataFrame({"id": [r.id for r in records], "text": [r.text for r in records]})
    out = ReviewAnalyzer(base_url="http://mock.test/v1", http_client=llm.client()
                         ).analyze_dataframe(df, text_column="text", id_column="id")
    assert len(out) == len(df)
    assert list(out["id"]) == list(df["id"])
    assert out["error_kind"].isna().all() or set(out["error_kind"].dropna()) <= {
        "invalid_review"}
