"""``on_event`` and the ``wom_sdk`` loggers: the moments a service needs to see, and no more."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wom_sdk
from helpers.answers import REVIEW
from wom_sdk import events as ev
from wom_sdk._llm import ChatRequest, Mode
from wom_sdk.events._observer import Observer, TaskScope
from wom_sdk.testing import (
    FakeLLM,
    Reply,
    answer,
    api_error,
    insight,
    rate_limited,
    server_error,
    set_testing,
)

QUOTE = "电池一天要充三次"


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    with set_testing(True):
        yield


def script() -> list[Any]:
    """A first call that meets every moment: a rejected mode, a 429, a 500, a re-ask."""
    return [
        api_error(400, "response_format json_schema is not supported"),  # -> next mode
        rate_limited(retry_after=2),  # -> the limiter cools down, a retry
        server_error(503),  # -> a retry
        insight(sentiment="negative", complaints=["a quote the review does not have"]),
        insight(sentiment="negative", complaints=[QUOTE]),  # after the re-ask
    ]


def kinds(events: list[ev.Event]) -> list[str]:
    return [type(e).__name__ for e in events]


EXPECTED = [
    "RequestSent", "RequestFinished", "Adapted",  # json_schema rejected
    "RequestSent", "Throttled", "RequestFinished", "RetryScheduled",  # 429
    "RequestSent", "RequestFinished", "RetryScheduled",  # 503
    "RequestSent", "RequestFinished", "Reasked",  # an ungrounded quote
    "RequestSent", "RequestFinished", "ReviewFinished",
]


def test_every_moment_of_a_hard_first_call_is_an_event() -> None:
    got: list[ev.Event] = []
    a = FakeLLM(script()).analyzer(on_event=got.append)
    result = a.analyze(REVIEW)
    assert kinds(got) == EXPECTED
    adapted = next(e for e in got if isinstance(e, ev.Adapted))
    assert (adapted.what, adapted.before, adapted.after, adapted.reason) == (
        "mode", "json_schema", "json_object", "HTTP 400")
    throttled = next(e for e in got if isinstance(e, ev.Throttled))
    assert throttled.retry_after == 2
    assert throttled.cooldown >= 2
    finished = [e for e in got if isinstance(e, ev.RequestFinished)]
    assert [(e.status, e.error, e.attempt) for e in finished] == [
        (400, "bad_request", 1), (429, "rate_limit", 1), (503, "server", 2),
        (200, None, 3), (200, None, 1)]
    # A 4xx naming the format steps to json_object (a 5xx, llama.cpp's way, to json_object_schema).
    assert all(e.mode == "json_object" for e in finished[1:])
    assert finished[-1].input_tokens == 100
    assert finished[-1].output_tokens == 50
    assert finished[-1].response_model == "fake-model"
    assert all(e.latency >= 0 for e in finished)
    retries = [e for e in got if isinstance(e, ev.RetryScheduled)]
    assert [(e.attempt, e.reason) for e in retries] == [(1, "rate_limit (429)"),
                                                       (2, "server (503)")]
    reasked = next(e for e in got if isinstance(e, ev.Reasked))
    assert (reasked.task, reasked.answers, reasked.errors, reasked.grounding_only) == (
        "analyze", 1, 1, True)
    done = got[-1]
    assert isinstance(done, ev.ReviewFinished)
    assert (done.task, done.outcome, done.reviews) == ("analyze", "ok", 1)
    assert done.usage == result.usage
    assert done.usage.requests == 2  # the two answers; the errors were not billed


async def test_the_async_twin_tells_the_same_story() -> None:
    got: list[ev.Event] = []
    async with FakeLLM(script()).async_analyzer(on_event=got.append) as a:
        await a.analyze(REVIEW)
    assert kinds(got) == EXPECTED


def test_cache_hits_and_dropped_quotes(tmp_path: Path) -> None:
    got: list[ev.Event] = []
    bad = insight(sentiment="negative", complaints=[QUOTE, "not in the review"])
    a = FakeLLM([bad, bad, bad]).analyzer(on_event=got.append, cache=tmp_path / "c.sqlite",
                                         max_reasks=2)
    first = a.analyze(REVIEW)
    assert [c.quote for c in first.complaints] == [QUOTE]
    dropped = [e for e in got if isinstance(e, ev.QuotesDropped)]
    assert [(e.task, e.count) for e in dropped] == [("analyze", 1)]
    got.clear()
    a.analyze(REVIEW)  # answered from the cache: three hits, nothing sent
    assert kinds(got).count("CacheHit") == 3
    assert "RequestSent" not in kinds(got)


def test_a_failed_review_finishes_with_its_kind_and_its_usage() -> None:
    got: list[ev.Event] = []
    # The mode forced: a prose answer to a probe would step down to tools instead.
    a = FakeLLM(["not json"] * 3).analyzer(on_event=got.append, structured_output="json_schema")
    [res] = a.analyze_many([REVIEW])
    done = got[-1]
    assert isinstance(done, ev.ReviewFinished)
    assert done.outcome == "validation"
    assert done.usage.requests == 3
    assert res.error is not None
    assert res.error.usage == done.usage


def test_parameter_adaptation_is_told_per_parameter() -> None:
    # The dialogue may answer a 400 naming a parameter with a request that drops or
    # renames it (issue 9's reasoning models): each change is one event.
    got: list[ev.Event] = []
    obs = Observer(got.append, model="o4-mini", base_url=None)
    FakeCall = type("FakeCall", (), {})
    call: Any = FakeCall()
    call.task, call.model = "analyze", "o4-mini"
    call.context = type("Ctx", (), {"pack": None, "dropped": 0})()
    before = ChatRequest({"model": "o4-mini", "messages": [], "max_tokens": 100,
                          "temperature": 0.0, "top_p": 1}, 10, Mode.JSON_SCHEMA, True)
    after = ChatRequest({"model": "o4-mini", "messages": [], "max_completion_tokens": 100,
                         "top_p": 0.5}, 10, Mode.JSON_SCHEMA, True)
    error = wom_sdk.APIStatusError("unsupported_parameter", status_code=400)
    TaskScope(obs, call).adapted(before, after, error)
    assert [(e.what, e.before, e.after) for e in got if isinstance(e, ev.Adapted)] == [
        ("parameter", "max_tokens", "max_completion_tokens"),
        ("parameter", "temperature", None),
        ("parameter", "top_p=1", "top_p=0.5"),
    ]


def test_a_failing_callback_never_breaks_an_analysis(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def broken(event: ev.Event) -> None:
        calls.append(event)
        raise RuntimeError("bug in the user's callback")

    caplog.set_level(logging.DEBUG, logger="wom_sdk")
    a = FakeLLM([insight(sentiment="positive")] * 2).analyzer(on_event=broken)
    assert a.analyze("great phone").sentiment.label == "positive"
    assert a.analyze("great phone again").sentiment.label == "positive"
    assert len(calls) >= 6
    failures = [r for r in caplog.records if "on_event callback raised" in r.getMessage()]
    assert len(failures) == len(calls)
    # Loud once (with the traceback), quiet after.
    assert [r.levelno for r in failures] == [logging.WARNING] + [logging.DEBUG] * (len(calls) - 1)
    assert failures[0].exc_info is not None


def test_events_are_not_built_when_nobody_listens(monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    built: list[str] = []

    def refuse(cls: type[ev.Event]) -> type[ev.Event]:
        class Refused(cls):  # type: ignore[valid-type,misc]
            __slots__ = ()

            def __init__(self, *a: Any, **k: Any) -> None:
                built.append(cls.__name__)

        return Refused

    for name in ev.__all__:
        if name != "Event":
            monkeypatch.setattr(ev, name, refuse(getattr(ev, name)))
    caplog.set_level(logging.INFO, logger="wom_sdk")
    FakeLLM(script()).analyzer().analyze(REVIEW)
    assert built == []


def test_logs_are_debug_for_normal_work_and_carry_no_review_text(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    a = FakeLLM(script()).analyzer()
    a.analyze_many([REVIEW, "so-so phone"])
    ours = [r for r in caplog.records if r.name.startswith("wom_sdk")]
    names = {r.name for r in ours}
    assert {"wom_sdk.http", "wom_sdk.adapt", "wom_sdk.ratelimit", "wom_sdk.retry",
            "wom_sdk.validation", "wom_sdk.review"} <= names
    assert all(r.levelno == logging.DEBUG for r in ours)
    # Only the re-ask's validation errors (DEBUG) may quote the model's answer.
    assert all("so-so" not in r.getMessage() for r in ours)
    assert all(REVIEW not in r.getMessage() for r in ours)


def test_the_package_logger_has_a_null_handler() -> None:
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("wom_sdk").handlers)


def test_event_types_are_frozen_and_say_what_happened() -> None:
    e = ev.RetryScheduled(attempt=2, wait=1.5, reason="server (503)")
    with pytest.raises(AttributeError):
        e.wait = 0  # type: ignore[misc]
    assert str(e) == "attempt 2 failed (server (503)): retrying in 1.50s"
    assert ev.BudgetReached.logger == "wom_sdk.budget"


def test_async_events_come_from_the_tasks_doing_the_work() -> None:
    got: list[ev.Event] = []

    async def main() -> None:
        async with FakeLLM().async_analyzer(on_event=got.append) as a:
            await a.analyze_many(["one", "two", "three"])

    asyncio.run(main())
    assert kinds(got).count("ReviewFinished") == 3


def test_what_answers_change_in_the_next_request_is_an_adaptation_too() -> None:
    # A reasoning model behind a name that hides its family: max_tokens refused (an
    # error), then an answer cut at its cap (retried with twice the room), then prose
    # where JSON was asked (the next output mode): one Adapted event each, none for
    # the output mode's own parameters (tools, tool_choice).
    refused = {"error": {"message": "Unsupported parameter: 'max_tokens' is not supported "
                         "with this model. Use 'max_completion_tokens' instead.",
                         "type": "invalid_request_error", "param": "max_tokens",
                         "code": "unsupported_parameter"}}
    cut = answer('{"language": "en", "senti', finish_reason="length",
                 completion_tokens=100_000)
    got: list[ev.Event] = []
    llm = FakeLLM([Reply(400, refused), cut, "Here is my analysis, in prose.", insight()])
    llm.analyzer(model="reviews-prod", on_event=got.append, temperature=None).analyze(REVIEW)
    adapted = [(e.what, e.before, e.after, e.reason) for e in got if isinstance(e, ev.Adapted)]
    assert adapted == [
        ("parameter", "max_tokens", "max_completion_tokens", "HTTP 400"),
        ("parameter", "max_completion_tokens=7168", "max_completion_tokens=14336",
         "answer cut at the cap"),
        ("mode", "json_schema", "tools", "answer not in the format asked"),
    ]
