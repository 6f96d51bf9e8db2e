"""The analyze answer most unit tests script: one negative complaint quoting the review."""

from __future__ import annotations

from typing import Any

from wom_sdk import RetryPolicy, ReviewAnalyzer
from wom_sdk.testing import FakeLLM, insight

#: The review most scripted-endpoint tests analyze (a complaint, in Chinese).
REVIEW = "电池一天要充三次，客服也不回消息"


def make_analyzer(llm: FakeLLM, retry: RetryPolicy, **kw: Any) -> ReviewAnalyzer:
    """``llm``'s analyzer as the scripted-endpoint tests make it: a fixed model and key."""
    return llm.analyzer(model="mock-model", api_key="sk-test", retry=retry, **kw)


def insight_json(
    review: str,
    *,
    quote: str | None = None,
    label: str = "negative",
    reply: str | None = None,
    language: str = "zh",
) -> dict[str, Any]:
    """A valid ``analyze`` answer for ``review`` whose one complaint quotes ``quote``.

    The quote defaults to the review's first 8 characters (grounded); pass one that
    is not in the review to exercise re-asks and dropping.
    """
    q = quote if quote is not None else review[: max(1, min(8, len(review)))]
    complaint = {"aspect": "battery", "category": "battery", "quote": q, "severity": "high"}
    return insight(
        sentiment=label,  # type: ignore[arg-type]  # any label, on purpose
        score=-0.7 if label == "negative" else 0.6,
        complaints=[complaint],
        reply=reply,
        language=language,
        summary="summary",
    )
