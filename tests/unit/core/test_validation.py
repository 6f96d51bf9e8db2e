"""Arguments are checked where they enter: a TypeError or ConfigurationError naming them,
before any request (issue 8, item 7)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from wom_sdk import AsyncReviewAnalyzer, ConfigurationError, ReviewAnalyzer
from wom_sdk.testing import FakeLLM, set_testing

URL = "http://mock.test/v1"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with set_testing(True):
        yield FakeLLM()


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"api_key": 123}, TypeError, "api_key must be a str"),
        ({"timeout": "30"}, TypeError, "timeout must be a number"),
        ({"timeout": float("nan")}, ConfigurationError, "timeout"),
        ({"requests_per_minute": "600"}, TypeError, "requests_per_minute"),
        ({"requests_per_minute": -1}, ConfigurationError, "requests_per_minute"),
        ({"max_reasks": 1.5}, TypeError, "max_reasks must be a whole number"),
        ({"max_output_tokens": 0}, ConfigurationError, "max_output_tokens must be at least 1"),
        ({"max_review_chars": True}, TypeError, "max_review_chars"),
        ({"temperature": 5}, ConfigurationError, "temperature"),
        ({"categories": "battery"}, TypeError, "categories must be a list of strings"),
        ({"categories": []}, ConfigurationError, "categories must not be empty"),
        ({"categories": ["battery", 3]}, TypeError, "categories must hold non-empty strings"),
        ({"redact": "yes"}, TypeError, "redact"),
        ({"sampling": [("top_p", 1)]}, TypeError, "sampling"),
        ({"cache": 5}, TypeError, "cache"),
        ({"default_headers": {"x-a": 1}}, TypeError, "default_headers"),
        ({"default_headers": {"x-a": "a\nb"}}, ConfigurationError, "line break"),
        ({"model": ["gpt"]}, TypeError, "model must be a str"),
    ],
)
def test_bad_constructor_arguments_name_themselves(kwargs: dict[str, Any], error: type,
                                                   needle: str) -> None:
    for cls in (ReviewAnalyzer, AsyncReviewAnalyzer):
        with pytest.raises(error, match=needle):
            cls(base_url=URL, **kwargs)


@pytest.mark.parametrize(("key", "problem"), [
    ("sk-abc\u200bdef", r"non-ASCII character \(character 7, U\+200B\)"),  # zero-width space
    ("sk-ab“cd”", "non-ASCII character"),  # curly quotes from a rich-text editor
    ("sk-abc\ndef", "line break"),
    ("sk-abc\x07", "control character"),
])
def test_a_key_that_cannot_be_a_header_is_refused_at_construction(
        key: str, problem: str, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=problem) as info:
        ReviewAnalyzer(api_key=key, base_url=URL, http_client=llm.client())
    assert key not in str(info.value)
    assert "api_key" in str(info.value)
    # From the environment: the same check, and the message says where it came from.
    monkeypatch.setenv("OPENAI_API_KEY", key)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY") as info:
        ReviewAnalyzer(base_url=URL, http_client=llm.client())
    assert key not in str(info.value)
    assert llm.requests == []


def test_analyze_many_refuses_one_string_instead_of_nine_reviews(llm: FakeLLM) -> None:
    a = ReviewAnalyzer(base_url=URL, http_client=llm.client())
    with pytest.raises(TypeError, match="not one str"):
        a.analyze_many("good food")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one mapping"):
        a.analyze_many({"text": "good food"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int"):
        a.analyze_many(7)  # type: ignore[arg-type]
    assert llm.requests == []


@pytest.mark.parametrize(("kwargs", "error", "needle"), [
    ({"pack": 0}, ConfigurationError, "pack must be at least 1"),
    ({"pack": -1}, ConfigurationError, "pack must be at least 1"),
    ({"pack": "10"}, TypeError, "pack must be a whole number"),
    ({"max_concurrency": 0}, ConfigurationError, "max_concurrency must be at least 1"),
    ({"max_concurrency": 2.5}, TypeError, "max_concurrency"),
])
def test_batch_arguments_are_checked_by_both_twins(kwargs: dict[str, Any], error: type,
                                                   needle: str, llm: FakeLLM) -> None:
    a = ReviewAnalyzer(base_url=URL, http_client=llm.client())
    with pytest.raises(error, match=needle):
        a.analyze_many(["good"], **kwargs)
    with pytest.raises(error, match=needle):
        a.iter_many(["good"], **kwargs)
    aa = AsyncReviewAnalyzer(base_url=URL, http_client=llm.async_client())
    with pytest.raises(error, match=needle):
        asyncio.run(aa.analyze_many(["good"], **kwargs))
    assert llm.requests == []


def test_per_call_arguments_are_checked(llm: FakeLLM) -> None:
    a = ReviewAnalyzer(base_url=URL, http_client=llm.client())
    with pytest.raises(TypeError, match="review text must be str"):
        a.analyze(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rating must be a number"):
        a.analyze("good", rating="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="categories must be a list"):
        a.complaints("good", categories="battery")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="product must be a str"):
        a.sentiment("good", product=42)  # type: ignore[arg-type]
    assert llm.requests == []


def test_none_from_a_generator_is_one_error_not_the_lost_batch(llm: FakeLLM) -> None:
    def reviews() -> Iterator[Any]:
        for i in range(30):
            yield f"review {i}: the battery dies"
        yield None
        yield 3.5
        yield "the last one"

    a = ReviewAnalyzer(base_url=URL, http_client=llm.client())
    results = a.analyze_many(reviews(), max_concurrency=4)
    assert len(results) == 33
    assert [r.id for r in results] == [str(i) for i in range(33)]
    assert sum(r.ok for r in results) == 31
    bad = {r.id: r.error for r in results if r.error is not None}
    assert set(bad) == {"30", "31"}
    assert bad["30"].kind == "invalid_review"
    assert "review 30 is NoneType" in bad["30"].message
    assert len(llm.requests) == 31  # the bad items were never sent


def test_none_in_an_async_batch_too(llm: FakeLLM) -> None:
    async def go() -> list[Any]:
        async with AsyncReviewAnalyzer(base_url=URL, http_client=llm.async_client()) as aa:
            return await aa.analyze_many(["fine", None, "also fine"])  # type: ignore[list-item]

    results = asyncio.run(go())
    assert [r.ok for r in results] == [True, False, True]


def test_analyze_dataframe_wants_a_frame(llm: FakeLLM) -> None:
    a = ReviewAnalyzer(base_url=URL, http_client=llm.client())
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        a.analyze_dataframe([{"text": "good"}], text_column="text")
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="use analyze_dataframe"):
        a.analyze_many(pd.DataFrame({"text": ["good"]}))
