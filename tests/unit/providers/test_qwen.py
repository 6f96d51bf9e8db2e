"""Qwen through DashScope's compatible mode: json_object, DashScope's error bodies."""

from __future__ import annotations

from fakeserver import FaultPlan, Qwen
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve

PROVIDER = Provider(Qwen(), model="qwen-plus", first=2, mode="json_object")


def test_one_probe_then_json_object_for_every_review() -> None:
    with serve(PROVIDER) as srv:
        modes = run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        assert list(modes.values()) == ["json_object"]
        assert srv.requests[0].path == "/compatible-mode/v1/chat/completions"


def test_a_rate_limit_is_waited_out_not_taken_for_a_refused_format() -> None:
    with serve(PROVIDER, FaultPlan(script=["429"], retry_after=0.01)) as srv:
        insight = analyzer(PROVIDER, srv).analyze(REVIEW_ZH)
        assert insight.extra["structured_output"] == "json_object"
        assert chat_requests(srv) == 3  # 429, then the json_schema probe, then json_object
