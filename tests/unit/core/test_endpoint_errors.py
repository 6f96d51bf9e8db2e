"""Errors a user can act on: one class per status, a wrong URL said at once, settings checked."""

from __future__ import annotations

import openai
import pytest

import wom_sdk
from helpers.answers import REVIEW, insight_json, make_analyzer
from wom_sdk import (
    ConfigurationError,
    IncompatibleEndpointError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
    ReviewAnalyzer,
    UnprocessableEntityError,
)
from wom_sdk._config import azure_v1_base_url, resolve_settings
from wom_sdk.testing import FAKE_BASE_URL, FakeLLM, Reply, api_error


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (Reply(200, "<html><body>Welcome to nginx!</body></html>",
               {"content-type": "text/html"}), "with an HTML page"),
        (Reply(200, {"status": "ok", "data": [1, 2]}), "JSON without 'choices'"),
        (Reply(200, "not json at all", {"content-type": "application/json"}), "not JSON"),
        (Reply(404, "<html>404 Not Found</html>", {"content-type": "text/html"}), "HTML page"),
    ],
)
def test_a_url_that_is_not_an_openai_api_is_said_at_once(
        reply: Reply, what: str, fast_retry: RetryPolicy) -> None:
    llm = FakeLLM(then=reply)
    with pytest.raises(IncompatibleEndpointError) as info:
        make_analyzer(llm, fast_retry).analyze(REVIEW)
    message = str(info.value)
    assert "this does not look like an OpenAI-compatible endpoint" in message
    assert FAKE_BASE_URL in message
    assert what in message
    assert len(llm.requests) == 1  # no retries: a wrong URL stays wrong
    assert info.value.url == FAKE_BASE_URL


def test_a_batch_against_a_wrong_url_fails_every_review_with_that_kind(
        fast_retry: RetryPolicy) -> None:
    llm = FakeLLM(then=Reply(200, "<html></html>", {"content-type": "text/html"}))
    results = make_analyzer(llm, fast_retry).analyze_many([REVIEW, "好评"])
    assert {r.error.kind for r in results if r.error} == {"incompatible_endpoint"}


@pytest.mark.parametrize(
    ("status", "cls", "says"),
    [
        (403, PermissionDeniedError, "may not use model 'mock-model'"),
        (404, NotFoundError, f"model 'mock-model' not found at {FAKE_BASE_URL}"),
        (422, UnprocessableEntityError, "could not process"),
    ],
)
def test_each_status_has_its_class_under_api_status_error(
        status: int, cls: type[Exception], says: str, fast_retry: RetryPolicy) -> None:
    llm = FakeLLM(then=api_error(status, "nope"))
    with pytest.raises(cls) as info:
        make_analyzer(llm, fast_retry).analyze(REVIEW)
    assert isinstance(info.value, wom_sdk.APIStatusError)
    assert says in str(info.value)


def test_a_json_schema_answered_in_prose_steps_to_tools(fast_retry: RetryPolicy) -> None:
    # An endpoint that ignores response_format and answers prose: the same request
    # goes again as a forced tool call (not a re-ask), and the mode is remembered.
    llm = FakeLLM(["I read the review. The customer is unhappy about the battery."],
                  then=insight_json(REVIEW))
    a = make_analyzer(llm, fast_retry)
    insight = a.analyze(REVIEW)
    assert insight.extra["structured_output"] == "tools"
    assert "tools" in llm.requests[1].body
    assert len(llm.requests[1].messages) == 2  # a resend, not a re-ask
    a.analyze(REVIEW)
    assert "tools" in llm.requests[2].body


# -- settings ---------------------------------------------------------------------------------
def test_azure_endpoint_and_key_come_from_the_environment() -> None:
    env = {"AZURE_OPENAI_ENDPOINT": "https://shop.openai.azure.com",
           "AZURE_OPENAI_API_KEY": "az-key", "OPENAI_API_KEY": "oa-key"}
    s = resolve_settings(model=None, api_key=None, base_url=None, environ=env)
    assert s.base_url == "https://shop.openai.azure.com/openai/v1/"
    assert s.api_key.get_secret_value() == "az-key"
    # OPENAI_BASE_URL wins over the Azure endpoint, and then the OpenAI key applies
    s = resolve_settings(model=None, api_key=None, base_url=None,
                         environ={**env, "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    assert s.api_key.get_secret_value() == "oa-key"
    assert azure_v1_base_url("https://r.openai.azure.com/openai/v1") == (
        "https://r.openai.azure.com/openai/v1/")


def test_a_key_provider_is_kept_apart_and_never_printed() -> None:
    s = resolve_settings(model=None, api_key=lambda: "tok", base_url="https://x.test/v1",
                         environ={})
    assert s.key_provider is not None
    assert s.key_provider() == "tok"
    with pytest.raises(TypeError, match="api_key must be a str or a callable"):
        resolve_settings(model=None, api_key=123, base_url=None, environ={})  # type: ignore[arg-type]


def test_own_client_settings_are_checked() -> None:
    mine = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:1/v1")
    with pytest.raises(ConfigurationError, match="client= carries its own"):
        ReviewAnalyzer(client=mine, api_key="other")
    a = ReviewAnalyzer(client=mine)
    assert a.base_url == "http://127.0.0.1:1/v1/"
    with pytest.raises(TypeError, match=r"takes an openai\.AsyncOpenAI"):
        wom_sdk.AsyncReviewAnalyzer(client=mine)._get_client()
    with pytest.raises(ConfigurationError, match="reasoning_effort must be one of"):
        ReviewAnalyzer(base_url="http://x.test/v1", reasoning_effort="extreme")  # type: ignore[arg-type]
    mine.close()
