"""Anthropic's OpenAI SDK compatibility layer: response_format ignored, the text path holds."""

from __future__ import annotations

import pytest

from fakeserver import Anthropic
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve
from wom_sdk import UnsupportedFeatureError

PROVIDER = Provider(Anthropic(), model="claude-sonnet-4-5", first=1, mode="json_schema")


def test_a_fenced_json_answer_in_prose_still_gives_a_validated_insight() -> None:
    with serve(PROVIDER) as srv:
        modes = run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        # The layer accepts json_schema and ignores it; the answer comes as text
        # ("Here is the analysis: ```json ...```") and is extracted and validated.
        assert list(modes.values()) == ["json_schema"]


def test_tools_work_though_strict_is_ignored() -> None:
    with serve(PROVIDER) as srv:
        insight = analyzer(PROVIDER, srv, structured_output="tools").analyze(REVIEW_ZH)
        assert insight.extra["structured_output"] == "tools"
        assert [c.quote for c in insight.complaints]


def test_a_parameter_the_layer_refuses_names_itself() -> None:
    with serve(PROVIDER) as srv:
        with pytest.raises(UnsupportedFeatureError) as info:
            analyzer(PROVIDER, srv, sampling={"n": 2}).analyze(REVIEW_ZH)
        assert info.value.feature == "n"
        assert chat_requests(srv) == 1
