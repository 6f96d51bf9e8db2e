"""Test your own code that uses wom-sdk: a scripted fake LLM and a no-wait switch.

    from wom_sdk.testing import FakeLLM, insight, rate_limited, set_testing

    def test_my_pipeline():
        review = "电池一天要充三次，客服也不回消息"
        llm = FakeLLM([
            rate_limited(retry_after=20),            # the first request gets a 429
            insight(sentiment="negative", complaints=["电池一天要充三次"], language="zh"),
        ])
        with set_testing(True):                     # the retry happens, nobody waits 20 s
            result = my_pipeline(llm.analyzer(), review)
        assert result.complaints[0].quote == "电池一天要充三次"
        assert llm.requests[-1].reviews == [review]

``FakeLLM`` answers the analyzer's HTTP requests in-process, through an httpx2
``MockTransport``: nothing touches the network, and the whole SDK runs as in
production (retries, structured-output fallback, validation re-asks, grounding,
reply checks, the rate limiter). Each request takes the next step of the script;
once the script is used up, every request gets a valid answer for its task.

``set_testing(True)`` turns every wait off for the whole process: retries still
happen, but without backoff or Retry-After sleeps, and the rate limiter books
requests without sleeping. Importing this module imports httpx2; ``import
wom_sdk`` does not import it.
"""

from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import httpx2

from .._client import AsyncReviewAnalyzer, ReviewAnalyzer
from ..text._guard import detect_language
from ._requests import ONE_FIELD_TASKS, RecordedRequest
from ._switch import is_testing, set_testing

__all__ = [
    "FAKE_BASE_URL",
    "FakeLLM",
    "RecordedRequest",
    "Reply",
    "Step",
    "answer",
    "api_error",
    "content_filtered",
    "dropped_connection",
    "insight",
    "invalid_json",
    "is_testing",
    "rate_limited",
    "refusal",
    "server_error",
    "set_testing",
    "timed_out",
    "truncated",
]

#: The base URL ``FakeLLM.analyzer()`` uses; it never resolves (``.test`` is reserved).
FAKE_BASE_URL = "http://fake-llm.test/v1"

_THANKS = {
    "zh": "感谢您的评价，我们会认真改进。",
    "ja": "レビューありがとうございます。",
    "ko": "리뷰를 남겨 주셔서 감사합니다.",
    "en": "Thank you for your review; we will look into it.",
}
_SCORES = {"positive": 0.7, "negative": -0.7, "neutral": 0.0, "mixed": 0.0}


# -- what the fake answers ---------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One HTTP response of the fake endpoint."""

    status: int = 200
    #: a JSON body (dict) or raw text
    body: Mapping[str, Any] | str = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


#: One step of a script: a ``Reply``; a dict (the model's JSON answer) or a str (its
#: raw text), both sent as a 200 completion; an exception raised by the transport
#: (``dropped_connection()``); or a callable that picks one of these per request.
Step: TypeAlias = (
    Reply
    | Mapping[str, Any]
    | str
    | BaseException
    | Callable[[RecordedRequest], "Reply | Mapping[str, Any] | str | BaseException"]
)


def answer(
    content: Mapping[str, Any] | str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A 200 chat completion whose message is ``content`` (a dict is sent as JSON text).

    The body follows OpenAI's chat completion object:
    https://platform.openai.com/docs/api-reference/chat/object
    """
    if isinstance(content, Mapping):
        content = json.dumps(content, ensure_ascii=False)
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
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
    return Reply(200, body, dict(headers or {}))


def insight(
    *,
    sentiment: Literal["positive", "negative", "neutral", "mixed"] = "neutral",
    score: float | None = None,
    complaints: Sequence[str | Mapping[str, Any]] = (),
    praise: Sequence[str | Mapping[str, Any]] = (),
    reply: str | None = None,
    language: str = "en",
    summary: str = "",
) -> dict[str, Any]:
    """The JSON a model answers to ``analyze``: valid if every quote is text of the review.

    Args:
        sentiment: the label; ``score`` defaults to 0.7 / -0.7 / 0 by label.
        complaints: quotes (category "other", severity "medium"), or dicts with any of
            ``aspect``, ``category``, ``quote``, ``severity``.
        praise: quotes, or dicts with ``aspect`` and ``quote``.
        reply: the suggested reply; default a thank-you in ``language`` (zh, ja, ko, en).
        language: the review's language as the model reports it.
    """
    return {
        "language": language,
        "sentiment": {"label": sentiment, "score": _SCORES[sentiment] if score is None else score},
        "complaints": [_item(c, {"category": "other", "severity": "medium"}) for c in complaints],
        "praise": [_item(p, {}) for p in praise],
        "reply": reply if reply is not None else _THANKS.get(language, _THANKS["en"]),
        "summary": summary,
    }


def _item(given: str | Mapping[str, Any], defaults: dict[str, str]) -> dict[str, Any]:
    fields = {"quote": given} if isinstance(given, str) else dict(given)
    return {"aspect": str(fields.get("quote", "aspect"))[:40], **defaults, **fields}


def _error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    # OpenAI's error object: https://platform.openai.com/docs/guides/error-codes
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def api_error(
    status: int,
    message: str = "error",
    *,
    error_type: str = "invalid_request_error",
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """An HTTP error with OpenAI's error body (400, 401, 404, 422, ...)."""
    return Reply(status, _error_body(message, error_type, code), dict(headers or {}))


def rate_limited(retry_after: float | None = None) -> Reply:
    """A 429, optionally asking to wait ``retry_after`` seconds.

    Sends ``retry-after-ms`` (Azure OpenAI does; openai-python's
    ``_base_client._parse_retry_after_header`` reads it first) and ``retry-after`` in
    whole seconds (RFC 9110, section 10.2.3).
    """
    headers = {}
    if retry_after is not None:
        headers["retry-after-ms"] = str(round(retry_after * 1000))
        headers["retry-after"] = str(math.ceil(retry_after))
    return api_error(
        429,
        "Rate limit reached for requests; please try again later.",
        error_type="requests",
        code="rate_limit_exceeded",
        headers=headers,
    )


def server_error(status: int = 500) -> Reply:
    """A 5xx (500, 502, 503): retried, then ``ServerError``."""
    return api_error(
        status,
        "The server had an error while processing your request.",
        error_type="server_error",
    )


def dropped_connection() -> BaseException:
    """The server closed the connection without answering (retried, then ``APIConnectionError``)."""
    return httpx2.RemoteProtocolError("Server disconnected without sending a response.")


def timed_out() -> BaseException:
    """No answer within the timeout (retried, then ``APITimeoutError``)."""
    return httpx2.ReadTimeout("The read operation timed out")


def invalid_json(text: str = '{"language": "en", "sentiment": ') -> Reply:
    """An answer that is not JSON: re-asked, then ``OutputValidationError``."""
    return answer(text)


def truncated(text: str = '{"language": "en", "senti') -> Reply:
    """An answer cut at ``max_tokens`` (``finish_reason`` "length"): ``TruncatedOutputError``."""
    return answer(text, finish_reason="length")


def refusal(message: str = "I'm sorry, but I can't assist with that request.") -> Reply:
    """The model refused (``message.refusal``): ``RefusalError``.

    https://platform.openai.com/docs/guides/structured-outputs#refusals
    """
    return answer(None, refusal=message)


def content_filtered() -> Reply:
    """The provider's filter stopped the answer (``finish_reason`` "content_filter")."""
    return answer(None, finish_reason="content_filter")


def _valid_answer(request: RecordedRequest) -> Reply:
    """What a well-behaved model answers to any of the analyzer's tasks: neutral, no quotes."""

    def analysis(text: str) -> dict[str, Any]:
        return {**insight(language=_language(text)), **{name: [] for name in request.sections}}

    reviews = request.reviews
    first = reviews[0] if reviews else ""
    lang = _language(first)
    task = request.task
    if task == "analyze_pack":
        pairs = zip(request.review_ids, reviews, strict=True)
        return answer({"results": [{"id": rid, **analysis(text)} for rid, text in pairs]})
    if task == "analyze":
        return answer(analysis(first))
    if task == "sentiment":
        return answer({"language": lang, "label": "neutral", "score": 0.0, "confidence": 0.5})
    if task in ONE_FIELD_TASKS:  # complaints, needs: none; reply: a thank-you
        return answer({"language": lang, str(task): _THANKS.get(lang, _THANKS["en"])
                       if task == "reply" else []})
    return api_error(400, "FakeLLM cannot tell which task this request is for; script its "
                          "answer instead")


def _language(text: str) -> str:
    lang = detect_language(text)
    return lang if lang in _THANKS else "en"


# -- the fake endpoint -------------------------------------------------------------------


class FakeLLM:
    """A scripted OpenAI-compatible endpoint, in-process.

    Args:
        script: what to answer, one step per request, in order (see ``Step``).
        then: what to answer once the script is used up (default: a valid answer
            for the request's task: neutral sentiment, no complaints, a thank-you reply).

    Every request is recorded in ``requests``. Safe to share between threads and tasks.
    """

    def __init__(self, script: Iterable[Step] = (), *, then: Step | None = None) -> None:
        self._script: deque[Step] = deque(script)
        self._then = then
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []

    def __repr__(self) -> str:
        return f"FakeLLM(requests={len(self.requests)}, unused_steps={self.unused_steps})"

    @property
    def unused_steps(self) -> int:
        """Steps of the script no request has taken yet (0: the script was played out)."""
        with self._lock:
            return len(self._script)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Answer one request (the ``MockTransport`` handler, for sync and async clients)."""
        recorded = RecordedRequest(
            body=json.loads(request.content or b"{}"),
            headers={k.lower(): v for k, v in request.headers.items()},
            url=str(request.url),
        )
        with self._lock:
            self.requests.append(recorded)
            number = len(self.requests)
            step = self._script.popleft() if self._script else self._then
        reply = _resolve(step, recorded)
        if isinstance(reply, BaseException):
            raise reply
        body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        headers = {
            "content-type": "application/json",
            "x-request-id": f"req-fake-{number}",
            **reply.headers,
        }
        return httpx2.Response(reply.status, content=body.encode(), headers=headers)

    def transport(self) -> httpx2.MockTransport:
        """An httpx2 transport answered by this fake (it serves sync and async clients)."""
        return httpx2.MockTransport(self.handle)

    def client(self) -> httpx2.Client:
        """An ``httpx2.Client`` for ``ReviewAnalyzer(http_client=...)``."""
        return httpx2.Client(transport=self.transport())

    def async_client(self) -> httpx2.AsyncClient:
        """An ``httpx2.AsyncClient`` for ``AsyncReviewAnalyzer(http_client=...)``."""
        return httpx2.AsyncClient(transport=self.transport())

    def analyzer(self, **kwargs: Any) -> ReviewAnalyzer:
        """A ``ReviewAnalyzer`` talking to this fake; ``kwargs`` as for ``ReviewAnalyzer``."""
        kwargs.setdefault("model", "fake-model")
        return ReviewAnalyzer(base_url=FAKE_BASE_URL, http_client=self.client(), **kwargs)

    def async_analyzer(self, **kwargs: Any) -> AsyncReviewAnalyzer:
        """An ``AsyncReviewAnalyzer`` talking to this fake."""
        kwargs.setdefault("model", "fake-model")
        return AsyncReviewAnalyzer(
            base_url=FAKE_BASE_URL, http_client=self.async_client(), **kwargs
        )


def _resolve(step: Step | None, request: RecordedRequest) -> Reply | BaseException:
    if step is None:
        return _valid_answer(request)
    if callable(step) and not isinstance(step, (Reply, BaseException)):
        step = step(request)
    if isinstance(step, (Reply, BaseException)):
        return step
    return answer(step)


# Reprs and help() say ``wom_sdk.testing.RecordedRequest``, as when this package was one module.
for _obj in (RecordedRequest, is_testing, set_testing):
    _obj.__module__ = __name__
del _obj
