"""Kill-safety: the state is saved before anything remote exists, and a new process
finds what a killed one created but never recorded. Plus the enqueued-token limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from fakeserver._limits import estimate_prompt_tokens
from helpers.fake_batches import StepClock, analyzer, reviews, server, uploads
from wom_sdk import ConfigurationError, InputError
from wom_sdk._batchapi._state import StateStore
from wom_sdk._llm import EndpointMemory, Mode, converse

N = 20


class Killed(BaseException):
    """A process killed between two steps (nothing after the kill runs)."""


def _kill_at_save(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """The ``nth`` save of the state file never happens: the process dies just before."""
    real = StateStore.save
    calls = {"n": 0}

    def save(self: StateStore, state: Any) -> None:
        calls["n"] += 1
        if calls["n"] == nth:
            raise Killed
        real(self, state)

    monkeypatch.setattr(StateStore, "save", save)


def _resume(srv: Any, out: Path, **kw: Any) -> list[Any]:
    again = analyzer(srv, structured_output="json_schema")
    return list(again.submit_batch(reviews(N), output=out, **kw).results())


def _ids(out: Path) -> list[str]:
    return [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("nth", "what"), [(2, "uploaded, not recorded"),
                                           (3, "created, not recorded")])
def test_a_kill_before_the_state_records_a_remote_object_does_not_pay_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nth: int, what: str) -> None:
    out = tmp_path / "out.jsonl"
    with server() as srv:
        a = analyzer(srv, structured_output="json_schema")
        with monkeypatch.context() as m:
            _kill_at_save(m, nth)
            with pytest.raises(Killed):
                a.submit_batch(reviews(N), output=out)
        assert uploads(srv) == 1
        assert len(srv.batches.batches) == (1 if nth == 3 else 0), what
        results = _resume(srv, out)
        assert uploads(srv) == 1
        assert len(srv.batches.batches) == 1
    assert sorted(r.id for r in results) == sorted(f"r{i}" for i in range(N))
    assert all(r.ok for r in results)
    assert sorted(_ids(out)) == sorted(f"r{i}" for i in range(N))


def test_a_kill_while_collecting_writes_no_id_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out.jsonl"
    with server() as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), output=out, max_requests_per_file=5)
        with monkeypatch.context() as m:
            _kill_at_save(m, 3)  # after the first file's results are written, before "collected"
            with pytest.raises(Killed):
                job.wait()
        written = len(_ids(out))
        assert 0 < written < N
        _resume(srv, out, max_requests_per_file=5)
        assert uploads(srv) == 4
        assert len(srv.batches.batches) == 4
    ids = _ids(out)
    assert len(ids) == len(set(ids)) == N


class _LoseFirstCreate(httpx2.HTTPTransport):
    """The server creates the batch, the answer never arrives (a reset connection)."""

    lost = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/batches") and not self.lost:
            self.lost += 1
            response.read()
            response.close()
            raise httpx2.ReadError("connection reset by peer", request=request)
        return response


def test_a_lost_answer_to_create_adopts_the_batch_instead_of_creating_another() -> None:
    transport = _LoseFirstCreate()
    with server() as srv:
        a = analyzer(srv, structured_output="json_schema",
                     http_client=httpx2.Client(transport=transport))
        results = a.submit_batch(reviews(N)).results()
        assert transport.lost == 1
        assert len(srv.batches.batches) == 1
    assert all(r.ok for r in results)


def test_other_settings_cannot_take_over_a_running_job(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with server() as srv:
        first = analyzer(srv, structured_output="json_schema").submit_batch(reviews(N), output=out)
        first._close()
        with pytest.raises(ConfigurationError, match=r"pack 1 there, 5 now.*--cancel"):
            analyzer(srv, structured_output="json_schema").submit_batch(
                reviews(N), output=out, pack=5)


def test_a_changed_input_is_refused_rather_than_mismatched(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with server() as srv:
        first = analyzer(srv, structured_output="json_schema").submit_batch(reviews(N), output=out)
        first._close()
        changed = reviews(N)
        changed[4]["text"] = "a different review altogether"
        job = analyzer(srv, structured_output="json_schema").submit_batch(changed, output=out)
        with pytest.raises(InputError, match="changed since this batch job"):
            job.wait()


def _tokens_per_line(srv: Any) -> tuple[int, int]:
    """(the client's estimate, the fake's count) of one request line's prompt."""
    a = analyzer(srv, structured_output="json_schema")
    prep = a._prepare("analyze", reviews(1)[0]["text"], product="X1")
    assert prep.call is not None
    req = next(converse(prep.call, EndpointMemory(Mode.JSON_SCHEMA)))
    return req.estimated_tokens - int(req.params["max_tokens"]), estimate_prompt_tokens(
        req.params["messages"])


def test_files_wait_for_room_under_the_enqueued_token_limit() -> None:
    with server() as probe:
        ours, theirs = _tokens_per_line(probe)
    with server(enqueued_token_limit=int(theirs * 12)) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), max_enqueued_tokens=int(ours * 10.5))
        assert len(job.batch_ids) == 1  # the second file waits for the first
        results = job.results()
        batches = srv.batches.batches
    assert all(r.ok for r in results)
    assert len(batches) == 2
    assert {b["status"] for b in batches} == {"completed"}
    assert batches[1]["created_at"] >= batches[0]["completed_at"]


def test_a_batch_refused_for_the_enqueued_token_limit_is_created_again_later() -> None:
    with server() as probe:
        _, theirs = _tokens_per_line(probe)
    with server(enqueued_token_limit=int(theirs * 12), clock=StepClock(1)) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), max_requests_per_file=10)
        assert len(job.batch_ids) == 2
        results = job.results()
        batches = srv.batches.batches
    assert all(r.ok for r in results)
    assert [b["status"] for b in batches] == ["completed", "failed", "completed"]
    assert batches[1]["errors"]["data"][0]["code"] == "token_limit_exceeded"
    assert batches[1]["input_file_id"] == batches[2]["input_file_id"]  # not uploaded again


def test_cancel_ends_the_files_still_waiting_for_room_too() -> None:
    with server() as probe:
        ours, theirs = _tokens_per_line(probe)
    with server(enqueued_token_limit=int(theirs * 12), clock=StepClock(1)) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), max_enqueued_tokens=int(ours * 10.5))
        job.cancel()
        results = job.results()
        assert len(srv.batches.batches) == 1  # the waiting file was never submitted
    assert sorted(r.id for r in results) == sorted(f"r{i}" for i in range(N))
    assert sum(1 for r in results if r.error) >= N // 2
    assert job.status == "cancelled"
