"""Public result types: what an analysis returns.

Every type is a frozen Pydantic model, so results serialize with
``model_dump_json()`` and read back with ``model_validate_json()`` (the batch
JSONL and the report use exactly that), and print concisely in a notebook.
"""

from __future__ import annotations

import html
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_CATEGORIES",
    "BatchResult",
    "Complaint",
    "ErrorInfo",
    "Need",
    "NeedKind",
    "Praise",
    "ReplySuggestion",
    "ReviewInsight",
    "ReviewRecord",
    "Sentiment",
    "SentimentLabel",
    "Severity",
    "Usage",
]

SentimentLabel = Literal["positive", "negative", "neutral", "mixed"]
Severity = Literal["low", "medium", "high"]
#: A need is for someone (a recipient) or for something (a use); ``_tasks._needs`` has the tags.
NeedKind = Literal["recipient", "use", "other"]

#: Complaint categories used when the caller gives none. Short, e-commerce
#: oriented, and stable: reports rank and trend by these names.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "product_quality",
    "functionality",
    "battery",
    "size_fit",
    "appearance",
    "packaging",
    "shipping_delivery",
    "customer_service",
    "price_value",
    "description_mismatch",
    "taste_freshness",
    "hygiene_safety",
    "other",
)


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def __repr__(self) -> str:
        # Pydantic's default repr prints every nested field; in a notebook a
        # one-line summary per object is what people want to scan.
        return f"{type(self).__name__}({self._summary()})"

    def _summary(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self.model_dump().items()
        )
        return f"<table><caption>{type(self).__name__}</caption>{rows}</table>"


class Usage(_Result):
    """Tokens and requests spent on one result, every attempt and re-ask included.

    ``cached_tokens`` are the part of ``prompt_tokens`` the provider served from its
    prompt cache (billed cheaper), ``reasoning_tokens`` the part of
    ``completion_tokens`` a reasoning model spent thinking (billed as output, never
    shown). ``cached`` says the whole answer came from wom-sdk's own response cache.
    """

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cached: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cached=self.cached and other.cached,
        )

    def split(self, n: int) -> Usage:
        """An even share of the tokens for one of ``n`` results (no requests: those stay whole)."""
        return Usage(
            prompt_tokens=self.prompt_tokens // n,
            completion_tokens=self.completion_tokens // n,
            reasoning_tokens=self.reasoning_tokens // n,
            cached_tokens=self.cached_tokens // n,
        )


class Sentiment(_Result):
    """Overall polarity of a review."""

    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, description="-1 very negative .. 1 very positive")
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    def _summary(self) -> str:
        return f"{self.label}, score={self.score:+.2f}"


class Complaint(_Result):
    """One concrete problem the reviewer reports, grounded in their own words."""

    aspect: str = Field(description="what the complaint is about, a few words")
    category: str = Field(description="one of the configured categories")
    quote: str = Field(description="verbatim text from the review")
    severity: Severity = "medium"

    def _summary(self) -> str:
        return f"{self.category}/{self.aspect!r}, {self.severity}, quote={self.quote!r}"


class Praise(_Result):
    """Something the reviewer liked, quoted verbatim (usable in marketing)."""

    aspect: str
    quote: str

    def _summary(self) -> str:
        return f"{self.aspect!r}, quote={self.quote!r}"


class Need(_Result):
    """Who the product was bought for, or what for, in the reviewer's own words.

    ``tag`` is one of ``wom_sdk.NEED_TAGS``; ``kind`` says whether it names a
    recipient ("parents") or a use ("gift"). Never an attribute of a person.
    """

    tag: str = Field(description="one of NEED_TAGS")
    kind: NeedKind
    quote: str = Field(description="verbatim text from the review")

    def _summary(self) -> str:
        return f"{self.tag} ({self.kind}), quote={self.quote!r}"


class ReplySuggestion(_Result):
    """A reply the shop could post, in the review's language."""

    text: str
    language: str | None = None
    needs_human_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)

    def _summary(self) -> str:
        flag = ", needs_human_review" if self.needs_human_review else ""
        return f"{self.text[:60]!r}{flag}"


class ReviewInsight(_Result):
    """Everything ``ReviewAnalyzer.analyze`` learns about one review."""

    language: str = Field(description="ISO 639-1 code of the review, e.g. 'zh', 'en'")
    sentiment: Sentiment
    complaints: list[Complaint] = Field(default_factory=list)
    praise: list[Praise] = Field(default_factory=list)
    reply: ReplySuggestion
    summary: str | None = None
    #: who it was bought for and what for; None when not asked (``include=("needs",)``)
    needs: list[Need] | None = None
    model: str | None = None
    usage: Usage = Field(default_factory=Usage)
    warnings: list[str] = Field(default_factory=list)
    truncated: bool = False
    redactions: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)

    def _summary(self) -> str:
        parts = [
            f"language={self.language!r}",
            f"sentiment={self.sentiment.label}({self.sentiment.score:+.2f})",
            f"complaints={[c.category + ':' + c.aspect for c in self.complaints]}",
            f"reply={self.reply.text[:40]!r}",
        ]
        if self.warnings:
            parts.append(f"warnings={len(self.warnings)}")
        return ", ".join(parts)

    def _repr_html_(self) -> str:
        esc = html.escape
        complaints = (
            "".join(
                f"<li><b>{esc(c.category)}</b> / {esc(c.aspect)} ({esc(c.severity)}): "
                f"&ldquo;{esc(c.quote)}&rdquo;</li>"
                for c in self.complaints
            )
            or "<li><i>none</i></li>"
        )
        warnings = "".join(f"<li>{esc(w)}</li>" for w in self.warnings)
        return (
            "<div class='wom-insight'>"
            f"<p><b>Sentiment</b>: {esc(self.sentiment.label)} "
            f"({self.sentiment.score:+.2f}) &middot; <b>language</b>: {esc(self.language)}</p>"
            f"<p><b>Complaints</b></p><ul>{complaints}</ul>"
            f"<p><b>Reply</b>: {esc(self.reply.text)}</p>"
            + (f"<p><b>Warnings</b></p><ul>{warnings}</ul>" if warnings else "")
            + f"<p style='color:gray'>{self.usage.requests} request(s), "
            f"{self.usage.total_tokens} tokens</p></div>"
        )


class ReviewRecord(_Result):
    """One review of a batch: its text and what the shop knows about it."""

    id: str
    text: str
    product: str | None = None
    rating: float | None = None
    date: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def _summary(self) -> str:
        return f"id={self.id!r}, text={self.text[:40]!r}"


class ErrorInfo(_Result):
    """Why one review of a batch has no insight (serializable, unlike an exception)."""

    kind: str
    type: str
    message: str
    status_code: int | None = None
    request_id: str | None = None
    attempts: int | None = None
    #: what the review spent before it failed (answers that did not validate, re-asks)
    usage: Usage | None = None

    def _summary(self) -> str:
        return f"{self.kind}: {self.message[:80]!r}"


class BatchResult(_Result):
    """The outcome for one review of a batch: exactly one of ``insight`` and ``error`` is set."""

    id: str
    record: ReviewRecord
    insight: ReviewInsight | None = None
    error: ErrorInfo | None = None

    @property
    def ok(self) -> bool:
        return self.insight is not None

    def _summary(self) -> str:
        state = repr(self.insight) if self.insight else repr(self.error)
        return f"id={self.id!r}, {state}"
