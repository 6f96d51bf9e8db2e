"""Ollama's OpenAI compatibility: json_schema (v0.5+), prompt_tokens 0 for a cached prompt."""

from __future__ import annotations

from fakeserver import FaultPlan, Ollama
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve

PROVIDER = Provider(Ollama(), model="llama3.2", first=1, mode="json_schema")


def test_the_three_tasks_and_a_pack() -> None:
    with serve(PROVIDER) as srv:
        run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)


def test_a_cached_prompt_reporting_zero_prompt_tokens_is_fine() -> None:
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv)
        a.analyze(REVIEW_ZH)
        again = a.analyze(REVIEW_ZH)
        assert again.usage.requests == 1
        assert again.usage.prompt_tokens == 0
        assert a.usage.requests == 2


def test_a_dropped_connection_is_retried() -> None:
    # A local server restarting mid-batch drops the connection: retried, not lost.
    with serve(PROVIDER, FaultPlan(script=["drop"])) as srv:
        insight = analyzer(PROVIDER, srv).analyze(REVIEW_ZH)
        assert insight.usage.requests == 1
        assert chat_requests(srv) == 2
