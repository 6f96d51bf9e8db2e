"""The I/O-free core on its own: a request body without sending, a result from a raw body.

What a path that does not speak HTTP to chat/completions (a provider's batch
API) needs: the exact body the analyzer would send, and the result the analyzer
would return for a completion body read from a file.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

from wom_sdk import ReviewAnalyzer
from wom_sdk._llm import ChatRequest, TaskOutcome, advance, converse, response_from_completion
from wom_sdk._tasks import TASKS

REVIEW = "Delivery took two weeks and the lid leaks. Call me on 13812345678."
ANSWER = {
    "language": "en",
    "sentiment": {"label": "negative", "score": -0.6},
    "complaints": [{"aspect": "lid", "category": "product_quality",
                    "quote": "the lid leaks", "severity": "medium"}],
    "praise": [],
    "reply": "Sorry about the lid; we will look into it.",
    "summary": "Slow delivery, leaking lid.",
}


def completion_body(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "c1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": json.dumps(content)}}],
        "usage": {"prompt_tokens": 321, "completion_tokens": 54, "total_tokens": 375},
    }


def over_http() -> tuple[Any, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        return httpx2.Response(200, json=completion_body(ANSWER))

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    with ReviewAnalyzer(model="m", base_url="http://mock.test/v1", http_client=client) as a:
        insight = a.analyze(REVIEW, product="Mug")
    return insight, sent[0]


def test_the_body_and_the_result_without_http_equal_the_http_path() -> None:
    via_http, body_sent = over_http()

    analyzer = ReviewAnalyzer(model="m", base_url="http://mock.test/v1")
    prep = analyzer._prepare("analyze", REVIEW, product="Mug")
    assert prep.call is not None
    assert prep.task is TASKS["analyze"]
    assert "13812345678" not in prep.review  # redacted: analyze writes a reply
    gen = converse(prep.call, analyzer._memory)
    request = advance(gen)
    assert isinstance(request, ChatRequest)
    assert json.loads(json.dumps(request.params)) == body_sent  # byte-for-byte the same body

    outcome = advance(gen, response_from_completion(completion_body(ANSWER), {}))
    assert isinstance(outcome, TaskOutcome)
    assert analyzer._finish(prep, outcome) == via_http
    assert analyzer.usage.requests == 0  # nothing was sent from this analyzer


def test_a_raw_body_that_needs_a_reask_yields_the_next_request() -> None:
    analyzer = ReviewAnalyzer(model="m", base_url="http://mock.test/v1")
    prep = analyzer._prepare("sentiment", "Great mug.")
    assert prep.call is not None
    gen = converse(prep.call, analyzer._memory)
    first = advance(gen)
    assert isinstance(first, ChatRequest)
    again = advance(gen, response_from_completion(completion_body({"label": "great"}), {}))
    # Not valid yet: the dialogue asks again (a batch path sends this in its next round).
    assert isinstance(again, ChatRequest)
    assert [m["role"] for m in again.params["messages"]] == ["system", "user", "assistant", "user"]
