"""``wom_sdk.testing``: the fake LLM and the no-wait switch users test their code with."""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wom_sdk
from helpers.answers import REVIEW
from wom_sdk import RetryPolicy, ReviewAnalyzer
from wom_sdk import testing as wt
from wom_sdk.testing import FakeLLM, RecordedRequest, insight, set_testing

README = Path(__file__).parents[3] / "README.md"
#: Backoff long enough that a single real sleep would show.
SLOW_RETRY = RetryPolicy(attempts=3, wait_initial=50, wait_max=50, wait_jitter=0)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep wom-sdk asks for (tenacity's and the limiter's), none taken."""
    asked: list[float] = []

    async def asleep(seconds: float, *args: Any) -> None:
        asked.append(seconds)

    monkeypatch.setattr(time, "sleep", asked.append)
    monkeypatch.setattr(asyncio, "sleep", asleep)
    return asked


@pytest.fixture(autouse=True)
def _switch_off_afterwards() -> Iterator[None]:
    yield
    set_testing(False)


def test_the_public_names_are_exactly_the_intended_ones() -> None:
    assert set(wt.__all__) == {
        "FAKE_BASE_URL", "FakeLLM", "RecordedRequest", "Reply", "Step",
        "answer", "api_error", "content_filtered", "dropped_connection", "insight",
        "invalid_json", "is_testing", "rate_limited", "refusal", "server_error",
        "set_testing", "timed_out", "truncated",
    }  # fmt: skip
    for name in wt.__all__:
        assert hasattr(wt, name)
        obj = getattr(wt, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            # Reprs and help() say wom_sdk.testing.RecordedRequest, not the private module.
            assert obj.__module__ == "wom_sdk.testing", name


# -- the no-wait switch ----------------------------------------------------------------


def test_without_the_switch_retries_do_sleep(sleeps: list[float]) -> None:
    # The control for the tests below: the same kind of script waits when testing is off.
    # (The 429's wait is short: the fake sleep returns at once, so the limiter re-checks
    # its real clock until the cool-down is over.)
    llm = FakeLLM([wt.server_error(), wt.rate_limited(retry_after=0.05)])
    llm.analyzer(retry=SLOW_RETRY, structured_output="json_schema").analyze(REVIEW)
    assert len(llm.requests) == 3
    assert sleeps[0] == 50  # the 500's backoff
    assert 0.05 <= max(sleeps[1:]) <= 0.15  # the 429's cool-down, waited in the limiter


def test_the_switch_keeps_retries_but_never_sleeps(sleeps: list[float]) -> None:
    llm = FakeLLM([wt.server_error(), wt.rate_limited(retry_after=20)])
    set_testing(True)
    assert wt.is_testing()
    # One request a minute: the second analyze would be paced 60 s later.
    a = llm.analyzer(retry=SLOW_RETRY, structured_output="json_schema", requests_per_minute=1)
    a.analyze(REVIEW)
    a.analyze(REVIEW)
    assert len(llm.requests) == 4  # 2 retries happened
    assert all(s == 0 for s in sleeps)
    assert a.limiter.throttled == 1  # the 429 still cooled the limiter down (booked)
    assert a.limiter.reserve(0).delay > 60  # and the pace was booked, not slept


async def test_the_switch_covers_the_async_analyzer(sleeps: list[float]) -> None:
    llm = FakeLLM([wt.rate_limited(retry_after=20), wt.server_error()])
    with set_testing(True):
        async with llm.async_analyzer(
            retry=SLOW_RETRY, structured_output="json_schema", requests_per_minute=1
        ) as a:
            await a.analyze(REVIEW)
            await a.analyze(REVIEW)
    assert len(llm.requests) == 4
    assert all(s == 0 for s in sleeps)


def test_attempts_overrides_every_policy() -> None:
    llm = FakeLLM(then=wt.server_error(503))
    with set_testing(True, attempts=2), pytest.raises(wom_sdk.ServerError):
        llm.analyzer(retry=RetryPolicy(attempts=6)).analyze(REVIEW)
    assert len(llm.requests) == 2
    llm = FakeLLM(then=wt.server_error(503))
    with set_testing(True), pytest.raises(wom_sdk.ServerError):  # None: the policy's own
        llm.analyzer(retry=RetryPolicy(attempts=3)).analyze(REVIEW)
    assert len(llm.requests) == 3


def test_the_context_manager_restores_the_previous_state() -> None:
    assert not wt.is_testing()
    with set_testing(True, attempts=3):
        with set_testing(False):
            assert not wt.is_testing()
        assert wt.is_testing()
    assert not wt.is_testing()


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1, got 0"):
        set_testing(True, attempts=0)
    assert not wt.is_testing()


# -- FakeLLM -------------------------------------------------------------------------------


def test_script_then_valid_answers_for_every_task() -> None:
    llm = FakeLLM([insight(sentiment="negative", complaints=["电池一天要充三次"], language="zh")])
    with llm.analyzer() as a:
        first = a.analyze(REVIEW)
        second = a.analyze(REVIEW)  # the script is used up: a valid default answer
        s = a.sentiment("Great phone")
        cs = a.complaints(REVIEW)
        r = a.suggest_reply(REVIEW)
    assert [c.quote for c in first.complaints] == ["电池一天要充三次"]
    assert first.sentiment.label == "negative"
    assert first.sentiment.score == -0.7
    assert (second.sentiment.label, second.complaints, second.warnings) == ("neutral", [], [])
    assert second.reply.text == "感谢您的评价，我们会认真改进。"
    assert not second.reply.needs_human_review  # a reply in the review's own language
    assert (s.label, s.score) == ("neutral", 0.0)
    assert cs == []
    assert r.language == "zh"
    assert not r.needs_human_review
    assert [q.task for q in llm.requests] == [
        "analyze", "analyze", "sentiment", "complaints", "reply"
    ]
    assert llm.unused_steps == 0


def test_packed_requests_get_one_answer_per_review() -> None:
    llm = FakeLLM()
    reviews = ["好用", "Bad battery, slow shipping", "一般般"]
    results = llm.analyzer().analyze_many(reviews, pack=3)
    assert [r.ok for r in results] == [True, True, True]
    (request,) = llm.requests
    assert request.task == "analyze_pack"
    assert request.reviews == reviews
    assert request.review_ids == ["r1", "r2", "r3"]
    assert [r.insight.language for r in results if r.insight] == ["zh", "en", "zh"]


def test_recorded_requests_show_what_the_model_saw() -> None:
    llm = FakeLLM()
    llm.analyzer(api_key="sk-test").analyze(
        "Call me at +86 138 0013 8000, the screen broke", product="X1", rating=1
    )
    (request,) = llm.requests
    assert request.reviews == ["Call me at [PHONE_1], the screen broke"]  # redacted
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.url == f"{wt.FAKE_BASE_URL}/chat/completions"
    assert request.body["model"] == "fake-model"
    assert "customer-feedback analyst" in request.system_prompt
    assert request.schema is not None
    assert "sentiment" in request.schema["properties"]


def test_the_schema_is_found_in_the_prompt_when_no_response_format_carries_it() -> None:
    llm = FakeLLM()
    insight_ = llm.analyzer(structured_output="prompt").analyze(REVIEW)
    (request,) = llm.requests
    assert "response_format" not in request.body
    assert request.task == "analyze"
    assert insight_.extra["structured_output"] == "prompt"


def test_a_request_it_cannot_read_gets_a_400_that_says_so() -> None:
    request = RecordedRequest({"messages": [{"role": "user", "content": "hi"}]})
    assert request.task is None
    assert request.reviews == []
    assert request.schema is None
    reply = wt._resolve(None, request)
    assert isinstance(reply, wt.Reply)
    assert reply.status == 400
    assert "script its answer" in str(reply.body)


def test_callable_steps_see_the_request_and_may_return_any_step() -> None:
    def by_review(request: RecordedRequest) -> Any:
        if "FAIL" in request.reviews[0]:
            return wt.api_error(400, "not this one")
        return insight(sentiment="positive", praise=[request.reviews[0]])

    llm = FakeLLM(then=by_review)
    results = llm.analyzer().analyze_many(["FAIL me", "lovely"])
    assert [r.ok for r in results] == [False, True]
    assert results[0].error is not None
    assert results[0].error.status_code == 400
    assert results[1].insight is not None
    assert [p.quote for p in results[1].insight.praise] == ["lovely"]


def test_raw_text_steps_are_the_model_s_words() -> None:
    text = 'Sure! ```json\n{"language": "en", "label": "mixed", "score": 0, "confidence": 1}\n```'
    llm = FakeLLM([text])
    assert llm.analyzer(structured_output="prompt").sentiment("ok").label == "mixed"


def test_one_fake_serves_many_threads() -> None:
    llm = FakeLLM()
    results = llm.analyzer().analyze_many([f"review {i}" for i in range(40)], max_concurrency=16)
    assert all(r.ok for r in results)
    assert len(llm.requests) == 40
    assert {q.body["messages"][1]["content"].count("review ") for q in llm.requests} == {1}


@pytest.mark.parametrize(
    ("step", "error", "message"),
    [
        (wt.rate_limited(retry_after=2.5), wom_sdk.RateLimitError, "429"),
        (wt.server_error(502), wom_sdk.ServerError, "502"),
        (wt.api_error(401, "bad key"), wom_sdk.AuthenticationError, "bad key"),
        (wt.api_error(404, "no such model"), wom_sdk.APIStatusError, "no such model"),
        (wt.dropped_connection(), wom_sdk.APIConnectionError, "RemoteProtocolError"),
        (wt.timed_out(), wom_sdk.APITimeoutError, "timeout"),
        (wt.invalid_json(), wom_sdk.OutputValidationError, "not valid JSON"),
        (wt.truncated(), wom_sdk.TruncatedOutputError, "max_output_tokens"),
        (wt.refusal("no way"), wom_sdk.RefusalError, "no way"),
        (wt.content_filtered(), wom_sdk.ContentFilterError, "content filter"),
    ],
)
def test_each_fault_ends_as_its_documented_error(
    step: wt.Step, error: type[Exception], message: str
) -> None:
    llm = FakeLLM(then=step)
    with set_testing(True, attempts=2), pytest.raises(error, match=message) as info:
        llm.analyzer(structured_output="json_schema").analyze(REVIEW)
    if isinstance(info.value, wom_sdk.RateLimitError):
        assert info.value.retry_after == 2.5  # retry-after-ms wins over whole seconds
    assert llm.requests[0].reviews == [REVIEW]


def test_insight_builds_what_the_schema_asks_for() -> None:
    answer = insight(
        sentiment="mixed",
        complaints=["slow", {"quote": "broke", "category": "battery", "severity": "high"}],
        praise=["nice screen"],
        language="en",
    )
    assert answer == {
        "language": "en",
        "sentiment": {"label": "mixed", "score": 0.0},
        "complaints": [
            {"aspect": "slow", "category": "other", "quote": "slow", "severity": "medium"},
            {"aspect": "broke", "category": "battery", "quote": "broke", "severity": "high"},
        ],
        "praise": [{"aspect": "nice screen", "quote": "nice screen"}],
        "reply": "Thank you for your review; we will look into it.",
        "summary": "",
    }


def test_the_readme_example_runs() -> None:
    # The "Testing your code" section's example, executed: it cannot rot unnoticed.
    section = README.read_text(encoding="utf-8").split("### Testing your code", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), str(README), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert tests
    for test in tests:
        test()
    assert not wt.is_testing()  # the example cleaned up after itself


def test_analyzer_helpers_pass_arguments_through() -> None:
    llm = FakeLLM()
    a = llm.analyzer(model="my-model", max_reasks=0)
    assert isinstance(a, ReviewAnalyzer)
    assert (a.model, a.base_url, a.max_reasks) == ("my-model", wt.FAKE_BASE_URL, 0)
    aa = llm.async_analyzer()
    assert isinstance(aa, wom_sdk.AsyncReviewAnalyzer)
    assert aa.model == "fake-model"
    assert repr(llm) == "FakeLLM(requests=0, unused_steps=0)"
