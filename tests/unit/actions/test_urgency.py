"""Who needs a response now, and the queue's urgency score: every number checked by hand."""

from __future__ import annotations

import datetime as dt

from helpers.records import failed, line
from wom_sdk.actions import URGENT_REASONS, urgency, urgent_reasons
from wom_sdk.actions._urgency import URGENT_FLAGS
from wom_sdk.io._results import coerce_record
from wom_sdk.text._guard import REVIEW_REASONS

AS_OF = dt.date(2024, 6, 10)


def _u(**kw: object) -> tuple[int, tuple[tuple[str, int], ...], tuple[str, ...]]:
    record = coerce_record(line(**kw))  # type: ignore[arg-type]
    u = urgency(record, as_of=AS_OF)
    return u.score, u.parts, u.reasons


def test_urgent_flags_are_review_guard_flags() -> None:
    # One home for the flag names: the guard's; urgency only picks some of them.
    assert set(URGENT_FLAGS) <= set(REVIEW_REASONS)
    assert "prompt_injection" not in URGENT_FLAGS
    assert "personal_data" not in URGENT_FLAGS
    assert URGENT_REASONS[-2:] == ("high_severity", "one_star_complaint")


def test_safety_complaint_in_chinese_scores_by_hand() -> None:
    # The text trips the guard's safety pattern (冒烟): the reply carries the flag.
    score, parts, reasons = _u(
        id="r1", text="充电时冒烟了，太吓人", rating=1, date="2024-06-09",
        complaints=[("hygiene_safety", "充电", "充电时冒烟了", "high")])
    assert reasons == ("safety_claim", "high_severity", "one_star_complaint")
    # 40 (safety_claim) + 30 (high) + 15 (negative) + 20 (1 star) + 10 (1 day old)
    assert parts == (("safety_claim", 40), ("severity high", 30), ("negative", 15),
                     ("1 star", 20), ("recent", 10))
    assert score == 115


def test_legal_threat_in_english_from_the_reply_reasons() -> None:
    score, parts, reasons = _u(
        id="r2", text="Broken on arrival.", label="mixed", rating=3, date="2024-06-04",
        complaints=[("product_quality", "arrival", "Broken on arrival", "medium")],
        reasons=["legal_threat", "reply_refund_promise"], language="en")
    assert reasons == ("legal_threat",)  # the reply's own problems are not urgency
    # 40 (legal) + 15 (medium) + 5 (mixed) + 5 (3 stars) + 5 (6 days old)
    assert score == 70
    assert dict(parts)["recent"] == 5


def test_one_star_needs_a_complaint_and_old_reviews_get_no_recency() -> None:
    score, parts, reasons = _u(id="r3", text="不喜欢", rating=1, date="2024-05-01")
    assert reasons == ()  # 1 star but no complaint: not an emergency
    assert score == 35  # 15 (negative) + 20 (1 star); 40 days old: no recency
    assert "recent" not in dict(parts)


def test_a_happy_recent_review_does_not_deserve_a_reply() -> None:
    record = coerce_record(line("r4", "很好用", label="positive", rating=5, date="2024-06-10"))
    u = urgency(record, as_of=AS_OF)
    assert u.parts == (("recent", 10),)
    assert not u.deserves_reply
    assert urgency(record).score == 0  # no as_of: recency counts nothing


def test_ratings_are_rounded_and_clamped_to_stars() -> None:
    assert _u(id="a", text="t", label="neutral", rating=0.4)[0] == 20  # clamped to 1 star
    assert _u(id="b", text="t", label="neutral", rating=2.4)[0] == 15
    assert _u(id="c", text="t", label="neutral", rating=4)[0] == 0


def test_failed_and_undated_records() -> None:
    assert urgent_reasons(coerce_record(failed("f1", "起火了"))) == ()
    u = urgency(coerce_record(line("u1", "差", date="not a date")), as_of=AS_OF)
    assert u.score == 15
    assert u.explain() == "negative +15"


def test_flags_are_the_ones_the_analysis_recorded() -> None:
    # The guard ran when the review was analyzed; its flags are in the reply's reasons.
    # Not run again here (a cost per review larger than the rest of the pass).
    record = coerce_record(line("r5", "充电器起火了", reasons=[]))
    assert urgent_reasons(record) == ()
    record = coerce_record(line("r6", "充电器起火了"))  # as the SDK writes it
    assert urgent_reasons(record) == ("safety_claim",)
