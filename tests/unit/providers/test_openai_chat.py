"""OpenAI chat models (gpt-4.1-mini): strict json_schema at once, and tools on demand."""

from __future__ import annotations

from fakeserver import FaultPlan, OpenAIChat
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve

PROVIDER = Provider(OpenAIChat(), model="gpt-4.1-mini", first=1, mode="json_schema")


def test_the_three_tasks_and_a_pack() -> None:
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv)
        modes = run_tasks(PROVIDER, a, srv)
        assert list(modes.values()) == ["json_schema"]
        body = srv.requests[0].body
        # A chat model gets max_tokens and the analyzer's temperature, as before.
        assert body["max_tokens"] == 1024
        assert body["temperature"] == 0.0
        assert body["response_format"]["json_schema"]["strict"] is True


def test_a_server_error_is_retried_not_taken_for_a_refused_format() -> None:
    with serve(PROVIDER, FaultPlan(script=["503"])) as srv:
        insight = analyzer(PROVIDER, srv).analyze(REVIEW_ZH)
        assert chat_requests(srv) == 2
        assert insight.extra["structured_output"] == "json_schema"


def test_tool_calling_with_a_strict_schema_on_demand() -> None:
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv, structured_output="tools")
        insight = a.analyze(REVIEW_ZH)
        body = srv.requests[0].body
        tool = body["tools"][0]["function"]
        assert tool["name"] == "wom_analyze"
        assert tool["strict"] is True
        assert body["tool_choice"] == {"type": "function", "function": {"name": "wom_analyze"}}
        assert "response_format" not in body
        assert insight.extra["structured_output"] == "tools"
        assert [c.quote for c in insight.complaints]
        assert a.analyze_many(["屏幕太暗了，看不清", "物流很快"], pack=10)[0].ok
