"""The injection/abuse corpus against the pure hardening functions.

Each line of ``tests/data/injection_cases.jsonl``::

    id                   unique, "en-..." / "zh-..." / "benign-..."
    lang                 "en" or "zh": the review's language
    kind                 "injection", "abuse" or "benign"
    review               the review text (escapes such as \\u200b are hidden characters)
    review_repeat        optional: the review is ``review * review_repeat`` (40 KB junk, floods)
    hijacked_reply       a reply a hijacked model could write (null for benign cases)
    benign_reply         a reply a working model would write
    expect_reasons       reply reasons check_reply must report for hijacked_reply
    expect_review_flags  reasons review_flags must report for the (cleaned) review

This module covers the pure functions (clean, guard, redact); prompt-side
assertions are added by the client tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wom_sdk.text._clean import DEFAULT_MAX_CHARS, clean_review
from wom_sdk.text._guard import (
    REPLY_REASONS,
    REVIEW_REASONS,
    ReplyPolicy,
    check_reply,
    review_flags,
)
from wom_sdk.text._redact import Redactor

CASES_PATH = Path(__file__).parents[2] / "data" / "injection_cases.jsonl"
POLICY = ReplyPolicy()


def _load() -> list[dict[str, Any]]:
    with CASES_PATH.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _load()
ATTACKS = [c for c in CASES if c["kind"] != "benign"]
BENIGN = [c for c in CASES if c["kind"] == "benign"]


def _review(case: dict[str, Any]) -> str:
    return str(case["review"]) * int(case.get("review_repeat", 1))


def _cleaned(case: dict[str, Any]) -> str:
    return clean_review(_review(case)).text


def test_corpus_shape() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ATTACKS) >= 36
    en = sum(c["lang"] == "en" for c in ATTACKS)
    zh = sum(c["lang"] == "zh" for c in ATTACKS)
    assert en >= 18
    assert zh >= 18
    assert len(BENIGN) >= 10
    assert {c["lang"] for c in BENIGN} == {"en", "zh"}
    for c in CASES:
        assert set(c["expect_reasons"]) <= set(REPLY_REASONS), c["id"]
        assert set(c["expect_review_flags"]) <= set(REVIEW_REASONS), c["id"]
        assert (c["hijacked_reply"] is None) == (c["kind"] == "benign"), c["id"]
        if c["kind"] != "benign":
            assert c["expect_reasons"], c["id"]
    assert any(len(_review(c)) >= 40_000 for c in ATTACKS)


@pytest.mark.parametrize("case", ATTACKS, ids=lambda c: c["id"])
def test_hijacked_reply_is_caught(case: dict[str, Any]) -> None:
    review = _cleaned(case)
    check = check_reply(case["hijacked_reply"], review=review, policy=POLICY)
    assert not check.ok
    assert check.needs_human_review
    assert check.problems
    missing = set(case["expect_reasons"]) - set(check.reasons)
    assert not missing, (missing, check.problems)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_review_flags(case: dict[str, Any]) -> None:
    flags = review_flags(_cleaned(case))
    assert set(case["expect_review_flags"]) <= set(flags), flags
    if case["kind"] == "benign":
        assert flags == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_benign_reply_passes(case: dict[str, Any]) -> None:
    review = _cleaned(case)
    check = check_reply(case["benign_reply"], review=review, policy=POLICY)
    assert check.ok, check.problems
    assert check.problems == []
    # Only the review itself can still ask for a human.
    assert set(check.reasons) == set(review_flags(review))
    if case["kind"] == "benign":
        assert not check.needs_human_review


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_cleaning_bounds_every_review(case: dict[str, Any]) -> None:
    raw = _review(case)
    cleaned = clean_review(raw)
    assert len(cleaned.text) <= DEFAULT_MAX_CHARS
    assert cleaned.truncated == (len(raw) > DEFAULT_MAX_CHARS)
    assert "\u200b" not in cleaned.text
    if "\u200b" in raw:
        assert cleaned.removed_control_chars == raw.count("\u200b")
    if "<script>" in raw or "display:none" in raw:
        assert cleaned.html_stripped
        assert "alert" not in cleaned.text
        assert "忽略" not in cleaned.text


@pytest.mark.parametrize("case", [c for c in CASES if "personal_data" in c["expect_review_flags"]],
                         ids=lambda c: c["id"])
def test_personal_data_is_redacted_before_sending(case: dict[str, Any]) -> None:
    review = _cleaned(case)
    redactor = Redactor()
    redacted = redactor.redact(review)
    assert redacted.total >= 1
    assert redactor.find(redacted.text) == []
    assert "personal_data" not in review_flags(redacted.text)
    assert redacted.restore(redacted.text) == review


@pytest.mark.parametrize("case", [c for c in ATTACKS if "reply_phone" in c["expect_reasons"]
                                  or "reply_email" in c["expect_reasons"]],
                         ids=lambda c: c["id"])
def test_allowing_the_contact_clears_only_that_problem(case: dict[str, Any]) -> None:
    # The shop's own hotline or address is fine; other problems remain.
    from wom_sdk.text._redact import find_emails, find_phones

    reply = case["hijacked_reply"]
    policy = ReplyPolicy(allowed_phones=tuple(s.value for s in find_phones(reply)),
                         allowed_emails=tuple(s.value for s in find_emails(reply)))
    check = check_reply(reply, review=_cleaned(case), policy=policy)
    assert "reply_phone" not in check.reasons
    assert "reply_email" not in check.reasons
    others = set(case["expect_reasons"]) - {"reply_phone", "reply_email"}
    assert others <= set(check.reasons)
