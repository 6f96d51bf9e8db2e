"""``submit_batch`` end to end against the fake Batch API: the state machine, the
re-runs, and every review exactly once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fakeserver import FaultPlan
from fakeserver._batches import BatchTiming
from helpers.fake_batches import (
    MODEL,
    TIMING,
    StepClock,
    analyzer,
    async_analyzer,
    chat_requests,
    reviews,
    server,
    uploads,
)
from wom_sdk import BatchAPIError, BatchJob, ReviewInsight
from wom_sdk._llm import EndpointMemory, Mode, converse
from wom_sdk.types import BatchResult

N = 30


def _assert_every_id_once(results: list[BatchResult], n: int = N, prefix: str = "r") -> None:
    assert [r.id for r in results] == [f"{prefix}{i}" for i in range(n)]
    assert all((r.insight is None) != (r.error is None) for r in results)


def _input_lines(srv: Any) -> list[dict[str, Any]]:
    files = srv.batches.files
    out: list[dict[str, Any]] = []
    for f in files.listing({"purpose": "batch", "order": "asc"})[1]["data"]:
        stored = files.get(f["id"])
        assert stored is not None
        out += [json.loads(x) for x in stored.data.splitlines()]
    return out


def test_a_job_runs_through_every_state_and_answers_like_the_online_path() -> None:
    with server(clock=StepClock(2)) as srv:
        a = analyzer(srv)
        job = a.submit_batch(reviews(N), max_requests_per_file=12)
        assert isinstance(job, BatchJob)
        assert job.status == "validating"
        assert len(job.batch_ids) == 3  # 29 lines (one went online first), 12 a file
        seen: list[str] = []
        job.wait(on_progress=lambda j: seen.append(j.status))
        results = job.results()
        online = [a.analyze(r["text"], product=r["product"]) for r in reviews(N)]
    _assert_every_id_once(results)
    assert {"in_progress", "completed"} <= set(seen)
    assert job.status == "completed"
    assert job.done
    for got, want in zip(results, online, strict=True):
        assert got.insight is not None
        assert got.insight.sentiment == want.sentiment
        assert got.insight.complaints == want.complaints
        assert got.insight.reply == want.reply
    assert sum("batch_id" in r.insight.extra for r in results if r.insight) == N - 1
    assert job.request_counts == {"total": N - 1, "completed": N - 1, "failed": 0}
    assert job.usage.requests == N - 1
    assert job.stats == {"online_probe": 1}


def test_request_lines_are_the_online_requests_with_stable_custom_ids() -> None:
    with server() as srv:
        a = analyzer(srv, structured_output="json_schema")
        a.submit_batch(reviews(5), max_requests_per_file=3).wait()
        lines = _input_lines(srv)
        memory = EndpointMemory(Mode.JSON_SCHEMA)
        expected = []
        for r in reviews(5):
            prep = a._prepare("analyze", r["text"], product=r["product"])
            assert prep.call is not None
            expected.append(next(converse(prep.call, memory)).params)
    assert not chat_requests(srv)  # a forced output mode needs no online probe
    assert [x["custom_id"] for x in lines] == ["1-0", "1-1", "1-2", "2-0", "2-1"]
    assert {(x["method"], x["url"]) for x in lines} == {("POST", "/v1/chat/completions")}
    assert [x["body"] for x in lines] == json.loads(json.dumps(expected))


def test_the_output_mode_is_probed_once_online_then_fixed_for_the_batch() -> None:
    with server() as srv:
        a = analyzer(srv)
        a.submit_batch(reviews(6)).wait()
        online = chat_requests(srv)
        lines = _input_lines(srv)
    assert len(online) == 1
    assert a.structured_output_modes == {f"{srv.base_url} {MODEL}": "json_schema"}
    assert {x["body"]["response_format"]["type"] for x in lines} == {"json_schema"}


def test_an_endpoint_that_rejects_json_schema_gets_the_mode_it_accepts() -> None:
    with server(faults=None) as srv:
        srv._app._faults = type(srv._app._faults)(FaultPlan(script=["reject_json_schema"]))
        a = analyzer(srv)
        results = a.submit_batch(reviews(4)).results()
        lines = _input_lines(srv)
    _assert_every_id_once(results, 4)
    assert all(r.ok for r in results)
    assert {x["body"]["response_format"]["type"] for x in lines} == {"json_object"}


def test_an_expired_batch_keeps_its_partial_output_and_the_rest_runs_online() -> None:
    timing = BatchTiming(validate=20, per_line=1, finalize=10, window=30)
    with server(timing=timing) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N))
        results = job.results()
        batch = srv.batches.batches[0]
    _assert_every_id_once(results)
    assert all(r.ok for r in results)
    assert batch["status"] == "expired"
    answered = batch["request_counts"]["completed"]
    assert 0 < answered < N
    assert job.usage.requests == answered  # the partial output was kept, not re-bought
    assert job.stats["online_reruns"] == N - answered
    assert len(chat_requests(srv)) == N - answered
    by_batch = Counter("batch_id" in r.insight.extra for r in results if r.insight)
    assert by_batch == {True: answered, False: N - answered}


def test_expired_requests_go_into_a_follow_up_batch_when_asked() -> None:
    timing = BatchTiming(validate=20, per_line=1, finalize=10, window=40)
    with server(timing=timing) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), retry="batch")
        results = job.results()
        batches = srv.batches.batches
    _assert_every_id_once(results)
    assert all(r.ok for r in results)
    assert not chat_requests(srv)
    assert [b["status"] for b in batches] == ["expired", "completed"]
    assert [b["metadata"]["wom_round"] for b in batches] == ["1", "2"]
    assert sum(b["request_counts"]["completed"] for b in batches) == N


def test_follow_up_batches_are_bounded_then_the_reviews_end_as_typed_errors() -> None:
    timing = BatchTiming(validate=20, per_line=1, finalize=10, window=22)
    with server(timing=timing) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(8), retry="batch", retry_rounds=1)
        results = job.results()
    _assert_every_id_once(results, 8)
    failed = [r for r in results if r.error]
    assert failed
    assert {(r.error.kind, r.error.type) for r in failed if r.error} == {
        ("batch_api", "BatchAPIError")}
    assert all("completion window" in r.error.message for r in failed if r.error)
    assert len(srv.batches.batches) == 2  # the first, and one follow-up


def test_a_malformed_output_line_is_run_again() -> None:
    with server(malformed=lambda cid: cid == "1-3") as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(10))
        results = job.results()
    _assert_every_id_once(results, 10)
    assert all(r.ok for r in results)
    assert job.stats == {"malformed_lines": 1, "missing_lines": 1, "online_reruns": 1}
    assert results[3].insight is not None
    assert "batch_id" not in results[3].insight.extra


def test_failed_lines_are_run_again_and_invalid_answers_are_re_asked_online() -> None:
    plan = FaultPlan(script=["500", "invalid_json", None, "schema_break"])
    with server(faults=plan) as srv:
        a = analyzer(srv, structured_output="json_schema")
        results = a.submit_batch(reviews(6)).results()
        online = chat_requests(srv)
    _assert_every_id_once(results, 6)
    assert all(r.ok for r in results)
    roles = sorted([m["role"] for m in r["messages"]] for r in online)
    # The 500 line starts over; the two invalid answers continue their dialogue (re-ask).
    assert roles == [["system", "user"], ["system", "user", "assistant", "user"],
                     ["system", "user", "assistant", "user"]]
    usage = {r.id: r.insight.usage.requests for r in results if r.insight}
    assert usage["r1"] == 2  # the batch answer and the re-ask, both counted


def test_a_re_ask_goes_into_the_follow_up_batch_when_asked() -> None:
    plan = FaultPlan(script=["invalid_json"])
    with server(faults=plan) as srv:
        a = analyzer(srv, structured_output="json_schema")
        results = a.submit_batch(reviews(3), retry="batch").results()
        lines = _input_lines(srv)
    _assert_every_id_once(results, 3)
    assert all(r.ok for r in results)
    assert not chat_requests(srv)
    reask = [x for x in lines if x["custom_id"].startswith("2-")]
    assert len(reask) == 1
    assert [m["role"] for m in reask[0]["body"]["messages"]] == [
        "system", "user", "assistant", "user"]


def test_an_answer_that_never_validates_ends_as_a_validation_error() -> None:
    plan = FaultPlan(decide=lambda i, body: "invalid_json" if "(1)" in json.dumps(
        body["messages"], ensure_ascii=False) else None)
    with server(faults=plan) as srv:
        a = analyzer(srv, structured_output="json_schema", max_reasks=1)
        srv._app._faults = type(srv._app._faults)(plan)  # the online re-ask fails too
        results = a.submit_batch(reviews(3)).results()
    _assert_every_id_once(results, 3)
    assert results[1].error is not None
    assert results[1].error.kind == "validation"
    assert results[1].error.attempts == 2


def test_cancel_keeps_what_finished_and_ends_the_rest_as_cancelled() -> None:
    with server(clock=StepClock(2)) as srv:
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), max_requests_per_file=20)
        job.refresh()
        job.cancel()
        assert job.status == "cancelling"
        results = job.results()
    _assert_every_id_once(results)
    assert job.status == "cancelled"
    cancelled = [r for r in results if r.error]
    assert cancelled
    assert {r.error.message.split(" (")[0] for r in cancelled if r.error} <= {
        "the batch did not run this request", "the batch was cancelled before this review ran"}
    assert all(r.insight is not None for r in results if not r.error)
    assert not chat_requests(srv)  # cancelled reviews are not re-run


def test_a_batch_cancelled_elsewhere_cancels_the_whole_job() -> None:
    with server(clock=StepClock(2)) as srv:
        job = analyzer(srv, structured_output="json_schema").submit_batch(
            reviews(N), max_requests_per_file=10)
        first = job.batch_ids[0]

        def dashboard(j: BatchJob) -> None:  # someone cancels one batch by hand
            if srv.batches.retrieve(first)[1]["status"] == "in_progress":
                srv.batches.cancel(first)

        job.wait(on_progress=dashboard)
        results = job.results()
        statuses = [b["status"] for b in srv.batches.batches]
    _assert_every_id_once(results)
    assert job.status == "cancelled"
    assert statuses[0] == "cancelled"
    assert "in_progress" not in statuses
    assert any(r.error for r in results)
    assert not chat_requests(srv)


def test_packs_map_back_to_review_ids_and_a_missing_review_runs_alone() -> None:
    def drop_second(request: dict[str, Any]) -> str:
        from fakeserver import wom_responder

        answer = json.loads(wom_responder(request))
        if "results" in answer and len(answer["results"]) > 1:
            answer["results"] = [x for x in answer["results"] if x["id"] != "r2"]
        return json.dumps(answer, ensure_ascii=False)

    with server() as srv:
        srv._app._responder = drop_second
        a = analyzer(srv, structured_output="json_schema")
        job = a.submit_batch(reviews(N), pack=5)
        results = job.results()
        lines = _input_lines(srv)
        online = chat_requests(srv)
    _assert_every_id_once(results)
    assert all(r.ok for r in results)
    assert len(lines) == N // 5
    assert all(x["body"]["response_format"]["json_schema"]["name"] == "wom_analyze_pack"
               for x in lines)
    assert len(online) == N // 5  # the second review of each pack, alone
    packed = [r for r in results if r.insight and r.insight.extra.get("packed_with")]
    assert len(packed) == N - N // 5


async def test_the_async_twin() -> None:
    with server(clock=StepClock(2)) as srv:
        async with async_analyzer(srv, structured_output="json_schema") as a:
            job = await a.submit_batch(reviews(N), max_requests_per_file=10)
            assert len(job.batch_ids) == 3
            assert await job.refresh() in ("validating", "in_progress")
            results = await job.results()
    _assert_every_id_once(results)
    assert all(r.ok for r in results)
    assert job.status == "completed"


async def test_the_async_twin_cancels_and_re_runs_online() -> None:
    timing = BatchTiming(validate=20, per_line=1, finalize=10, window=30)
    with server(timing=timing) as srv:
        async with async_analyzer(srv) as a:
            job = await a.submit_batch(reviews(N))
            results = await job.results()
    _assert_every_id_once(results)
    assert all(r.ok for r in results)
    assert job.stats["online_reruns"] > 0


def test_results_are_appended_to_the_output_and_a_new_process_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with server() as srv:
        a = analyzer(srv, structured_output="json_schema")
        first = a.submit_batch(reviews(N), output=out, max_requests_per_file=10)
        first._close()  # the process "dies" here: its lock goes, the state file stays
        assert (tmp_path / "out.jsonl.batch.json").exists()
        again = analyzer(srv, structured_output="json_schema")
        job = again.submit_batch(reviews(N), output=out, max_requests_per_file=10)
        results = job.results()
        assert uploads(srv) == 3
        assert len(srv.batches.batches) == 3  # nothing paid twice
    _assert_every_id_once(results)
    written = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(written) == sorted(f"r{i}" for i in range(N))
    # A finished job read back from its output in yet another process.
    with server() as srv2:
        third = analyzer(srv2, structured_output="json_schema")
        rerun = third.submit_batch(reviews(N), output=out).results()
        assert not srv2.batches.batches
    assert [r.id for r in rerun] == [r.id for r in results]
    assert all(isinstance(r.insight, ReviewInsight) for r in rerun)


def test_ids_must_be_unique() -> None:
    with server() as srv, pytest.raises(ValueError, match="unique"):
        analyzer(srv).submit_batch([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}])


def test_an_empty_review_is_a_typed_error_and_never_sent() -> None:
    items = [*reviews(3), {"id": "empty", "text": "   "}]
    with server() as srv:
        results = analyzer(srv, structured_output="json_schema").submit_batch(items).results()
        lines = _input_lines(srv)
    assert [r.id for r in results] == ["r0", "r1", "r2", "empty"]
    assert results[3].error is not None
    assert results[3].error.kind == "invalid_review"
    assert len(lines) == 3


def test_a_file_the_provider_refuses_stops_wait_with_the_reason() -> None:
    with server(max_requests=4) as srv:
        job = analyzer(srv, structured_output="json_schema").submit_batch(reviews(6))
        with pytest.raises(BatchAPIError, match="too_many_tasks"):
            job.wait()
        assert not job.done
        with pytest.raises(BatchAPIError, match="too_many_tasks"):
            job.results()  # not the few results there are: the job did not finish


def test_after_a_refused_file_other_settings_start_a_new_job(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    with server(max_requests=4) as srv:
        a = analyzer(srv, structured_output="json_schema")
        with pytest.raises(BatchAPIError, match="too_many_tasks"):
            a.submit_batch(reviews(6), output=out).wait()
        # Nothing of the refused job can be collected: smaller files start afresh.
        results = a.submit_batch(reviews(6), output=out, max_requests_per_file=3).results()
        statuses = [b["status"] for b in srv.batches.batches]
    _assert_every_id_once(results, 6)
    assert all(r.ok for r in results)
    assert statuses == ["failed", "completed", "completed"]


def test_timing_options_are_checked() -> None:
    from wom_sdk import ConfigurationError

    with server() as srv:
        a = analyzer(srv)
        for bad in ({"pack": 0}, {"retry": "later"}, {"retry_rounds": -1},
                    {"max_requests_per_file": 0}, {"metadata": {f"k{i}": "v" for i in range(14)}}):
            with pytest.raises(ConfigurationError):
                a.submit_batch(reviews(2), **bad)
    assert TIMING.window == 86_400
