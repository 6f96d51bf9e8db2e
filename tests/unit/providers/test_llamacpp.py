"""llama-cpp-python's server (the bundled model's): 500 to json_schema, json_object + schema."""

from __future__ import annotations

from fakeserver import FaultPlan, LlamaCpp
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve

PROVIDER = Provider(LlamaCpp(), model="gemma-3-270m", first=2, mode="json_object_schema")


def test_one_probe_then_json_object_with_the_schema() -> None:
    with serve(PROVIDER) as srv:
        modes = run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        assert list(modes.values()) == ["json_object_schema"]
        fmt = srv.requests[1].body["response_format"]
        assert fmt["type"] == "json_object"
        assert "schema" in fmt
        assert "max_tokens" in srv.requests[1].body  # what the cassettes recorded


def test_a_truncated_answer_gets_one_retry() -> None:
    # The refused probe never reaches the fault plan (the server validates first).
    with serve(PROVIDER, FaultPlan(script=["truncate"])) as srv:
        insight = analyzer(PROVIDER, srv).analyze(REVIEW_ZH)
        assert chat_requests(srv) == 3  # the probe, the cut answer, the retry
        assert insight.usage.requests == 2  # both answers are paid for
