"""Aggregation numbers on a small fixture, every expected value worked out by hand.

tests/data/report_small.jsonl (12 lines):
  r1  zh 保温杯 2024-04-01 ★1 negative -0.8  product_quality/保温效果 low
  r2  en Mug    2024-04-02 ★5 positive +0.9  praise Design "Beautiful design"
  r3  en Mug    2024-04-03 ★2 negative -0.6  shipping_delivery/Delivery low,
                                             product_quality/lid medium
  r4  zh 保温杯 2024-04-09 ★4 mixed    +0.1  shipping_delivery/ＤＥＬＩＶＥＲＹ low; praise 颜色
  r5  en Mug    2024-04-10 ★3 neutral   0.0
  r6  en  -     2024-04-11  - negative -0.9  "Product_Quality "/Lids low, quote with extra spaces
  r7  failed rate_limit, Mug, 2024-04-12, ★1
  r8  failed validation, no product, no date
  r9  a cut line (unreadable)
  r10 zh 保温杯 2024-04-12T08 ★5 positive +0.7 praise 保温 (verbatim) + design (made up)
  r11 en Mug "not a date" ★1 negative -0.4  price_value/price high x2
  r12 en-US - 2024-04-08 ★2 positive +0.5  praise designs "Wow" (3 chars)
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from wom_sdk.report import Report, ResultRecord, build_report, read_results

DATA = Path(__file__).parents[2] / "data" / "report_small.jsonl"


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(read_results(DATA))


def test_totals(report: Report) -> None:
    t = report.totals
    assert (t.reviews, t.analyzed, t.failed) == (12, 9, 3)
    assert t.failed_by_kind == {"rate_limit": 1, "unreadable_line": 1, "validation": 1}
    assert t.languages == {"en": 6, "zh": 3}  # en-US counted as en
    assert (t.first_date, t.last_date) == (dt.date(2024, 4, 1), dt.date(2024, 4, 12))
    assert (t.dated, t.bad_dates) == (9, 1)
    assert (t.requests, t.prompt_tokens, t.completion_tokens) == (9, 900, 180)
    # 7 complaint + 5 praise quotes checked; r10's made-up praise is not in its text.
    assert (t.quotes_checked, t.quotes_not_verbatim) == (12, 1)


def test_sentiment(report: Report) -> None:
    s = report.sentiment
    assert s.label_counts == {"positive": 3, "negative": 4, "neutral": 1, "mixed": 1}
    assert s.mean_score == pytest.approx(-0.5 / 9)
    assert s.negative_share == pytest.approx(4 / 9)
    hist = [0] * 20
    # bin = floor((score + 1) * 10): -0.9->1, -0.8->2, -0.6->4, -0.4->6, 0->10, .1->11,
    # .5->15, .7->17, .9->19
    for i in (1, 2, 4, 6, 10, 11, 15, 17, 19):
        hist[i] = 1
    assert list(s.histogram) == hist
    assert s.bin_edges[0] == -1.0
    assert s.bin_edges[-1] == 1.0
    assert len(s.bin_edges) == 21
    assert s.rating_counts == {"1": 3, "2": 2, "3": 1, "4": 1, "5": 2}
    assert s.mean_rating == pytest.approx(24 / 9)
    assert s.rating_mismatches == 1  # r12: 2 stars but positive


def test_complaint_themes_ranked_by_count_and_by_severity(report: Report) -> None:
    cats = {c.category: c for c in report.categories}
    assert [c.category for c in report.categories] == [
        "product_quality",  # 3 complaints
        "price_value",  # 2 (tie with shipping_delivery, broken by name)
        "shipping_delivery",  # 2
    ]
    pq, pv, sd = cats["product_quality"], cats["price_value"], cats["shipping_delivery"]
    assert (pq.mentions, pq.reviews, pq.weighted) == (3, 3, 4)  # low 1 + medium 2 + low 1
    assert (pv.mentions, pv.reviews, pv.weighted) == (2, 1, 6)  # two high complaints, one review
    assert (sd.mentions, sd.reviews, sd.weighted) == (2, 2, 2)
    assert [pq.rank_by_count, pv.rank_by_count, sd.rank_by_count] == [1, 2, 3]
    assert [pq.rank_by_weight, pv.rank_by_weight, sd.rank_by_weight] == [2, 1, 3]
    assert pq.severity_counts == {"low": 2, "medium": 1, "high": 0}
    assert pq.share == pytest.approx(3 / 9)
    assert pv.share == pytest.approx(1 / 9)
    # "lid" and "Lids" are one aspect; "Delivery" and full-width "ＤＥＬＩＶＥＲＹ" too.
    assert pq.top_aspects == (("lid", 2), ("保温效果", 1))
    assert sd.top_aspects == (("delivery", 2),)
    assert {q.text for q in pq.quotes} == {"保温效果很差", "the lid leaks", "Lid   cracked"}
    assert report.data.top_aspects == (("delivery", 2), ("lid", 2), ("price", 2), ("保温效果", 1))


def test_products(report: Report) -> None:
    mug, cup = report.products
    assert (mug.product, mug.reviews, mug.analyzed, mug.failed) == ("Mug", 5, 4, 1)
    assert mug.mean_score == pytest.approx(-0.1 / 4)
    assert mug.negative_share == pytest.approx(2 / 4)
    assert mug.complaints == 4
    assert mug.top_categories == (
        ("price_value", 1),
        ("product_quality", 1),
        ("shipping_delivery", 1),
    )
    assert (cup.product, cup.reviews, cup.analyzed, cup.failed) == ("保温杯", 3, 3, 0)
    assert cup.mean_score == pytest.approx(0.0)
    assert cup.negative_share == pytest.approx(1 / 3)
    assert cup.top_categories == (("product_quality", 1), ("shipping_delivery", 1))


def test_weeks(report: Report) -> None:
    w14, w15 = report.weeks
    assert (w14.label, w14.reviews, w14.analyzed, w14.negative) == ("2024-W14", 3, 3, 2)
    assert w14.categories == {"product_quality": 2, "shipping_delivery": 1}
    assert (w15.label, w15.reviews, w15.analyzed, w15.negative) == ("2024-W15", 6, 5, 1)
    assert w15.categories == {"product_quality": 1, "shipping_delivery": 1}
    assert w15.mean_score == pytest.approx((0.1 + 0.0 - 0.9 + 0.7 + 0.5) / 5)
    assert report.alerts == ()  # far too few reviews for the rule


def test_praise_is_verbatim_diverse_and_deterministic(report: Report) -> None:
    # design (2 mentions) first, then the ties 保温 / 颜色 by name; "Wow" is too
    # short to beat "Beautiful design"; r10's made-up quote is never used.
    assert [(q.aspect, q.text, q.review_id) for q in report.praise] == [
        ("design", "Beautiful design", "r2"),
        ("保温", "保温一整天", "r10"),
        ("颜色", "颜色很好看", "r4"),
    ]


def test_input_order_does_not_change_the_report() -> None:
    records = list(read_results(DATA))
    a = build_report(records)
    b = build_report(list(reversed(records)))
    assert a.data == b.data


def test_accepts_dicts_objects_and_paths(tmp_path: Path) -> None:
    lines = [json.loads(x) for x in DATA.read_text(encoding="utf-8").splitlines() if "r9" not in x]
    from_dicts = build_report(lines)
    assert from_dicts.totals.reviews == 11
    assert build_report(DATA).totals.reviews == 12
    assert build_report(str(DATA)).totals.reviews == 12

    class BatchResultLike:
        def __init__(self, d: dict[str, Any]) -> None:
            self.id, self.text, self.insight = d["id"], d["text"], d["insight"]
            self.error = None if d["error"] is None else _Err(d["error"]["kind"])

    class _Err(Exception):
        def __init__(self, kind: str) -> None:
            super().__init__("boom")
            self.kind = kind

    objs = build_report(BatchResultLike(d) for d in lines)
    assert objs.totals.failed_by_kind == {"rate_limit": 1, "validation": 1}
    assert objs.sentiment.label_counts == from_dicts.sentiment.label_counts


def test_batch_result_objects_are_read_as_their_result_line() -> None:
    from wom_sdk import types

    first = json.loads(DATA.read_text(encoding="utf-8").splitlines()[0])
    result = types.BatchResult(
        id="r1",
        record=types.ReviewRecord(id="r1", text=first["text"], product="保温杯", date="2024-04-01"),
        insight=types.ReviewInsight.model_validate(first["insight"]),
    )
    report = build_report([result])
    assert report.products[0].product == "保温杯"
    assert report.totals.quotes_not_verbatim == 0


def test_unreadable_lines_become_failures_but_a_cut_last_line_is_a_note(
        tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text(
        '{"id": "a", "insight": null, "error": {"kind": "timeout"}}\n{"id": "b", "ins\n\n'
        '{"id": "c", ',
        encoding="utf-8",
    )
    results = read_results(path)
    records = list(results)
    assert [r.error.kind for r in records if r.error] == ["timeout", "unreadable_line"]
    assert isinstance(records[0], ResultRecord)
    assert results.torn_last_line
    assert any("last line (4) is cut" in n for n in results.notes)
    report = build_report(read_results(path))
    assert report.totals.reviews == 2  # the cut last line is not a failed review
    assert any("is cut" in n for n in report.data.notes)


def test_embedding_clusters_group_similar_aspects() -> None:
    vectors = {
        "lid": [1.0, 0.0, 0.0],
        "delivery": [0.0, 1.0, 0.0],
        "price": [0.0, 0.0, 1.0],
        "保温效果": [0.95, 0.1, 0.0],  # close to "lid"
    }
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        return [vectors[t] for t in texts]

    report = build_report(read_results(DATA), embed=embed)
    assert calls == [["delivery", "lid", "price", "保温效果"]]  # most frequent first, ties by name
    clusters = report.data.clusters
    assert clusters is not None
    assert [(c.label, c.count, c.aspects) for c in clusters] == [
        ("lid", 3, (("lid", 2), ("保温效果", 1))),
        ("delivery", 2, (("delivery", 2),)),
        ("price", 2, (("price", 2),)),
    ]


def test_failing_embedder_leaves_a_note_not_a_crash() -> None:
    def embed(texts: list[str]) -> list[list[float]]:
        raise ConnectionError("endpoint down")

    report = build_report(read_results(DATA), embed=embed)
    assert report.data.clusters is None
    assert any("endpoint down" in n for n in report.data.notes)


def test_no_embedder_no_clusters(report: Report) -> None:
    assert report.data.clusters is None


def test_unknown_language_has_one_spelling_whatever_the_file_says(tmp_path: Path) -> None:
    # Older files (and models) wrote "unknown" or nothing; the SDK writes "und" (BCP 47).
    lines = [json.loads(x) for x in DATA.read_text(encoding="utf-8").splitlines()[:3]]
    for line, said in zip(lines, ("unknown", "", "UND"), strict=True):
        line["insight"]["language"] = said
    path = tmp_path / "old.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    assert build_report(read_results(path)).totals.languages == {"und": 3}


def test_tokens_spent_on_failed_reviews_count_in_the_totals() -> None:
    # A failed review's line says what it spent (error.usage): the report's totals are
    # what the endpoint charged, not only what the insights cost.
    lines = [
        {"wom": 1, "id": "a", "text": "x", "insight": None,
         "error": {"kind": "validation", "usage": {"requests": 3, "prompt_tokens": 300,
                                                   "completion_tokens": 90}}},
        {"wom": 1, "id": "b", "text": "y", "insight": None, "error": {"kind": "rate_limit"}},
    ]
    t = build_report([ResultRecord.model_validate(x) for x in lines]).totals
    assert (t.requests, t.prompt_tokens, t.completion_tokens) == (3, 300, 90)
