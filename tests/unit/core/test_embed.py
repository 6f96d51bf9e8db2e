"""``embed``: over real HTTP to the fake server, through the same retries, limiter and errors."""

from __future__ import annotations

import pytest

from fakeserver import FakeOpenAIServer, FaultPlan
from fakeserver._payloads import pseudo_embedding
from wom_sdk import (
    APITimeoutError,
    AsyncReviewAnalyzer,
    AuthenticationError,
    InvalidReviewError,
    RetryPolicy,
    ReviewAnalyzer,
)
from wom_sdk._constants import EMBEDDING_BATCH_SIZE
from wom_sdk._llm import embedding_requests

RETRY = RetryPolicy(attempts=3, timeout=20, wait_initial=0.01, wait_max=0.05, wait_jitter=0)
TEXTS = ["battery life", "电池续航", "battery life", "customer service"]


def embeddings_sent(srv: FakeOpenAIServer) -> list[dict[str, object]]:
    return [dict(r) for r in srv.requests if r.path.rstrip("/") == "/v1/embeddings"]


def close_to(got: list[float], want: list[float]) -> bool:
    # openai asks for base64 float32 and decodes it: equal to float32 precision.
    return len(got) == len(want) and all(abs(a - b) < 1e-6 for a, b in zip(got, want, strict=True))


def test_one_vector_per_text_in_order() -> None:
    with FakeOpenAIServer() as srv, ReviewAnalyzer(base_url=srv.base_url, retry=RETRY) as analyzer:
        vectors = analyzer.embed(TEXTS, model="embed-small")
        usage = analyzer.usage
    assert len(vectors) == 4
    for text, vector in zip(TEXTS, vectors, strict=True):
        assert close_to(vector, pseudo_embedding(text))
    (sent,) = embeddings_sent(srv)
    assert sent["model"] == "embed-small"
    assert sent["input"] == TEXTS
    assert usage.requests == 1
    assert usage.prompt_tokens > 0


def test_a_429_is_waited_out_by_the_shared_limiter_then_succeeds() -> None:
    plan = FaultPlan(script=["429", None], retry_after=0.05)
    with FakeOpenAIServer(embedding_faults=plan) as srv:
        analyzer = ReviewAnalyzer(base_url=srv.base_url, retry=RETRY)
        vectors = analyzer.embed(["lid"], model="e")
        analyzer.close()
    assert close_to(vectors[0], pseudo_embedding("lid"))
    assert len(embeddings_sent(srv)) == 2
    assert srv.stats().rate_limited == 1
    assert analyzer.limiter.throttled == 1  # the cool-down went through the limiter
    assert analyzer.usage.requests == 1  # what was paid: the 429 answered nothing


def test_same_timeout_and_error_types_as_chat() -> None:
    plan = FaultPlan(script=["hang"], hang_seconds=3.0)
    with FakeOpenAIServer(embedding_faults=plan) as srv:
        analyzer = ReviewAnalyzer(base_url=srv.base_url, timeout=0.3, retry=RetryPolicy(attempts=1))
        with pytest.raises(APITimeoutError):
            analyzer.embed(["lid"], model="e")
        analyzer.close()
    with FakeOpenAIServer(require_api_key="right-key") as srv:
        analyzer = ReviewAnalyzer(base_url=srv.base_url, api_key="wrong-key", retry=RETRY)
        with pytest.raises(AuthenticationError, match="401"):
            analyzer.embed(["lid"], model="e")
        analyzer.close()
        assert len(embeddings_sent(srv)) == 1  # a 401 is not retried


def test_large_inputs_go_in_several_requests_in_order() -> None:
    texts = [f"aspect {i}" for i in range(EMBEDDING_BATCH_SIZE + 10)]
    with FakeOpenAIServer() as srv, ReviewAnalyzer(base_url=srv.base_url) as analyzer:
        vectors = analyzer.embed(texts, model="e", dimensions=8)
    assert [len(r["input"]) for r in embeddings_sent(srv)] == [EMBEDDING_BATCH_SIZE, 10]
    assert all(r["dimensions"] == 8 for r in embeddings_sent(srv))
    assert close_to(vectors[-1], pseudo_embedding(texts[-1], 8))


def test_batches_respect_the_token_budget_too() -> None:
    requests = embedding_requests(["x" * 400] * 5, model="e", max_items=10, max_tokens=250)
    assert [r.count for r in requests] == [2, 2, 1]  # 100 estimated tokens each
    assert [r.params["input"] for r in requests][2] == ["x" * 400]


def test_bad_input_fails_before_anything_is_sent() -> None:
    with FakeOpenAIServer() as srv, ReviewAnalyzer(base_url=srv.base_url) as analyzer:
        empty_last = f"text {EMBEDDING_BATCH_SIZE} to embed is empty"
        with pytest.raises(InvalidReviewError, match=empty_last):
            analyzer.embed(["ok"] * EMBEDDING_BATCH_SIZE + [""], model="e")
        with pytest.raises(TypeError, match="list of texts"):
            analyzer.embed("one string", model="e")
    assert embeddings_sent(srv) == []


def test_default_model_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer() as srv:
        with ReviewAnalyzer(base_url=srv.base_url) as analyzer:
            analyzer.embed(["a"])
        monkeypatch.setenv("WOM_EMBEDDING_MODEL", "bge-m3")
        with ReviewAnalyzer(base_url=srv.base_url) as analyzer:
            analyzer.embed(["a"])
    assert [r["model"] for r in embeddings_sent(srv)] == ["text-embedding-3-small", "bge-m3"]


async def test_async_twin() -> None:
    plan = FaultPlan(script=["429", None], retry_after=0.05)
    with FakeOpenAIServer(embedding_faults=plan) as srv:
        async with AsyncReviewAnalyzer(base_url=srv.base_url, retry=RETRY) as analyzer:
            vectors = await analyzer.embed(TEXTS, model="e")
            assert analyzer.limiter.throttled == 1
    assert all(close_to(v, pseudo_embedding(t)) for t, v in zip(TEXTS, vectors, strict=True))
