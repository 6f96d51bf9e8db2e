"""``post_webhook``: retries, timeouts, chat formats, refusals; the URL never in a message."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest

from wom_sdk import APIConnectionError, APIError, APIStatusError, APITimeoutError, RetryPolicy
from wom_sdk._retry import _wait
from wom_sdk.actions import post_webhook, webhook_body
from wom_sdk.testing import set_testing

URL = "https://hooks.example.test/services/T000/B000/SECRETTOKEN?access_token=abc123"
PAYLOAD = {"wom_alerts": 1, "summary": "wom alerts: 1 new <@here> & more", "alerts": []}


@pytest.fixture(autouse=True)
def _no_waits() -> Iterator[None]:
    with set_testing(True):
        yield


def _transport(*answers: httpx2.Response | Exception) -> tuple[httpx2.MockTransport,
                                                              list[httpx2.Request]]:
    seen: list[httpx2.Request] = []
    queue = list(answers)

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx2.MockTransport(handle), seen


def _post(transport: httpx2.MockTransport, fmt: str = "json", attempts: int = 4) -> None:
    post_webhook(URL, webhook_body(PAYLOAD, fmt), fmt=fmt,  # type: ignore[arg-type]
                 retry=RetryPolicy(attempts=attempts), transport=transport)


def test_posts_utf8_json_once_when_the_hook_takes_it() -> None:
    transport, seen = _transport(httpx2.Response(200, text="ok"))
    _post(transport)
    assert len(seen) == 1
    request = seen[0]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(request.content.decode("utf-8")) == PAYLOAD


def test_transient_failures_are_retried_then_delivered() -> None:
    transport, seen = _transport(httpx2.Response(503), httpx2.ConnectError("refused"),
                                 httpx2.Response(429, headers={"retry-after": "0"}),
                                 httpx2.Response(200))
    _post(transport)
    assert len(seen) == 4


def test_a_4xx_is_final_and_the_secret_url_is_not_in_the_message() -> None:
    transport, seen = _transport(httpx2.Response(404, text="no_team"))
    with pytest.raises(APIStatusError) as info:
        _post(transport)
    assert len(seen) == 1
    assert info.value.status_code == 404
    message = str(info.value)
    assert "https://hooks.example.test" in message
    assert "no_team" in message
    assert "SECRETTOKEN" not in message
    assert "abc123" not in message


def test_every_try_failing_raises_the_last_error() -> None:
    transport, seen = _transport(httpx2.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError, match="did not answer in time"):
        _post(transport, attempts=3)
    assert len(seen) == 3
    transport, seen = _transport(httpx2.ConnectError("refused"))
    with pytest.raises(APIConnectionError, match="could not reach"):
        _post(transport, attempts=2)
    assert len(seen) == 2


def test_429_waits_for_retry_after_without_a_shared_limiter() -> None:
    from wom_sdk import RateLimitError

    error = RateLimitError("429", status_code=429, retry_after=7.0)
    policy = RetryPolicy(wait_max=30.0)
    assert _wait(policy, error, 1, shared_limiter=False) == 7.0
    assert _wait(policy, error, 1) == 0.0  # the analyzers' limiter does the waiting


@pytest.mark.parametrize(("fmt", "answer"), [
    # Feishu and DingTalk answer 200 with an error code when they refuse a message.
    ("feishu", {"code": 9499, "msg": "Bad Request", "data": {}}),
    ("dingtalk", {"errcode": 310000, "errmsg": "keywords not in content"}),
])
def test_chat_hooks_refusing_with_200_are_failures(fmt: str, answer: dict[str, object]) -> None:
    transport, seen = _transport(httpx2.Response(200, json=answer))
    with pytest.raises(APIError, match="refused the message") as info:
        _post(transport, fmt)
    assert not isinstance(info.value, APIStatusError)
    assert len(seen) == 1  # a refusal is not retried


@pytest.mark.parametrize(("fmt", "answer"), [
    ("feishu", {"code": 0, "msg": "success", "data": {}}),
    ("dingtalk", {"errcode": 0, "errmsg": "ok"}),
    ("slack", "ok"),
])
def test_chat_hooks_accepting(fmt: str, answer: object) -> None:
    response = httpx2.Response(200, text=answer) if isinstance(answer, str) else \
        httpx2.Response(200, json=answer)
    transport, _ = _transport(response)
    _post(transport, fmt)


def test_chat_bodies() -> None:
    assert webhook_body(PAYLOAD, "slack") == {
        "text": "wom alerts: 1 new &lt;@here&gt; &amp; more"}
    assert webhook_body(PAYLOAD, "feishu") == {
        "msg_type": "text", "content": {"text": "wom alerts: 1 new ＜@here＞ & more"}}
    assert webhook_body(PAYLOAD, "dingtalk") == {
        "msgtype": "text", "text": {"content": "wom alerts: 1 new <@here> & more"}}
    assert webhook_body(PAYLOAD) is PAYLOAD
    with pytest.raises(ValueError, match="webhook format"):
        webhook_body(PAYLOAD, "teams")  # type: ignore[arg-type]


