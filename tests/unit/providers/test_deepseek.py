"""DeepSeek: no json_schema, JSON Output with the word "json" in the prompt."""

from __future__ import annotations

import pytest

from fakeserver import DeepSeek
from helpers.providers import PACK, REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve
from wom_sdk import UnsupportedFeatureError

PROVIDER = Provider(DeepSeek(), model="deepseek-chat", first=2, mode="json_object")


def test_one_probe_then_json_output_for_every_review() -> None:
    with serve(PROVIDER) as srv:
        modes = run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        assert list(modes.values()) == ["json_object"]
        probe, answered = srv.requests[0].body, srv.requests[1].body
        assert probe["response_format"]["type"] == "json_schema"
        assert answered["response_format"] == {"type": "json_object"}
        # DeepSeek's JSON Output wants the word "json" in the prompt: the schema is there.
        assert "json" in answered["messages"][0]["content"].lower()


def test_forcing_json_schema_says_the_provider_cannot() -> None:
    with serve(PROVIDER) as srv:
        with pytest.raises(UnsupportedFeatureError) as info:
            analyzer(PROVIDER, srv, structured_output="json_schema").analyze(REVIEW_ZH)
        assert info.value.feature == "structured_output='json_schema'"
        assert "unavailable" in str(info.value)
        assert "deepseek-chat" in str(info.value)
        assert chat_requests(srv) == 1


def test_a_batch_pays_one_probe_not_one_per_review_in_flight() -> None:
    with serve(PROVIDER) as srv:
        results = analyzer(PROVIDER, srv).analyze_many(PACK[:8], max_concurrency=8)
        assert all(r.ok for r in results)
        assert chat_requests(srv) == 8 + 1  # the first review probes; the others wait for it
