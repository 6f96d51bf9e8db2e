"""Azure OpenAI's v1 API: keys, Entra ID tokens, the environment, content filters, BYO client."""

from __future__ import annotations

import itertools

import openai
import pytest

from fakeserver import Azure, FaultPlan
from helpers.providers import (
    RETRY,
    REVIEW_ZH,
    Provider,
    analyzer,
    base_url,
    chat_requests,
    run_tasks,
    serve,
)
from wom_sdk import (
    AuthenticationError,
    ContentFilterError,
    NotFoundError,
    ReviewAnalyzer,
)

KEY = "azure-test-key"
PROVIDER = Provider(Azure(api_key=KEY, tokens=frozenset({"entra-1", "entra-2"})),
                    model="reviews-gpt", first=1, mode="json_schema",
                    analyzer_kwargs={"api_key": KEY})


def test_the_three_tasks_and_a_pack_on_the_v1_endpoint() -> None:
    with serve(PROVIDER) as srv:
        run_tasks(PROVIDER, analyzer(PROVIDER, srv), srv)
        assert srv.requests[0].path == "/openai/v1/chat/completions"
        assert "api-version" not in srv.requests[0].path  # the v1 API needs none


def test_the_azure_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(PROVIDER) as srv:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", srv.url)  # what the portal shows
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
        a = ReviewAnalyzer(model="reviews-gpt", retry=RETRY)
        assert a.base_url == srv.url + "/openai/v1/"
        assert a.analyze(REVIEW_ZH).usage.requests == 1


def test_an_entra_id_token_provider_gives_each_request_a_fresh_token() -> None:
    tokens = itertools.cycle(["entra-1", "entra-2"])
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv, api_key=lambda: next(tokens))
        a.analyze(REVIEW_ZH)
        a.analyze(REVIEW_ZH + "!")
        sent = [r.headers["authorization"] for r in srv.requests]
        assert sent == ["Bearer entra-1", "Bearer entra-2"]
        assert "entra" not in repr(a)


async def test_the_async_twin_awaits_a_sync_or_async_token_provider() -> None:
    from wom_sdk import AsyncReviewAnalyzer

    async def token() -> str:
        return "entra-2"

    with serve(PROVIDER) as srv:
        for provider in (lambda: "entra-1", token):
            async with AsyncReviewAnalyzer(model="reviews-gpt", base_url=base_url(PROVIDER, srv),
                                           api_key=provider, retry=RETRY) as a:
                assert (await a.analyze(REVIEW_ZH)).usage.requests == 1
        assert [r.headers["authorization"] for r in srv.requests] == [
            "Bearer entra-1", "Bearer entra-2"]


def test_your_own_client_is_used_with_its_headers_and_without_its_retries() -> None:
    with serve(PROVIDER, FaultPlan(script=["503", "503"])) as srv:
        mine = openai.OpenAI(base_url=base_url(PROVIDER, srv), api_key="unused",
                             default_headers={"api-key": KEY}, max_retries=5)
        a = ReviewAnalyzer(model="reviews-gpt", client=mine, retry=RETRY)
        assert a.analyze(REVIEW_ZH).usage.requests == 1
        assert chat_requests(srv) == 3  # our 3 attempts; the client's own 5 retries are off
        assert srv.requests[0].headers["api-key"] == KEY
        a.close()
        assert not mine.is_closed()  # the caller's client stays the caller's
        mine.close()


def test_a_prompt_the_content_filter_refuses_is_that_review_s_typed_error() -> None:
    with serve(PROVIDER) as srv:
        a = analyzer(PROVIDER, srv)
        with pytest.raises(ContentFilterError, match="content filter"):
            a.analyze("FILTER-ME 这条评论")
        results = a.analyze_many(["FILTER-ME 这条评论", REVIEW_ZH])
        assert [r.error.kind if r.error else None for r in results] == ["content_filter", None]


def test_an_answer_the_output_filter_stops_is_that_review_s_typed_error() -> None:
    with serve(PROVIDER) as srv:
        with pytest.raises(ContentFilterError, match="stopped the answer"):
            analyzer(PROVIDER, srv).analyze("FILTER-ANSWER 这条评论")
        assert chat_requests(srv) == 1  # final: not retried


def test_an_unknown_deployment_names_the_model_and_the_url() -> None:
    with serve(PROVIDER) as srv:
        with pytest.raises(NotFoundError) as info:
            analyzer(PROVIDER, srv, model="no-such-deployment").analyze(REVIEW_ZH)
        assert f"model 'no-such-deployment' not found at {srv.url}/openai/v1" in str(info.value)
        assert chat_requests(srv) == 1


def test_a_wrong_key_is_an_authentication_error() -> None:
    with serve(PROVIDER) as srv, pytest.raises(AuthenticationError, match="AZURE_OPENAI_API_KEY"):
        analyzer(PROVIDER, srv, api_key="wrong").analyze(REVIEW_ZH)
