"""What an analyzer tells a service about its work: logs, ``on_event`` and OpenTelemetry.

One ``Observer`` per analyzer. The core, the client and the retry loop call it at
the moments that matter (a request sent and finished, a retry, a 429, the
limiter's pace, an output mode or parameter adapted, a re-ask, a cache hit, quotes
dropped, a task finished, a budget reached); each moment becomes one typed event
(``wom_sdk.events``) that goes to three sinks, all from here:

- the ``wom_sdk`` loggers (``wom_sdk.http``, ``.retry``, ``.ratelimit``, ``.adapt``,
  ``.validation``, ``.cache``, ``.review``, ``.budget``): DEBUG, except a
  reached budget and a failing ``on_event`` callback (WARNING: the user must act);
- the ``on_event`` callback;
- OpenTelemetry, when ``opentelemetry-api`` is installed (the ``otel`` extra):
  one CLIENT span per request and one INTERNAL span per task (``wom.analyze``,
  ``wom.analyze_pack``, ...) around them; the other moments are events of the
  current span. Without the package nothing is imported or done.

Nothing is built when nobody listens: no event object, no span, no log record.
No sink ever gets review text, model output or a key.

Spans follow the OpenTelemetry GenAI semantic conventions v1.41.0 (status:
Development), https://github.com/open-telemetry/semantic-conventions/blob/v1.41.0/docs/gen-ai/gen-ai-spans.md
(inference and embeddings spans) and docs/registry/attributes/gen-ai.md there
(``gen_ai.provider.name`` well-known values; it replaced ``gen_ai.system``).
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import events as ev
from .._exceptions import APIStatusError, ConfigurationError, WomError
from .._llm import ChatRequest, advance, converse
from .._pricing import BudgetExhausted
from ..types import Usage

if TYPE_CHECKING:
    from .._llm import ChatResponse, EmbeddingRequest, EndpointMemory, TaskCall, TaskOutcome
    from .._pricing import Budget, Hold
    from .._ratelimit import RateLimiter

__all__ = ["Observer", "RequestScope", "TaskScope", "error_kind", "observed", "step"]

_log = logging.getLogger("wom_sdk")
#: Loggers by name (``logging.getLogger`` takes a lock per call: too dear per request).
_logger = functools.cache(logging.getLogger)
_DEBUG = logging.DEBUG
#: The level of each event's log line; the others are DEBUG.
_LEVELS: dict[type[ev.Event], int] = {ev.BudgetReached: logging.WARNING}

#: gen_ai.provider.name by the endpoint's host (the spec's well-known values);
#: any other OpenAI-compatible endpoint is "openai" by its API flavour, and
#: server.address tells which one it is.
_PROVIDERS = (
    (".openai.azure.com", "azure.ai.openai"),
    ("api.deepseek.com", "deepseek"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
    ("api.anthropic.com", "anthropic"),
    ("api.groq.com", "groq"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.x.ai", "x_ai"),
    ("api.perplexity.ai", "perplexity"),
)

_otel_api: Any = None  # the opentelemetry.trace module once looked for; False: not installed
_no_sdk: tuple[type, ...] = ()  # the API's providers that never record


def _trace() -> Any:
    """``opentelemetry.trace``, or None when the package is not installed (looked for once)."""
    global _otel_api, _no_sdk
    if _otel_api is None:
        try:
            from opentelemetry import trace
        except ImportError:
            _otel_api = False
        else:
            _otel_api = trace
            _no_sdk = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    return _otel_api or None


def error_kind(exc: BaseException) -> str:
    """A short, low-cardinality name of a failure (events, ``error.type`` of spans)."""
    if isinstance(exc, WomError):
        return exc.kind
    if isinstance(exc, BudgetExhausted):
        return "budget"
    return type(exc).__name__


def _reason(exc: BaseException | None) -> str:
    if isinstance(exc, APIStatusError):
        return f"{exc.kind} ({exc.status_code})"
    return error_kind(exc) if exc is not None else "unknown"


class Observer:
    """The sinks of one analyzer. See the module docstring."""

    def __init__(self, on_event: Callable[[ev.Event], None] | None, *, model: str,
                 base_url: str | None) -> None:
        if on_event is not None and not callable(on_event):
            raise ConfigurationError(f"on_event must be a callable, got {on_event!r}")
        self._on_event = on_event
        self._callback_failed = False
        trace = _trace()
        self._tracer = None
        if trace is not None:
            # The package's version, read at run time: importing it here would be a cycle.
            version = getattr(sys.modules.get(__package__ or ""), "__version__", None)
            self._tracer = trace.get_tracer("wom_sdk", version,
                                            schema_url="https://opentelemetry.io/schemas/1.41.0")
        url = urlsplit(base_url or "https://api.openai.com/v1")
        host = url.hostname or ""
        provider = next((name for suffix, name in _PROVIDERS if host.endswith(suffix)), "openai")
        self._server: dict[str, Any] = {"gen_ai.provider.name": provider,
                                        "server.address": host}
        if url.port or url.scheme:
            self._server["server.port"] = url.port or (443 if url.scheme == "https" else 80)
        self._model = model

    # -- the sinks -------------------------------------------------------------------------
    def listening(self, event_type: type[ev.Event], *, on_span: bool = True) -> bool:
        """Whether an event of this type would reach anyone (cheap: checked first).

        ``on_span``: the event also goes to the current span as a span event.
        """
        if self._on_event is not None:
            return True
        if _logger(event_type.logger).isEnabledFor(_LEVELS.get(event_type, _DEBUG)):
            return True
        return on_span and self._tracing() and _trace().get_current_span().is_recording()

    def _tracing(self) -> bool:
        """Whether spans may record: the API is installed and an SDK is configured (cheap)."""
        return self._tracer is not None and not isinstance(_trace().get_tracer_provider(),
                                                           _no_sdk)

    def emit(self, event: ev.Event, span_attributes: dict[str, Any] | None = None) -> None:
        """Log ``event``, give it to ``on_event``, add it to the current span."""
        logger = _logger(event.logger)
        level = _LEVELS.get(type(event), _DEBUG)
        if logger.isEnabledFor(level):
            logger.log(level, "%s", event)
        if self._on_event is not None:
            self._call(event)
        if span_attributes is not None and self._tracing():
            span = _trace().get_current_span()
            if span.is_recording():
                span.add_event(f"wom.{_snake(type(event).__name__)}", span_attributes)

    def _call(self, event: ev.Event) -> None:
        assert self._on_event is not None
        try:
            self._on_event(event)
        except Exception:
            # The user's callback must never break an analysis; say so loudly once.
            first, self._callback_failed = not self._callback_failed, True
            _log.log(logging.WARNING if first else _DEBUG,
                     "the on_event callback raised on %s (the analysis goes on)",
                     type(event).__name__, exc_info=True)

    # -- moments ---------------------------------------------------------------------------
    def before_sleep(self, state: Any) -> None:
        """tenacity's ``before_sleep``: a failed attempt will be retried."""
        if self.listening(ev.RetryScheduled):
            exc = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            attempt, reason = state.attempt_number, _reason(exc)
            self.emit(ev.RetryScheduled(attempt, wait, reason),
                      {"wom.attempt": attempt, "wom.wait_s": wait, "wom.reason": reason})

    def throttled(self, retry_after: float | None, cooldown: float) -> None:
        if self.listening(ev.Throttled):
            attrs = {"wom.cooldown_s": cooldown}
            if retry_after is not None:
                attrs["wom.retry_after_s"] = retry_after
            self.emit(ev.Throttled(retry_after, cooldown), attrs)

    def observe_limits(self, limiter: RateLimiter, headers: Any) -> None:
        """``limiter.observe(headers)``, logging the limits it learns from them."""
        before = (limiter.requests_per_minute, limiter.tokens_per_minute)
        limiter.observe(headers)
        after = (limiter.requests_per_minute, limiter.tokens_per_minute)
        log = _logger("wom_sdk.ratelimit")
        if after != before and log.isEnabledFor(_DEBUG):
            log.debug("limits learned from x-ratelimit headers: %s requests/min, "
                      "%s tokens/min", *after)

    def cache_hit(self, hit: bool) -> None:
        if hit and self.listening(ev.CacheHit):
            self.emit(ev.CacheHit(self._model), {})

    def reasked(self, task: str, answers: int, errors: list[str], grounding_only: bool) -> None:
        validation = _logger("wom_sdk.validation")
        if validation.isEnabledFor(_DEBUG):
            # DEBUG only: the errors quote the model's answer (review text, maybe).
            validation.debug("%s: validation errors: %s", task, "; ".join(errors)[:1000])
        if self.listening(ev.Reasked):
            self.emit(ev.Reasked(task, answers, len(errors), grounding_only),
                      {"wom.answers": answers, "wom.errors": len(errors),
                       "wom.grounding_only": grounding_only})

    def budget_reached(self, limit: float, spent: float, held: float) -> None:
        if self.listening(ev.BudgetReached):
            self.emit(ev.BudgetReached(limit, spent, held),
                      {"wom.budget_usd": limit, "wom.spent_usd": spent})

    def dialogue(self, call: TaskCall, memory: EndpointMemory,
                 paid: Callable[[ChatResponse], None]) -> Generator[ChatRequest, Any, TaskOutcome]:
        """One task's ``converse``, observed; ``paid`` counts each answer. Driven by ``step``."""
        return observed(TaskScope(self, call), converse(call, memory), paid)

    def request(self, req: ChatRequest | EmbeddingRequest, attempt: int, waited: float,
                limiter: RateLimiter, budget: Budget | None, cap: int) -> RequestScope:
        """The scope of one attempt of one request (the budget's hold, its span)."""
        if waited > 0 and self.listening(ev.Paced):
            rpm, tpm = limiter.requests_per_minute, limiter.tokens_per_minute
            self.emit(ev.Paced(waited, rpm, tpm), {"wom.wait_s": waited})
        return RequestScope(self, req, attempt, budget, cap)

    def _start_span(self, name: str, kind: str, attributes: dict[str, Any]) -> Any:
        """(span, context token), or None when no tracer records."""
        if self._tracer is None:
            return None
        trace = _trace()
        span = self._tracer.start_span(name, kind=getattr(trace.SpanKind, kind),
                                       attributes=attributes)
        if not span.is_recording():
            return None
        from opentelemetry import context

        return span, context.attach(trace.set_span_in_context(span))


def _end_span(started: Any, attributes: dict[str, Any], error: str | None) -> None:
    from opentelemetry import context, trace

    span, token = started
    if error is not None:
        attributes["error.type"] = error
        # The status says which kind; never the message: it may quote the model's answer.
        span.set_status(trace.Status(trace.StatusCode.ERROR, error))
    span.set_attributes(attributes)
    span.end()
    context.detach(token)


def observed(scope: TaskScope, gen: Generator[ChatRequest, ChatResponse, TaskOutcome],
             paid: Callable[[ChatResponse], None]) -> Generator[ChatRequest, Any, TaskOutcome]:
    """The dialogue ``gen`` (``_llm.converse``) inside ``scope``; send it each answer, or the error.

    An error goes into the dialogue, which adapts (the next request differs: an
    ``Adapted`` event) or raises it; either way the scope sees how the task ended.
    """
    with scope:
        request = advance(gen)
        while isinstance(request, ChatRequest):
            got = yield request
            if isinstance(got, BaseException):
                after = advance(gen, error=got)
                reason = (f"HTTP {got.status_code}" if isinstance(got, APIStatusError)
                          else _reason(got))
            else:
                paid(got)
                scope.answered(got)
                after = advance(gen, got)
                # An answer can change the next request too: cut at the cap (retried
                # with more room), or prose where JSON was asked (the next mode).
                reason = ("answer cut at the cap" if got.finish_reason == "length"
                          else "answer not in the format asked")
            scope.adapted(request, after, reason)
            request = after
        scope.done()
        return request


def step(steps: Generator[ChatRequest, Any, TaskOutcome],
         got: ChatResponse | BaseException | None = None) -> ChatRequest | TaskOutcome:
    """Drive ``observed``: the next request, or the outcome."""
    try:
        return next(steps) if got is None else steps.send(got)
    except StopIteration as stop:
        outcome: TaskOutcome = stop.value
        return outcome


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class TaskScope:
    """One task: its span, the usage it paid for, adaptations, its outcome.

    Always real (the usage of a failed task is attached to its error through it);
    the observing inside happens only when someone listens.
    """

    def __init__(self, observer: Observer, call: TaskCall) -> None:
        self._obs = observer
        self._call = call
        self._spent = Usage()
        self._start = time.monotonic()
        self._reviews = len(call.context.pack) if call.context.pack is not None else 1
        self._span: Any = None

    def __enter__(self) -> TaskScope:
        obs = self._obs
        if obs._tracing():
            attrs = {"wom.task": self._call.task, "wom.reviews": self._reviews,
                     "gen_ai.request.model": self._call.model, **obs._server}
            self._span = obs._start_span(f"wom.{self._call.task}", "INTERNAL", attrs)
        return self

    def answered(self, resp: ChatResponse) -> None:
        self._spent = self._spent + resp.usage

    def adapted(self, before: ChatRequest, after: ChatRequest | TaskOutcome,
                reason: str) -> None:
        """The dialogue went on: say what changed in the next request (a re-ask changes none)."""
        obs = self._obs
        if not obs.listening(ev.Adapted) or not isinstance(after, ChatRequest):
            return
        if before.mode != after.mode:
            obs.emit(ev.Adapted("mode", before.mode.value, after.mode.value, reason),
                     {"wom.what": "mode", "wom.before": before.mode.value,
                      "wom.after": after.mode.value, "wom.reason": reason})
        # Parameters the endpoint made us drop, add or rename (max_tokens ->
        # max_completion_tokens), or change: one event each.
        # The output mode's own parameters are told by the mode's event.
        skip = ("messages", "response_format", "tools", "tool_choice", "model")
        old = {k: v for k, v in before.params.items() if k not in skip}
        new = {k: v for k, v in after.params.items() if k not in skip}
        gone = [k for k in old if k not in new]
        added = [k for k in new if k not in old]
        pairs: list[tuple[str | None, str | None]] = [
            (gone[i] if i < len(gone) else None, added[i] if i < len(added) else None)
            for i in range(max(len(gone), len(added)))]
        pairs += [(f"{k}={old[k]}", f"{k}={new[k]}") for k in old if k in new and old[k] != new[k]]
        for was, now in pairs:
            attrs = {"wom.what": "parameter", "wom.reason": reason}
            attrs.update({k: v for k, v in (("wom.before", was), ("wom.after", now)) if v})
            obs.emit(ev.Adapted("parameter", was, now, reason), attrs)

    def done(self) -> None:
        """The dialogue ended with an outcome."""
        dropped = self._call.context.dropped
        if dropped and self._obs.listening(ev.QuotesDropped):
            self._obs.emit(ev.QuotesDropped(self._call.task, dropped), {"wom.count": dropped})

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if isinstance(exc, WomError) and exc.usage is None and self._spent.requests:
            # A failed review's result says what it cost (ErrorInfo.usage).
            exc.usage = self._spent
        obs = self._obs
        report = obs.listening(ev.ReviewFinished, on_span=False)
        if self._span is None and not report:
            return
        outcome = "ok" if exc is None else error_kind(exc)
        usage = self._spent if exc is None else getattr(exc, "usage", None) or self._spent
        if report:
            latency = time.monotonic() - self._start
            obs.emit(ev.ReviewFinished(self._call.task, outcome, self._reviews, usage, latency))
        if self._span is not None:
            _end_span(self._span, {"wom.outcome": outcome, "wom.requests": usage.requests,
                                   "wom.usage.input_tokens": usage.prompt_tokens,
                                   "wom.usage.output_tokens": usage.completion_tokens},
                      None if exc is None else outcome)


class RequestScope:
    """One attempt of one request: its span, its events, the budget's hold on it."""

    def __init__(self, observer: Observer, req: ChatRequest | EmbeddingRequest, attempt: int,
                 budget: Budget | None, cap: int) -> None:
        self._obs = observer
        self._req = req
        self._attempt = attempt
        self._budget = budget
        self._cap = cap
        self._hold: Hold | None = None
        self._span: Any = None
        self._start = 0.0
        self._op: Any = "chat" if hasattr(req, "mode") else "embeddings"
        self._mode: str | None = req.mode.value if hasattr(req, "mode") else None
        #: what ``done`` returned: a ChatResponse, or embeddings with ``.usage``
        self.result: Any = None

    def __enter__(self) -> RequestScope:
        obs, req = self._obs, self._req
        if self._budget is not None:  # BudgetExhausted: nothing is sent
            self._hold = self._budget.reserve(req.estimated_tokens - self._cap, self._cap)
        model = str(req.params.get("model", ""))
        if obs.listening(ev.RequestSent, on_span=False):
            obs.emit(ev.RequestSent(self._op, model, self._attempt, self._mode,
                                    req.estimated_tokens))
        if obs._tracing():
            attrs: dict[str, Any] = {"gen_ai.operation.name": self._op,
                                     "gen_ai.request.model": model, **obs._server,
                                     "wom.attempt": self._attempt}
            if self._mode is not None:
                attrs["wom.output_mode"] = self._mode
                attrs["gen_ai.output.type"] = "text" if self._mode == "prompt" else "json"
                attrs["gen_ai.request.max_tokens"] = self._cap
            self._span = obs._start_span(f"{self._op} {model}", "CLIENT", attrs)
        self._start = time.monotonic()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        latency = time.monotonic() - self._start
        usage: Usage | None = getattr(self.result, "usage", None) if exc is None else None
        status = 200 if exc is None else getattr(exc, "status_code", None)
        if self._budget is not None and self._hold is not None:
            self._budget.settle(self._hold, usage, answered=status is not None)
        obs = self._obs
        report = obs.listening(ev.RequestFinished, on_span=False)
        if self._span is None and not report:
            return
        u = usage or Usage()
        error = None if exc is None else error_kind(exc)
        response_model = getattr(self.result, "response_model", None)
        model = str(self._req.params.get("model", ""))
        if report:
            obs.emit(ev.RequestFinished(
                self._op, model, self._attempt, self._mode, status, error, latency,
                u.prompt_tokens, u.completion_tokens, u.reasoning_tokens, u.cached_tokens,
                response_model, getattr(self.result, "request_id", None)))
        if self._span is not None:
            attrs: dict[str, Any] = {}
            if usage is not None:
                attrs["gen_ai.usage.input_tokens"] = u.prompt_tokens
                if self._op == "chat":
                    attrs["gen_ai.usage.output_tokens"] = u.completion_tokens
                    attrs["gen_ai.usage.cache_read.input_tokens"] = u.cached_tokens
                    attrs["gen_ai.usage.reasoning.output_tokens"] = u.reasoning_tokens
                    finish = getattr(self.result, "finish_reason", None)
                    if finish:
                        attrs["gen_ai.response.finish_reasons"] = [finish]
            if response_model:
                attrs["gen_ai.response.model"] = response_model
            if status is not None:
                attrs["http.response.status_code"] = status
            # error.type: the HTTP status for an error answer (as the spec's example
            # "500"), else our kind ("timeout", "connection", "validation", ...).
            err = None if exc is None else (str(status) if status is not None else error)
            _end_span(self._span, attrs, err)
