"""A scripted OpenAI-compatible endpoint on ``httpx2.MockTransport``.

Each step of the script answers one request: a ``Reply`` (status, JSON body,
headers) or an exception instance to raise (a dropped connection). Requests
are recorded so tests can assert what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx2

MOCK_BASE_URL = "http://mock.test/v1"


def completion(
    content: str | dict[str, Any] | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
) -> dict[str, Any]:
    if isinstance(content, dict):
        content = json.dumps(content, ensure_ascii=False)
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "mock-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | str = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def ok(content: str | dict[str, Any] | None, **kw: Any) -> Reply:
    return Reply(200, completion(content, **kw), {"x-request-id": "req-ok"})


def error(status: int, message: str = "boom", **headers: str) -> Reply:
    body = {"error": {"message": message, "type": "server_error", "code": None}}
    return Reply(status, body, {"x-request-id": f"req-{status}", **headers})


Step = Reply | BaseException | Callable[[httpx2.Request], Reply]


class ScriptedLLM:
    """Answers requests from a script; the last step repeats when the script runs out."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = list(steps)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    def _next(self) -> Step:
        return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.content or b"{}"))
        self.headers.append(dict(request.headers))
        step = self._next()
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            step = step(request)
        body = step.body if isinstance(step.body, str) else json.dumps(step.body)
        return httpx2.Response(
            step.status,
            content=body.encode(),
            headers={"content-type": "application/json", **step.headers},
        )

    async def ahandler(self, request: httpx2.Request) -> httpx2.Response:
        return self.handler(request)

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handler))

    def async_client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.ahandler))


def insight_json(
    review: str,
    *,
    quote: str | None = None,
    label: str = "negative",
    reply: str | None = None,
    language: str = "zh",
) -> dict[str, Any]:
    """A valid analyze answer for ``review`` whose complaint quotes ``quote``."""
    q = quote if quote is not None else review[: max(1, min(8, len(review)))]
    return {
        "language": language,
        "sentiment": {"label": label, "score": -0.7 if label == "negative" else 0.6},
        "complaints": [
            {"aspect": "battery", "category": "battery", "quote": q, "severity": "high"}
        ],
        "praise": [],
        "reply": reply
        or (
            "非常抱歉给您带来不便，我们会尽快改进。"
            if language == "zh"
            else "Sorry about this, we will look into it."
        ),
        "summary": "summary",
    }
