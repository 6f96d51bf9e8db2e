"""Need segments in the report, on a case worked out by hand.

  r1 ★2 negative  parents "给爸妈买的"; complaint functionality "字太小"
  r2 ★1 negative  parents "买给我妈", gift "买给我妈"; complaint functionality "字太小看不清"
  r3 ★5 positive  parents "给老爸的"
  r4 ★5 positive  gift "送朋友的礼物"
  r5 ★2 negative  no need stated; complaint battery "电池不耐用"
  r6 ★4 positive  no need stated
  r7 ★3 neutral   not asked about needs (analyzed without the section)
  r8 ★4 positive  child "给孩子买的" -- not in its text: the report leaves it out

Asked: 7 (all but r7); stating a need: 4 (r1-r4).
parents: r1-r3, 3/7 of the asked; negative 2/3; rating (2 + 1 + 5) / 3; score
  (-0.7 - 0.7 + 0.7) / 3; functionality in 2 of 3 (2/3), among all asked 2/7.
gift: r2, r4; negative 1/2; functionality 1/2 vs 2/7.
"""

from __future__ import annotations

import pytest

from helpers.lines import line
from wom_sdk.report import Report, build_report

FONT, FONT2 = "字太小", "字太小看不清"


def need_lines() -> list[dict]:
    return [
        line("r1", label="negative", rating=2, complaints=[("functionality", FONT)],
             needs=[("parents", "recipient", "给爸妈买的")]),
        line("r2", label="negative", rating=1, complaints=[("functionality", FONT2)],
             needs=[("parents", "recipient", "买给我妈"), ("gift", "use", "买给我妈")]),
        line("r3", label="positive", rating=5, needs=[("parents", "recipient", "给老爸的")]),
        line("r4", label="positive", rating=5, needs=[("gift", "use", "送朋友的礼物")]),
        line("r5", label="negative", rating=2, complaints=[("battery", "电池不耐用")], needs=[]),
        line("r6", label="positive", rating=4, needs=[]),
        line("r7", label="neutral", rating=3),
        line("r8", label="positive", rating=4, text="还行", needs=[("child", "recipient",
                                                                   "给孩子买的")]),
    ]


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(need_lines())


def test_segments_by_hand(report: Report) -> None:
    needs = report.needs
    assert needs is not None
    assert (needs.asked, needs.stated) == (7, 4)
    assert [(s.tag, s.kind, s.reviews) for s in needs.segments] == [
        ("parents", "recipient", 3), ("gift", "use", 2)]
    parents, gift = needs.segments
    assert parents.share == pytest.approx(3 / 7)
    assert parents.label_counts == {"negative": 2, "positive": 1}
    assert parents.negative_share == pytest.approx(2 / 3)
    assert parents.mean_rating == pytest.approx(8 / 3)
    assert parents.mean_score == pytest.approx(-0.7 / 3)
    assert parents.top_complaints == (("functionality", 2, pytest.approx(2 / 3),
                                       pytest.approx(2 / 7)),)
    assert gift.top_complaints == (("functionality", 1, 0.5, pytest.approx(2 / 7)),)
    assert gift.negative_share == 0.5


def test_segment_quotes_are_verbatim(report: Report) -> None:
    assert report.needs is not None
    parents = report.needs.segments[0]
    assert {q.text for q in parents.quotes} <= {"给爸妈买的", "买给我妈", "给老爸的"}
    assert len(parents.quotes) == 2
    assert parents.complaint_quote is not None
    assert parents.complaint_quote.text in {FONT, FONT2}
    # r8's quote is not in its review: no "child" segment, and it is counted as not verbatim.
    assert report.totals.quotes_not_verbatim == 1


def test_the_needs_section_in_html_and_markdown(report: Report) -> None:
    md = report.to_markdown()
    assert "## Needs: who buys it, and what for" in md
    assert "4 of the 7 reviews analyzed for needs" in md
    assert "no profile of any person is built" in md
    assert "| parents | bought for | 3 | 42.9% | 66.7% |" in md
    assert "functionality 66.7% / 28.6%" in md
    html = report.to_html()
    assert "<section id='wom-needs'>" in html
    assert "href='#wom-needs'" in html


def test_no_needs_section_when_no_review_was_asked() -> None:
    report = build_report([line("x", label="positive")])
    assert report.needs is None
    assert "## Needs" not in report.to_markdown()
    assert "wom-needs" not in report.to_html()
