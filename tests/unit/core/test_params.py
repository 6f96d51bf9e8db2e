"""Request parameters that adapt (``_llm._params``); what an error rejected (``_rejections``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wom_sdk import APIStatusError
from wom_sdk._llm import EndpointMemory, Rejected, classify, error_fields, is_reasoning_model
from wom_sdk._llm._params import ParamRules, adapt, initial_rules, output_budget


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("o1", True), ("o3-mini", True), ("o4-mini-2025-04-16", True), ("gpt-5", True),
        ("gpt-5.4-nano", True), ("gpt-6-luna", True), ("openai/gpt-5-mini", True),
        ("gpt-4o-mini", False), ("gpt-4.1-mini", False), ("deepseek-chat", False),
        ("qwen-plus", False), ("gemma-3-270m", False), ("o", False), ("gpt-50x", False),
        ("claude-opus-4", False), ("reviews-prod", False),
    ],
)
def test_reasoning_models_are_told_by_their_documented_family_names(
        model: str, reasoning: bool) -> None:
    assert is_reasoning_model(model) is reasoning
    rules = initial_rules(model)
    assert rules.token_param == ("max_completion_tokens" if reasoning else "max_tokens")
    assert ("temperature" in rules.dropped) is reasoning


def test_the_budget_of_a_reasoning_model_covers_its_thinking() -> None:
    chat, reasoning = initial_rules("gpt-4.1-mini"), initial_rules("gpt-6-luna")
    assert output_budget(1024, chat, None) == 1024
    assert output_budget(1024, reasoning, None) == 1024 + 6144  # medium, the default
    assert output_budget(1024, reasoning, "none") == 1024
    assert output_budget(1024, reasoning, "high") == 1024 + 16384


def test_max_tokens_refused_means_a_reasoning_model_all_at_once() -> None:
    rules = adapt(ParamRules(), "max_tokens", "unsupported_parameter", frozenset())
    assert rules is not None
    assert rules.token_param == "max_completion_tokens"
    assert rules.reasoning
    assert {"temperature", "top_p"} <= rules.dropped
    # the same mistake is never adapted twice: no loop
    assert adapt(rules, "max_tokens", "unsupported_parameter", frozenset()) is None


def test_a_parameter_the_caller_set_is_not_dropped() -> None:
    user_set = frozenset({"temperature"})
    assert adapt(ParamRules(), "temperature", "unsupported_value", user_set) is None
    assert adapt(ParamRules(), "seed", "unsupported_parameter", frozenset()) == ParamRules(
        dropped=frozenset({"seed"}), adapted=frozenset({"seed"}))
    # not a sampling parameter: nothing the analysis can do without
    assert adapt(ParamRules(), "messages", None, frozenset()) is None


def test_memory_learns_once_and_a_stale_request_gets_the_news() -> None:
    memory = EndpointMemory()
    key = ("https://x/v1", "reviews-prod")
    sent = memory.rules(key)
    learned = memory.adapt(key, sent, "max_tokens", "unsupported_parameter", frozenset())
    assert learned is not None
    assert learned.token_param == "max_completion_tokens"
    # a second request built before the first one learned: gets the new rules, no new step
    assert memory.adapt(key, sent, "max_tokens", "unsupported_parameter", frozenset()) == learned
    assert memory.rules(key) == learned


def _error(status: int, body: Any) -> APIStatusError:
    text = body if isinstance(body, str) else json.dumps(body)
    return APIStatusError("error", status_code=status, body=text)


SENT = {"model": "m", "messages": [], "max_tokens": 10, "temperature": 0.0,
        "response_format": {"type": "json_schema"}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "param"),
    [
        # OpenAI's reasoning models: the message says "Unsupported", the param decides
        (400, {"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with "
                         "this model. Use 'max_completion_tokens' instead.",
                         "type": "invalid_request_error", "param": "max_tokens",
                         "code": "unsupported_parameter"}}, Rejected.PARAMETER, "max_tokens"),
        (400, {"error": {"message": "Unsupported value: 'temperature' does not support 0 with "
                         "this model. Only the default (1) value is supported.",
                         "param": "temperature", "code": "unsupported_value"}},
         Rejected.PARAMETER, "temperature"),
        # a refused format, by param
        (400, {"error": {"message": "Invalid parameter: 'response_format' of type "
                         "'json_schema' is not supported with this model.",
                         "param": "response_format", "code": None}},
         Rejected.OUTPUT_MODE, "response_format"),
        # DeepSeek: no param, the words decide (the last resort)
        (400, {"error": {"message": "This response_format type is unavailable now",
                         "type": "invalid_request_error", "param": None,
                         "code": "invalid_request_error"}}, Rejected.OUTPUT_MODE, None),
        # Gemini: a list around the error; an unknown field we sent
        (400, [{"error": {"code": 400, "message": 'Invalid JSON payload received. Unknown '
                          'name "temperature": Cannot find field.',
                          "status": "INVALID_ARGUMENT"}}], Rejected.PARAMETER, "temperature"),
        # vLLM before 0.10.1: a flat object; a context error is neither
        (400, {"object": "error", "message": "This model's maximum context length is 2048 "
               "tokens.", "type": "BadRequestError", "param": None, "code": 400},
         Rejected.OTHER, None),
        # llama-cpp-python: a 500 naming the format; a bare 500 is a hiccup
        (500, {"error": {"message": "('body', 'response_format', 'type') Input should be "
                         "'text' or 'json_object'", "type": "internal_server_error"}},
         Rejected.OUTPUT_MODE, None),
        (500, {"error": {"message": "The server had an error while processing your request."}},
         Rejected.OTHER, None),
        # Azure's content filter
        (400, {"error": {"message": "The response was filtered", "param": "prompt",
                         "code": "content_filter", "status": 400}},
         Rejected.CONTENT_FILTER, "prompt"),
        # JSON mode without the word: the format's requirement, not the messages'
        (400, {"error": {"message": "'messages' must contain the word 'json' in some form, to "
                         "use 'response_format' of type 'json_object'.", "param": "messages"}},
         Rejected.OUTPUT_MODE, "response_format"),
        # FastAPI's 422 detail
        (422, {"detail": [{"loc": ["body", "response_format"], "msg": "bad"}]},
         Rejected.OUTPUT_MODE, None),
    ],
)
def test_what_an_error_rejected_is_read_from_its_structured_fields(
        status: int, body: Any, kind: Rejected, param: str | None) -> None:
    rejection = classify(_error(status, body), SENT)
    assert (rejection.kind, rejection.param) == (kind, param)


def test_error_fields_tolerate_any_body() -> None:
    assert error_fields(None).message == ""
    assert error_fields("<html>oops</html>").message == "<html>oops</html>"
    assert error_fields('{"error": "plain string"}').message == "plain string"
    assert error_fields("[]").message == "[]"
