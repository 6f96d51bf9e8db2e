"""vLLM's OpenAI-compatible server: json_schema, and its flat error object."""

from __future__ import annotations

import pytest

from fakeserver import VLLM
from helpers.providers import REVIEW_ZH, Provider, analyzer, chat_requests, run_tasks, serve
from wom_sdk import BadRequestError

PROVIDER = Provider(VLLM(), model="Qwen/Qwen2.5-7B-Instruct", first=1, mode="json_schema")


def test_the_three_tasks_and_a_pack() -> None:
    with serve(PROVIDER) as srv:
        run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)


def test_a_context_too_small_is_a_clear_error_not_a_refused_format() -> None:
    small = Provider(VLLM(max_model_len=1200), model="m", first=1, mode="json_schema")
    with serve(small) as srv:
        with pytest.raises(BadRequestError, match="maximum context length is 1200"):
            analyzer(small, srv).analyze(REVIEW_ZH)
        assert chat_requests(srv) == 1  # not retried, not taken for a format to step down from
