"""The fake Files and Batches endpoints, through the real openai client: formats and states."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from fakeserver._batches import BatchSettings, BatchTiming, ManualClock

TIMING = BatchTiming(validate=10, per_line=1, finalize=5, cancel=3, window=100)


def _line(i: int, *, model: str = "m", url: str = "/v1/chat/completions",
          cid: str | None = None) -> dict[str, Any]:
    return {"custom_id": cid or f"u{i}", "method": "POST", "url": url,
            "body": {"model": model, "messages": [{"role": "user", "content": (
                f"<review-ab>\nreview {i}: bad battery\n</review-ab>")}]}}


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(x).encode() + b"\n" for x in lines)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def _server(clock: ManualClock, **settings: Any) -> FakeOpenAIServer:
    faults = settings.pop("batch_faults", None)
    return FakeOpenAIServer(responder=wom_responder, batch_faults=faults,
                            batch_settings=BatchSettings(clock=clock, timing=TIMING, **settings))


@pytest.fixture
def server(clock: ManualClock) -> Iterator[FakeOpenAIServer]:
    with _server(clock) as srv:
        yield srv


def _client(srv: FakeOpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key="k", max_retries=0)


def _submit(client: openai.OpenAI, lines: list[dict[str, Any]], **kw: Any) -> Any:
    f = client.files.create(file=("in.jsonl", io.BytesIO(_jsonl(lines))), purpose="batch")
    return client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                 completion_window="24h", **kw)


def _lines(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(x) for x in client.files.content(file_id).text.splitlines()]


def test_files_upload_list_retrieve_content_and_delete(server: FakeOpenAIServer) -> None:
    client = _client(server)
    data = _jsonl([_line(0)])
    f = client.files.create(file=("in.jsonl", io.BytesIO(data)), purpose="batch")
    assert (f.object, f.purpose, f.filename, f.bytes) == ("file", "batch", "in.jsonl", len(data))
    assert client.files.retrieve(f.id).id == f.id
    assert client.files.content(f.id).content == data
    other = client.files.create(file=("notes.txt", io.BytesIO(b"x")), purpose="user_data")
    assert [x.id for x in client.files.list(purpose="batch")] == [f.id]
    assert {x.id for x in client.files.list()} == {f.id, other.id}
    assert client.files.delete(f.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(f.id)


def test_batch_files_must_be_jsonl(server: FakeOpenAIServer) -> None:
    with pytest.raises(openai.BadRequestError, match="jsonl"):
        _client(server).files.create(file=("in.csv", io.BytesIO(b"a,b")), purpose="batch")


def test_states_counts_and_the_output_file(server: FakeOpenAIServer, clock: ManualClock) -> None:
    client = _client(server)
    batch = _submit(client, [_line(i) for i in range(4)], metadata={"wom_run": "r1"})
    assert (batch.status, batch.completion_window, batch.metadata) == (
        "validating", "24h", {"wom_run": "r1"})
    assert batch.expires_at == batch.created_at + 100
    clock.advance(10 + 2.5)
    now = client.batches.retrieve(batch.id)
    assert now.status == "in_progress"
    assert now.request_counts is not None
    assert (now.request_counts.total, now.request_counts.completed) == (4, 2)
    clock.advance(2)
    assert client.batches.retrieve(batch.id).status == "finalizing"
    clock.advance(5)
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.error_file_id is None
    lines = _lines(client, done.output_file_id)
    assert [x["custom_id"] for x in lines] == ["u0", "u1", "u2", "u3"]
    first = lines[0]
    assert first["error"] is None
    assert first["response"]["status_code"] == 200
    body = first["response"]["body"]
    assert body["object"] == "chat.completion"
    assert json.loads(body["choices"][0]["message"]["content"])["sentiment"]["label"] == "negative"


def test_every_line_runs_whatever_the_float_sums_say(clock: ManualClock) -> None:
    # At 1.8e9 s a float has ~2e-7 s of resolution: 10 lines of 0.006 s add up to 9.99999.
    timing = BatchTiming(validate=1, per_line=0.006, finalize=1)
    with FakeOpenAIServer(responder=wom_responder,
                          batch_settings=BatchSettings(clock=clock, timing=timing)) as srv:
        client = _client(srv)
        batch = _submit(client, [_line(i) for i in range(10)])
        clock.advance(1 + 10 * 0.006)
        clock.advance(1)
        done = client.batches.retrieve(batch.id)
        assert done.status == "completed"
        assert done.error_file_id is None
        assert len(_lines(client, done.output_file_id)) == 10


@pytest.mark.parametrize(("lines", "code"), [
    ([_line(0), {"oops": 1}], "invalid_request"),
    ([_line(0, url="/v1/embeddings")], "url_mismatch"),
    ([_line(0), _line(1, model="other")], "model_mismatch"),
    ([_line(0, cid="x"), _line(1, cid="x")], "duplicate_custom_id"),
    ([_line(i) for i in range(4)], "too_many_tasks"),
])
def test_a_file_that_breaks_the_rules_fails_validation(
        clock: ManualClock, lines: list[dict[str, Any]], code: str) -> None:
    with _server(clock, max_requests=3) as srv:
        client = _client(srv)
        batch = _submit(client, lines)
        clock.advance(10)
        failed = client.batches.retrieve(batch.id)
        assert failed.status == "failed"
        assert failed.errors is not None
        assert failed.errors.data is not None
        assert code in [e.code for e in failed.errors.data]
        assert failed.output_file_id is None


def test_an_unparseable_line_is_reported_with_its_number(
        server: FakeOpenAIServer, clock: ManualClock) -> None:
    client = _client(server)
    f = client.files.create(file=("in.jsonl", io.BytesIO(_jsonl([_line(0)]) + b"{cut\n")),
                            purpose="batch")
    batch = client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                  completion_window="24h")
    clock.advance(10)
    errors = client.batches.retrieve(batch.id).errors
    assert errors is not None
    assert errors.data is not None
    assert [(e.code, e.line) for e in errors.data] == [("invalid_json_line", 2)]


def test_an_expired_batch_keeps_what_it_finished(
        server: FakeOpenAIServer, clock: ManualClock) -> None:
    client = _client(server)
    batch = _submit(client, [_line(i) for i in range(200)])  # 200 s of lines, a 100 s window
    clock.advance(150)
    expired = client.batches.retrieve(batch.id)
    assert expired.status == "expired"
    assert expired.expired_at == expired.created_at + 100
    done = _lines(client, expired.output_file_id)
    rest = _lines(client, expired.error_file_id)
    assert len(done) == 90  # the window minus validation, a line a second
    assert len(done) + len(rest) == 200
    assert {x["error"]["code"] for x in rest} == {"batch_expired"}
    assert all(x["response"] is None for x in rest)


def test_cancel_keeps_what_ran_and_marks_the_rest(
        server: FakeOpenAIServer, clock: ManualClock) -> None:
    client = _client(server)
    batch = _submit(client, [_line(i) for i in range(10)])
    clock.advance(13)
    assert client.batches.cancel(batch.id).status == "cancelling"
    clock.advance(3)
    cancelled = client.batches.retrieve(batch.id)
    assert cancelled.status == "cancelled"
    assert len(_lines(client, cancelled.output_file_id)) == 3
    rest = _lines(client, cancelled.error_file_id)
    assert {x["error"]["code"] for x in rest} == {"batch_cancelled"}
    assert len(rest) == 7
    with pytest.raises(openai.BadRequestError, match="cancelled"):
        client.batches.cancel(batch.id)


def test_the_enqueued_token_limit_refuses_a_batch_while_others_are_queued(
        clock: ManualClock) -> None:
    with _server(clock, enqueued_token_limit=40) as srv:
        client = _client(srv)
        first = _submit(client, [_line(i) for i in range(2)])
        second = _submit(client, [_line(i) for i in range(2)])
        clock.advance(10)
        assert client.batches.retrieve(first.id).status == "in_progress"
        refused = client.batches.retrieve(second.id)
        assert refused.status == "failed"
        assert refused.errors is not None
        assert refused.errors.data is not None
        assert refused.errors.data[0].code == "token_limit_exceeded"


def test_faulty_lines_go_to_the_error_file_and_malformed_ones_come_back_cut(
        clock: ManualClock) -> None:
    plan = FaultPlan(script=["500", None, None])
    with _server(clock, batch_faults=plan, malformed=lambda cid: cid == "u2") as srv:
        client = _client(srv)
        batch = _submit(client, [_line(i) for i in range(3)])
        clock.advance(100)
        done = client.batches.retrieve(batch.id)
        errors = _lines(client, done.error_file_id)
        assert [(x["custom_id"], x["response"]["status_code"]) for x in errors] == [("u0", 500)]
        assert done.output_file_id is not None
        raw = client.files.content(done.output_file_id).text.splitlines()
        assert json.loads(raw[0])["custom_id"] == "u1"
        with pytest.raises(json.JSONDecodeError):
            json.loads(raw[1])


def test_create_checks_its_arguments(server: FakeOpenAIServer) -> None:
    client = _client(server)
    f = client.files.create(file=("in.jsonl", io.BytesIO(_jsonl([_line(0)]))), purpose="batch")
    bad: list[dict[str, Any]] = [
        {"completion_window": "1h"},
        {"metadata": {f"k{i}": "v" for i in range(17)}},
        {"metadata": {"k": "v" * 513}},
    ]
    for extra in bad:
        args = {"input_file_id": f.id, "endpoint": "/v1/chat/completions",
                "completion_window": "24h", **extra}
        with pytest.raises(openai.BadRequestError):
            client.batches.create(**args)
    with pytest.raises(openai.NotFoundError):
        client.batches.create(input_file_id="file-nope", endpoint="/v1/chat/completions",
                              completion_window="24h")


def test_batches_are_listed_newest_first_page_by_page(server: FakeOpenAIServer) -> None:
    client = _client(server)
    made = [_submit(client, [_line(0)]).id for _ in range(5)]
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == made[::-1][:2]
    assert [b.id for b in client.batches.list(limit=2)] == made[::-1]  # every page
