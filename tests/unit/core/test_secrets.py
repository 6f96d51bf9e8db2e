"""A planted API key must not show up anywhere we write or print."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from fakeserver import FakeOpenAIServer, FaultPlan, wom_responder
from wom_sdk import RetryPolicy, ReviewAnalyzer
from wom_sdk.io._results import ResultRecord

# Built from parts so that secret scanners do not mistake this fake for a real key.
PLANTED = "sk" + "-planted-0123456789abcdefSECRET"


def test_planted_key_never_leaks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # openai and httpx2 log requests at DEBUG
    cache = tmp_path / "cache.sqlite"
    out = tmp_path / "out.jsonl"
    plan = FaultPlan(script=["500", None, "429", None], retry_after=0.01)
    texts: list[str] = []
    events: list[object] = []
    with FakeOpenAIServer(responder=wom_responder, faults=plan, require_api_key=PLANTED) as srv:
        a = ReviewAnalyzer(
            model="m",
            api_key=PLANTED,
            base_url=srv.base_url,
            cache=cache,
            retry=RetryPolicy(attempts=3, wait_initial=0, wait_max=0, wait_jitter=0),
            on_event=events.append,
        )
        results = a.analyze_many(["电池不行", "bad strap", ""])
        # a wrong key: the error a user sees must not echo the key either
        bad = ReviewAnalyzer(
            model="m", api_key=PLANTED + "x", base_url=srv.base_url, retry=RetryPolicy(attempts=1),
            on_event=events.append,
        )
        failed = bad.analyze_many(["电池不行"])
        received = [r.headers.get("authorization") for r in srv.requests]
        texts += [repr(a), str(a), repr(bad), repr(vars(bad))]
        a.close()
    assert f"Bearer {PLANTED}" in received  # the key did reach the endpoint
    assert failed[0].error is not None
    assert failed[0].error.kind == "authentication"
    with out.open("w", encoding="utf-8") as f:
        for r in [*results, *failed]:
            f.write(json.dumps(ResultRecord.from_result(r).to_line(), ensure_ascii=False) + "\n")
            texts += [repr(r), str(r.error)]
    texts.append(caplog.text)
    # What a service sees of the work (wom_sdk's loggers, on_event) is checked too.
    assert {"wom_sdk.http", "wom_sdk.retry", "wom_sdk.review"} <= {r.name for r in caplog.records}
    assert {"RequestSent", "RetryScheduled", "Throttled"} <= {type(e).__name__ for e in events}
    texts += [repr(e) for e in events] + [str(e) for e in events]
    # Review text never reaches a log record above DEBUG.
    loud = [r.getMessage() for r in caplog.records
            if r.name.startswith("wom_sdk") and r.levelno > logging.DEBUG]
    assert not [m for m in loud if "电池" in m or "strap" in m]
    for path in (out, cache, *tmp_path.glob("cache.sqlite*")):
        texts.append(path.read_bytes().decode("utf-8", "replace"))
    leaks = [t[:200] for t in texts if PLANTED in t]
    assert leaks == []


def test_cassettes_hold_no_secrets() -> None:
    root = Path(__file__).parents[2] / "recorded" / "cassettes"
    for path in root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "Bearer sk-" not in text, path
        assert PLANTED not in text


def test_errors_do_not_carry_the_key() -> None:
    from wom_sdk import ConfigurationError

    with pytest.raises(ConfigurationError) as info:
        ReviewAnalyzer(api_key=PLANTED, base_url="ftp://nope")
    assert PLANTED not in str(info.value)
    assert PLANTED not in repr(info.value.__dict__)
