"""``max_cost_usd``: a batch never sends a request that could take it past its budget."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wom_sdk import ConfigurationError, PricesError
from wom_sdk import events as ev
from wom_sdk._pricing import Budget, BudgetExhausted, Price
from wom_sdk.testing import FakeLLM, RecordedRequest, insight, set_testing
from wom_sdk.types import Usage

# The fake answers every request with 100 prompt + 50 completion tokens.
PRICE = Price(input=10.0, output=20.0)  # US dollars per million tokens
ANSWER_COST = PRICE.cost(Usage(prompt_tokens=100, completion_tokens=50))  # $0.002


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    with set_testing(True):
        yield


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"fake-model": {"input": PRICE.input, "output": PRICE.output}}))
    return path


def reviews(n: int) -> list[dict[str, str]]:
    # The same length each: every request reserves the same worst case.
    return [{"id": f"r{i:02d}", "text": f"review number {i:02d}: fine"} for i in range(n)]


def worst_case(llm: FakeLLM, prices: Path) -> float:
    """What one request of these reviews reserves: its estimated prompt and whole answer cap."""
    sent: list[ev.RequestSent] = []
    a = llm.analyzer(prices=prices, on_event=lambda e: sent.extend(
        [e] if isinstance(e, ev.RequestSent) else []))
    a.analyze(reviews(1)[0]["text"])
    cap = a.max_output_tokens
    return PRICE.cost(Usage(prompt_tokens=sent[0].estimated_tokens - cap, completion_tokens=cap))


def test_the_batch_stops_before_passing_the_budget(prices: Path) -> None:
    llm = FakeLLM()
    worst = worst_case(llm, prices)
    limit = worst + 5.5 * ANSWER_COST
    a = llm.analyzer(prices=prices)
    results = a.analyze_many(reviews(20), max_concurrency=1, max_cost_usd=limit)
    # One at a time: a review starts while what was spent plus its worst case fits.
    expected = int((limit - worst) / ANSWER_COST) + 1
    assert expected == 6
    assert [r.id for r in results] == [f"r{i:02d}" for i in range(expected)]
    assert all(r.ok for r in results)
    assert PRICE.cost(a.usage) <= limit
    assert len(llm.requests) == 1 + expected  # nothing was sent for the reviews left out


def test_requests_in_flight_hold_their_worst_case(prices: Path) -> None:
    in_flight, most = 0, 0
    lock = threading.Lock()

    def slow(request: RecordedRequest) -> Any:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return insight()

    llm = FakeLLM(then=slow)
    worst = worst_case(FakeLLM(), prices)
    a = llm.analyzer(prices=prices, requests_per_minute=1_000_000)
    results = a.analyze_many(reviews(30), max_concurrency=16, max_cost_usd=3.5 * worst)
    assert most <= 3  # three worst cases fit in the budget at once, never four
    assert 3 <= len(results) < 30
    assert PRICE.cost(a.usage) <= 3.5 * worst


def test_an_unknown_price_is_a_configuration_error_before_any_request() -> None:
    llm = FakeLLM()
    a = llm.analyzer()  # fake-model at fake-llm.test: no price is known
    with pytest.raises(ConfigurationError, match="no price is known for model 'fake-model'"):
        a.analyze_many(reviews(3), max_cost_usd=1.0)
    with pytest.raises(ConfigurationError):
        a.iter_many(reviews(3), max_cost_usd=1.0)  # at the call, not at the first result
    with pytest.raises(ConfigurationError):
        llm.async_analyzer().aiter_many(reviews(3), max_cost_usd=1.0)
    assert llm.requests == []


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, "5"])
def test_a_budget_must_be_a_positive_number(prices: Path, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_cost_usd must be a positive number"):
        FakeLLM().analyzer(prices=prices).analyze_many(reviews(1), max_cost_usd=bad)


def test_a_bad_price_file_fails_the_call_that_needs_it(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text("{")
    a = FakeLLM().analyzer(prices=bad)  # not read until a budget needs it
    assert a.analyze("fine").sentiment.label == "neutral"
    with pytest.raises(PricesError):
        a.analyze_many(reviews(1), max_cost_usd=1.0)


def test_reaching_the_budget_is_told_once(prices: Path, caplog: pytest.LogCaptureFixture) -> None:
    got: list[ev.Event] = []
    llm = FakeLLM()
    limit = worst_case(llm, prices) + 2 * ANSWER_COST
    caplog.set_level(logging.WARNING, logger="wom_sdk")
    a = llm.analyzer(prices=prices, on_event=got.append, requests_per_minute=1_000_000)
    a.analyze_many(reviews(20), max_cost_usd=limit)
    reached = [e for e in got if isinstance(e, ev.BudgetReached)]
    assert len(reached) == 1
    assert reached[0].limit_usd == limit
    assert reached[0].spent_usd <= limit
    warnings = [r for r in caplog.records if r.name == "wom_sdk.budget"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "not in the results" in warnings[0].getMessage()


def test_a_rerun_of_what_is_missing_finishes_the_batch(prices: Path) -> None:
    llm = FakeLLM()
    limit = worst_case(llm, prices) + 3 * ANSWER_COST
    batch = reviews(10)
    a = llm.analyzer(prices=prices)
    first = a.analyze_many(batch, max_concurrency=1, max_cost_usd=limit)
    done = {r.id for r in first}
    rest = a.analyze_many([r for r in batch if r["id"] not in done], max_concurrency=1)
    assert sorted(done | {r.id for r in rest}) == [r["id"] for r in batch]
    assert done.isdisjoint({r.id for r in rest})


def test_packs_are_budgeted_too(prices: Path) -> None:
    llm = FakeLLM()
    sent: list[ev.RequestSent] = []
    a = llm.analyzer(prices=prices, requests_per_minute=1_000_000, on_event=lambda e: sent.extend(
        [e] if isinstance(e, ev.RequestSent) else []))
    a.analyze_many(reviews(10), pack=10)
    cap = 10 * a.max_output_tokens  # a pack reserves one answer cap per review
    worst = PRICE.cost(Usage(prompt_tokens=sent[0].estimated_tokens - cap, completion_tokens=cap))
    spent = PRICE.cost(a.usage)
    results = a.analyze_many(reviews(40), pack=10, max_cost_usd=worst + 1.5 * ANSWER_COST)
    assert len(results) in (10, 20)  # a pack is answered whole, or not started
    assert PRICE.cost(a.usage) - spent <= worst + 1.5 * ANSWER_COST


async def test_the_async_twin_keeps_the_budget(prices: Path) -> None:
    llm = FakeLLM()
    limit = worst_case(llm, prices) + 4 * ANSWER_COST
    async with llm.async_analyzer(prices=prices) as a:
        results = await a.analyze_many(reviews(20), max_concurrency=1, max_cost_usd=limit)
        pairs = [p async for p in a.aiter_many(reviews(20), max_concurrency=1,
                                               max_cost_usd=limit)]
    assert len(results) == len(pairs) == 5


def test_budget_settles_what_each_request_really_cost() -> None:
    b = Budget(1.0, Price(input=100_000.0, output=100_000.0))  # $0.1 per token
    hold = b.reserve(prompt_tokens=3, max_output_tokens=3)  # worst case $0.6
    with pytest.raises(BudgetExhausted):
        b.reserve(prompt_tokens=3, max_output_tokens=2)  # $0.5 more does not fit
    assert b.exhausted
    b.settle(hold, Usage(prompt_tokens=3, completion_tokens=1), answered=True)
    assert b.spent == pytest.approx(0.4)
    b.settle(hold, Usage(prompt_tokens=3, completion_tokens=3), answered=True)  # once only
    assert b.spent == pytest.approx(0.4)
    error = b.reserve(prompt_tokens=2, max_output_tokens=1)
    b.settle(error, None, answered=True)  # a 4xx/5xx answer is not billed
    assert b.spent == pytest.approx(0.4)
    lost = b.reserve(prompt_tokens=2, max_output_tokens=1)
    b.settle(lost, None, answered=False)  # no answer: maybe billed, the worst case stays
    assert b.spent == pytest.approx(0.7)
