"""POSTing alerts to a webhook: our JSON payload, or a chat room's incoming-webhook message.

Sent through httpx2 with a timeout and the house retry policy (``_retry``:
connection errors, timeouts, 408/409/429/5xx, Retry-After honoured), and the
failures typed as ours (``APIError`` and its subclasses), so that a command can
tell "delivered" from "not delivered" and keep undelivered alerts for next time.
The URL is a secret (Slack's path and DingTalk's ``access_token`` are the
credentials): no message names more of it than its scheme and host.

Chat formats (each carries the payload's ``summary`` as plain text):

- ``slack``: ``{"text": ...}`` with ``&``, ``<`` and ``>`` escaped, which Slack
  reads as control characters (mentions, links). Sources:
  https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks and
  https://api.slack.com/reference/surfaces/formatting#escaping
- ``feishu`` (Lark): ``{"msg_type": "text", "content": {"text": ...}}``; the hook
  answers HTTP 200 with ``{"code": 0, "msg": "success"}`` on success and a
  non-zero ``code`` otherwise (e.g. ``{"code": 9499, "msg": "Bad Request"}``, a
  failed signature or keyword check). ``<`` and ``>`` become full-width so a
  review cannot write an ``<at user_id="all">`` mention. Source: Feishu's
  "custom bot" guide (open.feishu.cn, bot-v3/add-custom-bot), as copied in
  https://wpsshop.cn/w/2023面试高手/article/detail/346077
- ``dingtalk``: ``{"msgtype": "text", "text": {"content": ...}}``, UTF-8; the
  hook answers HTTP 200 even when it refuses a message, with a non-zero
  ``errcode`` (310000: the keyword or signature check failed; at most 20
  messages a minute). Sources: https://open.dingtalk.com/document/group/custom-robot-access
  (as copied in http://www.bubuko.com/infodetail-3143925.html), and the 200 +
  ``errcode`` answer in timonwong/prometheus-webhook-dingtalk#197 and
  develop202/kgcheckin#29.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import urlsplit

from .. import __version__
from .._constants import DEFAULT_CONNECT_TIMEOUT
from .._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    RateLimitError,
    ServerError,
)
from .._retry import RetryPolicy, retry_after, tenacity_kwargs

__all__ = [
    "DEFAULT_WEBHOOK_RETRY",
    "DEFAULT_WEBHOOK_TIMEOUT",
    "WEBHOOK_FORMATS",
    "WebhookFormat",
    "post_webhook",
    "webhook_body",
    "webhook_where",
]

WebhookFormat = Literal["json", "slack", "feishu", "dingtalk"]
WEBHOOK_FORMATS: tuple[str, ...] = ("json", "slack", "feishu", "dingtalk")
#: Seconds for one POST: a chat hook answers in well under a second.
DEFAULT_WEBHOOK_TIMEOUT = 10.0
#: Four tries in at most a minute: a cron job should not hang on a dead hook.
DEFAULT_WEBHOOK_RETRY = RetryPolicy(attempts=4, timeout=60.0, wait_initial=1.0, wait_max=10.0)

_SLACK_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_FEISHU_ESCAPES = str.maketrans({"<": "＜", ">": "＞"})
#: The key of a chat hook's JSON answer that says whether it took the message.
_RESULT_CODE = {"feishu": "code", "dingtalk": "errcode"}


def webhook_where(url: str) -> str:
    """``scheme://host`` of a webhook URL: what messages may show of it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}"


def webhook_body(payload: dict[str, Any], fmt: WebhookFormat = "json") -> dict[str, Any]:
    """What to POST: the payload itself (``json``) or a chat message (module docstring)."""
    summary = str(payload["summary"])
    if fmt == "json":
        return payload
    if fmt == "slack":
        return {"text": summary.translate(_SLACK_ESCAPES)}
    if fmt == "feishu":
        return {"msg_type": "text", "content": {"text": summary.translate(_FEISHU_ESCAPES)}}
    if fmt == "dingtalk":
        return {"msgtype": "text", "text": {"content": summary}}
    raise ValueError(f"webhook format must be one of {WEBHOOK_FORMATS}, not {fmt!r}")


def _status_error(status: int, where: str, detail: str, headers: Any) -> APIStatusError:
    message = f"the webhook at {where} answered {status}: {detail}"
    common: dict[str, Any] = {"status_code": status, "body": detail,
                              "retry_after": retry_after(headers)}
    if status in (401, 403):
        return AuthenticationError(message, **common)
    if status == 429:
        return RateLimitError(message, **common)
    if status >= 500:
        return ServerError(message, **common)
    return APIStatusError(message, **common)


def _refusal(fmt: str, text: str) -> str | None:
    """The hook's own "not accepted" (a chat hook answers 200 with an error code), or None."""
    key = _RESULT_CODE.get(fmt)
    if key is None:
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return None  # not the hook's JSON (a proxy's page): the status said 2xx
    if isinstance(answer, dict) and answer.get(key, 0) != 0:
        return f"{key} {answer.get(key)}: {answer.get('msg') or answer.get('errmsg') or ''}"
    return None


def _post_once(client: Any, url: str, content: bytes, fmt: str) -> None:
    import httpx2

    where = webhook_where(url)
    try:
        response = client.post(url, content=content)
    except httpx2.TimeoutException:
        raise APITimeoutError(f"the webhook at {where} did not answer in time") from None
    except httpx2.TransportError as e:
        raise APIConnectionError(
            f"could not reach the webhook at {where} ({type(e).__name__})") from None
    text = response.text[:500]
    if not 200 <= response.status_code < 300:
        raise _status_error(response.status_code, where, " ".join(text.split()),
                            response.headers)
    refused = _refusal(fmt, text)
    if refused is not None:
        raise APIError(f"the webhook at {where} refused the message ({refused})")


def post_webhook(
    url: str,
    body: dict[str, Any],
    *,
    fmt: WebhookFormat = "json",
    timeout: float = DEFAULT_WEBHOOK_TIMEOUT,
    retry: RetryPolicy = DEFAULT_WEBHOOK_RETRY,
    transport: Any = None,
) -> None:
    """POST ``body`` as UTF-8 JSON; return once the hook took it, else raise an ``APIError``.

    Args:
        url: the webhook URL (http or https).
        body: what ``webhook_body`` made.
        fmt: the format ``body`` is in; chat hooks' answers are checked for their error code.
        timeout: seconds per try.
        retry: the retry policy (transient failures only; a 4xx is final).
        transport: an httpx2 transport (tests pass a ``MockTransport``).
    """
    import httpx2
    import tenacity

    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {"content-type": "application/json; charset=utf-8",
               "user-agent": f"wom-sdk/{__version__}"}
    client = httpx2.Client(
        timeout=httpx2.Timeout(timeout, connect=min(timeout, DEFAULT_CONNECT_TIMEOUT)),
        headers=headers, transport=transport, follow_redirects=False)
    with client:
        for attempt in tenacity.Retrying(**tenacity_kwargs(retry, shared_limiter=False)):
            with attempt:
                _post_once(client, url, content, fmt)
