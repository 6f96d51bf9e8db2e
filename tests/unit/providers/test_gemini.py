"""Gemini's OpenAI compatibility layer: json_schema, errors wrapped in a list."""

from __future__ import annotations

import pytest

from fakeserver import Gemini
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve
from wom_sdk import UnsupportedFeatureError

PROVIDER = Provider(Gemini(), model="gemini-3-flash-preview", first=1, mode="json_schema")


def test_the_three_tasks_and_a_pack() -> None:
    with serve(PROVIDER) as srv:
        run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        assert srv.requests[0].path == "/v1beta/openai/chat/completions"


def test_an_unknown_field_is_read_from_the_list_shaped_error() -> None:
    with serve(PROVIDER) as srv:
        with pytest.raises(UnsupportedFeatureError) as info:
            analyzer(PROVIDER, srv, sampling={"logit_bias": {"1": 1}}).analyze(REVIEW_ZH)
        assert info.value.feature == "logit_bias"
        assert 'Unknown name "logit_bias"' in str(info.value)
        assert chat_requests(srv) == 1
