"""OpenAI reasoning models (gpt-6-luna, o-series, GPT-5): right at once, with no setting."""

from __future__ import annotations

import pytest

from fakeserver import OpenAIReasoning
from helpers.providers import (
    REVIEW_ZH,
    Provider,
    analyzer,
    base_url,
    chat_requests,
    run_tasks,
    serve,
)
from wom_sdk import ReviewAnalyzer, UnsupportedFeatureError

# No model given: the default model is one of them.
PROVIDER = Provider(OpenAIReasoning(), model="", first=1, mode="json_schema")


def test_the_default_model_works_without_any_setting() -> None:
    with serve(PROVIDER) as srv:
        a = ReviewAnalyzer(base_url=base_url(PROVIDER, srv), api_key="k", retry=None)
        assert a.model == "gpt-6-luna"
        modes = run_tasks(PROVIDER, a, srv)
        assert list(modes.values()) == ["json_schema"]
        body = srv.requests[0].body
        assert "max_tokens" not in body
        assert "temperature" not in body
        # the visible answer (1024) plus the reasoning allowance at the default effort (6144)
        assert body["max_completion_tokens"] == 1024 + 6144
        assert "reasoning_effort" not in body  # the model's own default


def test_hidden_reasoning_is_counted_in_the_completion_tokens() -> None:
    with serve(PROVIDER) as srv:
        insight = analyzer(PROVIDER, srv, model="gpt-6-luna").analyze(REVIEW_ZH)
        assert insight.usage.completion_tokens > 1800  # the reasoning the fake spent


def test_an_unknown_deployment_name_is_adapted_once_and_remembered() -> None:
    # An Azure deployment or gateway alias says nothing of the model behind it: the
    # 400 naming max_tokens (code unsupported_parameter) adapts every reasoning rule at once.
    provider = Provider(OpenAIReasoning(), model="reviews-prod", first=2, mode="json_schema")
    with serve(provider) as srv:
        modes = run_tasks(provider, analyzer(provider, srv), srv)
        assert list(modes.values()) == ["json_schema"]  # the format was never in question
        first, second, third = (r.body for r in srv.requests[:3])
        assert "max_tokens" in first
        assert "temperature" in first
        assert "max_tokens" not in second
        assert "temperature" not in second
        assert second["max_completion_tokens"] == third["max_completion_tokens"] == 1024 + 6144
        assert second["response_format"]["type"] == "json_schema"


def test_a_temperature_the_caller_set_is_refused_loudly_not_dropped() -> None:
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv, model="o4-mini", temperature=0.3)
        with pytest.raises(UnsupportedFeatureError) as info:
            a.analyze(REVIEW_ZH)
        assert info.value.feature == "temperature"
        assert "o4-mini" in str(info.value)
        assert "Only the default (1)" in str(info.value)
        assert chat_requests(srv) == 1  # no retries of the same mistake


def test_reasoning_effort_sizes_the_budget_and_is_sent() -> None:
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv, model="gpt-5.4-mini", reasoning_effort="high")
        assert a.analyze(REVIEW_ZH).usage.requests == 1
        body = srv.requests[0].body
        assert body["reasoning_effort"] == "high"
        assert body["max_completion_tokens"] == 1024 + 16384


def test_a_model_that_thinks_past_its_budget_gets_one_retry_with_twice_the_room() -> None:
    provider = Provider(OpenAIReasoning(reasoning_scale=5.0), model="gpt-6-luna", first=2,
                        mode="json_schema")
    with serve(provider) as srv:
        insight = analyzer(provider, srv).analyze(REVIEW_ZH)
        caps = [r.body["max_completion_tokens"] for r in srv.requests]
        assert caps == [7168, 14336]
        assert insight.usage.requests == 2  # the cut answer is paid for and counted


def test_tools_need_reasoning_effort_none_on_chat_completions() -> None:
    with serve(PROVIDER) as srv:
        forced = analyzer(PROVIDER, srv, model="gpt-6-luna", structured_output="tools")
        with pytest.raises(UnsupportedFeatureError, match="structured_output='tools'"):
            forced.analyze(REVIEW_ZH)
        ok = analyzer(PROVIDER, srv, model="gpt-6-luna", structured_output="tools",
                      reasoning_effort="none")
        assert ok.analyze(REVIEW_ZH).extra["structured_output"] == "tools"
