"""The batch files (request lines in, result lines out), the limits, and the state file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wom_sdk import (
    APIStatusError,
    AuthenticationError,
    BatchAPIError,
    ConfigurationError,
    RateLimitError,
    ServerError,
)
from wom_sdk._batchapi._limits import AZURE, OPENAI, limits_for
from wom_sdk._batchapi._lines import (
    PartWriter,
    body_bytes,
    line_error,
    read_results,
    request_line,
    retryable,
)
from wom_sdk._batchapi._state import JobState, Part, StateStore, Unit


def _writer(tmp_path: Path, **limits: int | None) -> PartWriter:
    kw: dict[str, int | None] = {"max_requests": 3, "max_bytes": 10_000, "max_tokens": None}
    kw.update(limits)
    return PartWriter(tmp_path, "run1", 1, 1, **kw)  # type: ignore[arg-type]


def test_a_request_line_is_the_documented_shape() -> None:
    body = body_bytes({"model": "m", "messages": [{"role": "user", "content": "电池"}]})
    line = request_line("1-0", body)
    assert line.endswith(b"\n")
    assert json.loads(line) == {"custom_id": "1-0", "method": "POST",
                                "url": "/v1/chat/completions",
                                "body": {"model": "m", "messages": [
                                    {"role": "user", "content": "电池"}]}}
    assert "电池".encode() in line  # UTF-8, not \u escapes: a file is bytes a MB


def test_a_lone_surrogate_still_makes_valid_json() -> None:
    assert json.loads(body_bytes({"content": "a\ud800b"}))["content"] == "a\ud800b"


@pytest.mark.parametrize(("limits", "sizes"), [
    ({"max_requests": 3}, [3, 3, 1]),
    ({"max_requests": 100, "max_bytes": 2 * 164 + 20}, [2, 2, 2, 1]),
    ({"max_requests": 100, "max_tokens": 25}, [2, 2, 2, 1]),
])
def test_files_are_cut_before_each_limit(
        tmp_path: Path, limits: dict[str, int], sizes: list[int]) -> None:
    w = _writer(tmp_path, **limits)
    body = body_bytes({"text": "x" * 80})
    assert len(request_line("1-0", body)) == 164
    for i in range(7):
        w.add(Unit([f"id{i}"]), body, tokens=10)
    w.close()
    assert [len(p.units) for p in w.parts] == sizes
    for part in w.parts:
        data = (tmp_path / f".{part.filename}").read_bytes()
        assert len(data) == part.bytes
        assert part.bytes <= limits.get("max_bytes", 10**9)
        ids = [json.loads(x)["custom_id"] for x in data.splitlines()]
        assert ids == [f"{part.number}-{k}" for k in range(len(part.units))]
    assert [u.ids[0] for p in w.parts for u in p.units] == [f"id{i}" for i in range(7)]


def test_read_results_types_each_kind_of_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    lines = [
        {"id": "b1", "custom_id": "1-0", "error": None,
         "response": {"status_code": 200, "request_id": "q", "body": {"choices": []}}},
        {"id": "b2", "custom_id": "1-1", "error": None,
         "response": {"status_code": 429, "request_id": "q2",
                      "body": {"error": {"message": "slow down"}}}},
        {"id": "b3", "custom_id": "1-2", "response": None,
         "error": {"code": "batch_expired", "message": "window ended"}},
    ]
    path.write_bytes(b"".join(json.dumps(x).encode() + b"\n" for x in lines)
                     + b'{"id": "b4", "custom_id": "1-3", "resp\n')
    got = list(read_results(path, "batch_1"))
    assert got[0] is not None
    assert got[0].completion == {"choices": []}
    assert got[1] is not None
    assert isinstance(got[1].error, RateLimitError)
    assert got[1].error.request_id == "q2"
    assert got[2] is not None
    assert isinstance(got[2].error, BatchAPIError)
    assert (got[2].error.code, got[2].error.batch_id) == ("batch_expired", "batch_1")
    assert got[3] is None  # cut: its review counts as not answered


@pytest.mark.parametrize(("status", "cls", "again"), [
    (401, AuthenticationError, False), (429, RateLimitError, True), (500, ServerError, True),
    (400, APIStatusError, False)])
def test_line_errors_by_status(status: int, cls: type, again: bool) -> None:
    error = line_error({"status_code": status, "body": {"error": {"message": "m"}}}, None)
    assert type(error) is cls
    assert retryable(error) is again


def test_which_never_run_requests_run_again() -> None:
    assert retryable(BatchAPIError("x", code="batch_expired"))
    assert retryable(BatchAPIError("x", code="a_code_not_documented_yet"))
    assert not retryable(BatchAPIError("x", code="batch_cancelled"))


def test_azure_endpoints_get_azure_limits() -> None:
    assert limits_for("https://shop.openai.azure.com/openai/v1/") is AZURE
    assert limits_for(None) is OPENAI
    assert limits_for("https://api.deepseek.com/v1") is OPENAI
    assert (OPENAI.max_requests, AZURE.max_requests) == (50_000, 100_000)


def _state() -> JobState:
    return JobState(run="abc", created_at=1.5, endpoint="e", model="m", batch_model="m",
                    pack=1, mode="json_schema", retry="online", retry_rounds=2,
                    parts=[Part(1, 1, "wom-abc-1.jsonl", [Unit(["a"], "d1"), Unit(["b", "c"])],
                                "sha", 10, 5, file_id="file-1")],
                    pending=[Unit(["z"], "d", [{"content": "{}"}], 1, {"kind": "x"})])


def test_the_state_file_round_trips_and_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl.batch.json"
    store = StateStore(path)
    assert store.load() is None
    store.save(_state())
    assert store.load() == _state()
    assert json.loads(path.read_text())["wom_batch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left
    assert os.stat(path).st_size > 0


def test_a_state_file_of_another_version_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.batch.json"
    path.write_text('{"wom_batch": 99}')
    with pytest.raises(ConfigurationError, match="move it away"):
        StateStore(path).load()
