"""What an analyzer tells ``on_event=`` about its work, as it happens.

    >>> from wom_sdk import ReviewAnalyzer
    >>> from wom_sdk.events import Event, RequestFinished
    >>> def watch(event: Event) -> None:
    ...     if isinstance(event, RequestFinished):
    ...         metrics.observe(event.latency, status=event.status)   # your metrics
    >>> analyzer = ReviewAnalyzer(on_event=watch)                      # doctest: +SKIP

Every event is a frozen dataclass; ``str(event)`` is the line the ``wom_sdk``
logger writes at DEBUG (WARNING for ``BudgetReached``). Events carry counts,
names and timings, never review text, model output or keys. They are built only
when someone listens (``on_event``, the logger at DEBUG, or a recording
OpenTelemetry span), so they cost nothing otherwise.

The callback is called synchronously, from the thread (or task) doing the work:
sync batches run on threads, so it may be called from several threads at once;
keep it quick and thread-safe. An exception in it never breaks an analysis: it
is logged (WARNING with the traceback the first time, DEBUG after) and the
analysis goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..types import Usage

__all__ = [
    "Adapted",
    "BudgetReached",
    "CacheHit",
    "Event",
    "Paced",
    "QuotesDropped",
    "Reasked",
    "RequestFinished",
    "RequestSent",
    "RetryScheduled",
    "ReviewFinished",
    "Throttled",
]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event."""

    #: the logger (a child of ``wom_sdk``) that writes this event
    logger: ClassVar[str] = "wom_sdk"

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """One line for humans (the log message)."""
        return type(self).__name__


@dataclass(frozen=True, slots=True)
class RequestSent(Event):
    """A request is about to go out (each attempt is one)."""

    logger: ClassVar[str] = "wom_sdk.http"
    operation: Literal["chat", "embeddings"]
    model: str
    attempt: int
    #: the structured-output mode ("json_schema", ...); None for embeddings
    mode: str | None
    estimated_tokens: int

    def describe(self) -> str:
        mode = f" mode={self.mode}" if self.mode else ""
        return (f"{self.operation} request to {self.model}: attempt {self.attempt}{mode}, "
                f"~{self.estimated_tokens} tokens reserved")


@dataclass(frozen=True, slots=True)
class RequestFinished(Event):
    """A request ended: answered (with its status) or not (``status`` None)."""

    logger: ClassVar[str] = "wom_sdk.http"
    operation: Literal["chat", "embeddings"]
    model: str
    attempt: int
    mode: str | None
    #: the HTTP status; None when no answer came (connection error, timeout)
    status: int | None
    #: the error's kind (``WomError.kind``: "rate_limit", "timeout", ...); None on success
    error: str | None
    #: seconds from sending to the answer
    latency: float
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    #: the model that answered, as the endpoint names it
    response_model: str | None = None
    request_id: str | None = None

    def describe(self) -> str:
        head = (f"{self.operation} request to {self.model}: attempt {self.attempt} -> "
                f"{self.status if self.status is not None else 'no answer'}")
        if self.error is not None:
            return f"{head} ({self.error}) after {self.latency:.3f}s"
        return (f"{head} in {self.latency:.3f}s, {self.input_tokens} in "
                f"({self.cached_tokens} cached) / {self.output_tokens} out "
                f"({self.reasoning_tokens} reasoning) tokens")


@dataclass(frozen=True, slots=True)
class RetryScheduled(Event):
    """A failed attempt will be tried again after ``wait`` seconds."""

    logger: ClassVar[str] = "wom_sdk.retry"
    #: the attempt that failed
    attempt: int
    wait: float
    #: why: the error's kind and status, e.g. "server (503)", "timeout"
    reason: str

    def describe(self) -> str:
        return f"attempt {self.attempt} failed ({self.reason}): retrying in {self.wait:.2f}s"


@dataclass(frozen=True, slots=True)
class Throttled(Event):
    """A 429 arrived: every request of the analyzer waits ``cooldown`` seconds."""

    logger: ClassVar[str] = "wom_sdk.ratelimit"
    #: what the endpoint asked for (Retry-After), if it said
    retry_after: float | None
    cooldown: float

    def describe(self) -> str:
        asked = f" (Retry-After {self.retry_after:g}s)" if self.retry_after is not None else ""
        return f"429 rate limited{asked}: the limiter holds every request for {self.cooldown:.2f}s"


@dataclass(frozen=True, slots=True)
class Paced(Event):
    """The rate limiter made a request wait for its slot."""

    logger: ClassVar[str] = "wom_sdk.ratelimit"
    wait: float
    #: the limits the limiter paces to (configured or learned); None if not known
    requests_per_minute: float | None
    tokens_per_minute: float | None

    def describe(self) -> str:
        return (f"paced {self.wait:.3f}s (limits: {self.requests_per_minute} requests/min, "
                f"{self.tokens_per_minute} tokens/min)")


@dataclass(frozen=True, slots=True)
class Adapted(Event):
    """The next request differs: the endpoint rejected something (remembered per endpoint),
    or an answer showed it must (cut at the cap: more room; prose where JSON was asked:
    the next output mode)."""

    logger: ClassVar[str] = "wom_sdk.adapt"
    #: "mode": the structured-output mode; "parameter": a request parameter
    what: Literal["mode", "parameter"]
    #: the mode or parameter before and after (None: absent)
    before: str | None
    after: str | None
    #: why, e.g. "HTTP 400" or "answer cut at the cap"
    reason: str

    def describe(self) -> str:
        return f"{self.what} adapted after {self.reason}: {self.before} -> {self.after}"


@dataclass(frozen=True, slots=True)
class Reasked(Event):
    """An answer did not validate: the errors go back to the model."""

    logger: ClassVar[str] = "wom_sdk.validation"
    task: str
    #: answers received so far in this task
    answers: int
    #: how many validation errors the answer had
    errors: int
    #: only quotes were wrong (a last such answer keeps its grounded items)
    grounding_only: bool

    def describe(self) -> str:
        what = "ungrounded quotes" if self.grounding_only else "validation errors"
        return f"{self.task}: answer {self.answers} had {self.errors} {what}: re-asking"


@dataclass(frozen=True, slots=True)
class CacheHit(Event):
    """A request was answered from the response cache (nothing sent, nothing paid)."""

    logger: ClassVar[str] = "wom_sdk.cache"
    model: str

    def describe(self) -> str:
        return f"chat request to {self.model} answered from the cache"


@dataclass(frozen=True, slots=True)
class QuotesDropped(Event):
    """The last answer still had quotes that are not in the review: those items were dropped."""

    logger: ClassVar[str] = "wom_sdk.validation"
    task: str
    count: int

    def describe(self) -> str:
        return f"{self.task}: dropped {self.count} item(s) whose quote is not in the review"


@dataclass(frozen=True, slots=True)
class ReviewFinished(Event):
    """One task ended (a review, or a pack of reviews in one request)."""

    logger: ClassVar[str] = "wom_sdk.review"
    task: str
    #: "ok", or the error's kind ("validation", "rate_limit", "budget", ...)
    outcome: str
    #: reviews in the request (more than 1 for a pack)
    reviews: int
    usage: Usage
    #: seconds from the first request to the outcome
    latency: float

    def describe(self) -> str:
        u = self.usage
        return (f"{self.task} ({self.reviews} review(s)): {self.outcome} in {self.latency:.3f}s, "
                f"{u.requests} request(s), {u.prompt_tokens} + {u.completion_tokens} tokens")


@dataclass(frozen=True, slots=True)
class BudgetReached(Event):
    """A batch's ``max_cost_usd`` would be passed: no new review is started."""

    logger: ClassVar[str] = "wom_sdk.budget"
    limit_usd: float
    spent_usd: float
    #: held by requests in flight (their worst case) when the budget was reached
    in_flight_usd: float

    def describe(self) -> str:
        return (f"budget of ${self.limit_usd:g} reached (${self.spent_usd:.4f} spent, "
                f"${self.in_flight_usd:.4f} in flight): no new review is started; "
                "the reviews not started are not in the results")
