"""``wom analyze``: which input columns reach the results, and the needs section, over HTTP.

The fake OpenAI server answers with the wom responder (tests/fakeserver), so
the whole path runs: reading, columns, the prompt with its section, the
schema, validation and grounding of the needs, the JSONL line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeserver import FakeOpenAIServer, wom_responder
from wom_sdk.cli import main

ROWS = [
    ("r1", "Aurora", "天猫旗舰店", "王**", "138****0000", "给爸妈买的，字太小了"),
    ("r2", "Nimbus", "京东自营", "l***y", "139****1111",
     "I bought it for my mother, the battery died"),
    ("r3", "Aurora", "", "", "", "屏幕清晰，送女朋友的礼物"),
]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=wom_responder) as srv:
        yield srv


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.csv"
    lines = ["编号,品牌,店铺,买家昵称,手机号,评论"]
    lines += [",".join(f'"{v}"' for v in row) for row in ROWS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def analyze(server: FakeOpenAIServer, reviews: Path, out: Path, *argv: str) -> int:
    return main(["analyze", str(reviews), "-o", str(out), "--quiet", "--base-url",
                 server.base_url, "--model", "fake-model", *argv])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_only_recognised_columns_are_kept_by_default(
    server: FakeOpenAIServer, reviews: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    assert analyze(server, reviews, out) == 0
    extras = {line["id"]: line.get("extra") for line in lines(out)}
    # The buyer's nickname and phone stay out; an empty cell is no value.
    assert extras == {"r1": {"品牌": "Aurora", "店铺": "天猫旗舰店"},
                      "r2": {"品牌": "Nimbus", "店铺": "京东自营"},
                      "r3": {"品牌": "Aurora"}}
    text = out.read_text(encoding="utf-8")
    assert "138****0000" not in text
    assert "王**" not in text


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        (["--keep-columns", "买家昵称"], {"品牌", "店铺", "买家昵称"}),
        (["--keep-columns", "none"], set()),
        (["--keep-columns", "all"], {"品牌", "店铺", "买家昵称", "手机号"}),
        (["--keep-columns", "手机号,买家昵称"], {"品牌", "店铺", "买家昵称", "手机号"}),
    ],
)
def test_keep_columns_chooses(
    server: FakeOpenAIServer, reviews: Path, tmp_path: Path, keep: list[str], expected: set[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert analyze(server, reviews, out, *keep) == 0
    first = next(line for line in lines(out) if line["id"] == "r1")
    assert set(first.get("extra", {})) == expected


def test_an_unknown_kept_column_is_a_usage_error_before_anything_is_sent(
    server: FakeOpenAIServer, reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert analyze(server, reviews, out, "--keep-columns", "email") == 2
    assert "--keep-columns 'email' is not a column of the input" in capsys.readouterr().err
    assert not out.exists()
    assert server.stats().requests == 0


@pytest.mark.parametrize("pack", ["1", "3"])
def test_include_needs_puts_grounded_needs_in_every_line(
    server: FakeOpenAIServer, reviews: Path, tmp_path: Path, pack: str
) -> None:
    out = tmp_path / "out.jsonl"
    assert analyze(server, reviews, out, "--include", "needs", "--pack", pack) == 0
    needs = {line["id"]: [(n["tag"], n["kind"], n["quote"]) for n in line["insight"]["needs"]]
             for line in lines(out)}
    assert needs == {
        "r1": [("parents", "recipient", "给爸妈买的")],
        "r2": [("parents", "recipient", "I bought it for my mother")],
        "r3": [("partner", "recipient", "送女朋友的礼物"), ("gift", "use", "送女朋友的礼物")],
    }


def test_without_include_the_lines_say_needs_were_not_asked(
    server: FakeOpenAIServer, reviews: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    assert analyze(server, reviews, out) == 0
    assert [line["insight"]["needs"] for line in lines(out)] == [None, None, None]
    assert "needs" not in json.dumps(server.requests[0]["response_format"])


def test_the_needs_task_alone_over_http(server: FakeOpenAIServer) -> None:
    from wom_sdk import ReviewAnalyzer

    with ReviewAnalyzer(base_url=server.base_url, model="fake-model") as a:
        got = a.needs("买给老爸的，上班也能用，字太小了")
    assert [(n.tag, n.quote) for n in got] == [("parents", "买给老爸的"), ("work", "上班也能用")]
    body = server.requests[-1]
    assert body["response_format"]["json_schema"]["name"] == "wom_needs"
