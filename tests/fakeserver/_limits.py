"""Requests- and tokens-per-minute limits, enforced the way real providers do.

A provider's "600 RPM" is not 600 requests in the first second and then a
minute of silence: OpenAI enforces it in small slices, so a burst of more than
about 10 requests at once is rejected even though the headers still report
hundreds remaining. We model that with one token bucket per limit whose
capacity is one second's worth (``limit / 60``, at least 1) and which refills
continuously at ``limit / 60`` per second.

The ``x-ratelimit-*`` headers, on the other hand, are reported the way OpenAI
reports them: ``remaining`` counts down from the per-minute limit and ``reset``
is the time until the bucket is full again. That mismatch is real, and a client
that trusts ``remaining`` to size its bursts should meet it here first.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "LimitKind",
    "RateLimiter",
    "Verdict",
    "estimate_prompt_tokens",
    "estimate_text_tokens",
    "format_reset",
]

LimitKind = Literal["requests", "tokens"]

# CJK scripts tokenize at roughly one token per character, everything else at
# roughly four characters per token; this is the estimate the SDK budgets with.
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")
# Float refill arithmetic leaves 0.9999999 where 1.0 was meant.
_EPSILON = 1e-9


def estimate_text_tokens(text: str) -> int:
    """Tokens in ``text``: 1 per CJK character, 1 per 4 other characters."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text)) if not text.isascii() else 0
    return cjk + math.ceil((len(text) - cjk) / 4)


def _message_text(message: Mapping[str, Any]) -> Iterable[str]:
    content = message.get("content")
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        # The multi-part form: [{"type": "text", "text": "..."}, ...]
        for part in content:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                yield part["text"]
    name = message.get("name")
    if isinstance(name, str):
        yield name


def estimate_prompt_tokens(messages: object) -> int:
    """Tokens of a chat request's ``messages``: text tokens plus 4 per message."""
    if not isinstance(messages, list):
        return 0
    total = 0
    for message in messages:
        total += 4
        if isinstance(message, Mapping):
            total += sum(estimate_text_tokens(text) for text in _message_text(message))
    return total


def format_reset(seconds: float) -> str:
    """A duration the way OpenAI writes it: ``"0s"``, ``"120ms"``, ``"1.5s"``, ``"6m0s"``."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        millis = math.ceil(seconds * 1000)
        return "1s" if millis >= 1000 else f"{millis}ms"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    if minutes:
        return f"{minutes}m{text}"
    return text


class _Bucket:
    """One limit: capacity of one second's worth, continuous refill."""

    __slots__ = ("capacity", "level", "limit", "rate", "stamp")

    def __init__(self, limit: int, now: float) -> None:
        self.limit = limit
        self.rate = limit / 60.0
        self.capacity = max(1.0, self.rate)
        self.level = self.capacity
        self.stamp = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, cost: float) -> float:
        """Seconds until ``cost`` is admitted; 0 if it is admitted now."""
        # A cost above one second's capacity would otherwise never fit: admit it
        # once the bucket is full and let the level go negative (a debt that
        # later requests wait out), as a sliding minute window would.
        need = min(cost, self.capacity)
        if self.level + _EPSILON >= need:
            return 0.0
        return (need - self.level) / self.rate

    def remaining(self) -> int:
        return max(0, math.floor(self.limit - (self.capacity - self.level) + _EPSILON))

    def reset_after(self) -> float:
        return max(0.0, (self.capacity - self.level) / self.rate)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The limiter's answer for one request."""

    allowed: bool
    headers: list[tuple[str, str]]
    #: which limit refused the request; None when allowed
    kind: LimitKind | None = None
    #: seconds until a retry can succeed; None when it never can (request too large)
    retry_after: float | None = None
    message: str = ""


class RateLimiter:
    """RPM and TPM buckets; not thread-safe (the server calls it from its loop)."""

    def __init__(self, *, rpm: int | None, tpm: int | None, model: str) -> None:
        now = time.monotonic()
        self._requests = _Bucket(rpm, now) if rpm else None
        self._tokens = _Bucket(tpm, now) if tpm else None
        self._model = model

    @property
    def enabled(self) -> bool:
        return self._requests is not None or self._tokens is not None

    def headers(self) -> list[tuple[str, str]]:
        """The ``x-ratelimit-*`` headers for the configured limits, as of now."""
        self._refill(time.monotonic())
        return self._headers()

    def check(self, tokens: int) -> Verdict:
        """Admit one request costing ``tokens`` (consuming both budgets) or refuse it."""
        self._refill(time.monotonic())
        if self._tokens is not None and tokens > self._tokens.limit:
            # Even a full minute could not serve this; OpenAI answers 429 too,
            # but a retry can never succeed, so no retry-after is offered.
            message = (
                f"Request too large for {self._model} on tokens per min (TPM): "
                f"Limit {self._tokens.limit}, Requested {tokens}. "
                "The input or output tokens must be reduced in order to run successfully."
            )
            return Verdict(False, self._headers(), "tokens", None, message)
        waits: list[tuple[LimitKind, _Bucket, float, float]] = []
        if self._requests is not None:
            waits.append(("requests", self._requests, 1.0, self._requests.wait_for(1.0)))
        if self._tokens is not None:
            waits.append(("tokens", self._tokens, float(tokens), self._tokens.wait_for(tokens)))
        refused = [entry for entry in waits if entry[3] > 0]
        if refused:
            # Report the first refusing limit (requests before tokens, as OpenAI
            # does) but ask the client to wait long enough for all of them.
            kind, bucket, cost, _ = refused[0]
            wait = max(entry[3] for entry in refused)
            return Verdict(
                False, self._headers(), kind, wait, self._message(kind, bucket, cost, wait)
            )
        for _, bucket, cost, _ in waits:
            bucket.level -= cost
        return Verdict(True, self._headers())

    def _refill(self, now: float) -> None:
        if self._requests is not None:
            self._requests.refill(now)
        if self._tokens is not None:
            self._tokens.refill(now)

    def _headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        for kind, bucket in (("requests", self._requests), ("tokens", self._tokens)):
            if bucket is not None:
                headers += [
                    (f"x-ratelimit-limit-{kind}", str(bucket.limit)),
                    (f"x-ratelimit-remaining-{kind}", str(bucket.remaining())),
                    (f"x-ratelimit-reset-{kind}", format_reset(bucket.reset_after())),
                ]
        return headers

    def _message(self, kind: LimitKind, bucket: _Bucket, cost: float, wait: float) -> str:
        unit = "requests per min (RPM)" if kind == "requests" else "tokens per min (TPM)"
        used = bucket.limit - bucket.remaining()
        return (
            f"Rate limit reached for {self._model} in organization org-fake on {unit}: "
            f"Limit {bucket.limit}, Used {used}, Requested {math.ceil(cost)}. "
            f"Please try again in {format_reset(wait)}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
