"""Competitors side by side: shares tested per theme, Benjamini-Hochberg over all tests.

Brands, by hand (20 analyzed reviews each for A and B, 5 for C):
  battery complaints   A 12/20   B 2/20   C 0/5
  screen praise        A 3/20    B 9/20   C 0/5
  packaging complaints A 2/20    B 3/20   C 0/5
A also has one failed review (so A, with 21 reviews, is "us" by default), and two
reviews have no brand at all.

Tests (a theme is tested when us and them together have at least 5 reviews with it):
  A-B battery   z-test: pooled 14/40, z = 0.5 / sqrt(.35 * .65 * .1) = 3.31497, p = 0.000917
  A-B screen    z-test: pooled 12/40, z = -0.3 / sqrt(.3 * .7 * .1) = -2.07020, p = 0.03843
  A-B packaging Fisher (expected 2.5 < 5): p = 1
  A-C battery   Fisher [[12, 8], [0, 5]]: P(x=12) = 0.024224, P(x=7) = 0.014907 -> p = 0.039131
  (A-C screen and packaging: fewer than 5 reviews together, not tested)
Benjamini-Hochberg over m = 4: q(battery A-B) = 4 x 0.000917 = 0.00367; the next two
share q = min(4/3 x 0.039131, 4/2 x 0.03843) = 0.052175 > 0.05. So only battery A-B
is a finding -- the screen praise, p = 0.038 on its own, is not once there are four tests.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from helpers.lines import line
from wom_sdk import InputError
from wom_sdk.cli import main
from wom_sdk.report import build_report

BATTERY, SCREEN, BOX = "电池不耐用", "屏幕很清晰", "包装破损"


def brand_lines() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(brand: str | None, n: int, battery: int, screen: int, box: int, key: str) -> None:
        for i in range(n):
            complaints = [("battery", BATTERY)] if i < battery else []
            complaints += [("packaging", BOX)] if n - box <= i else []
            praise = [("屏幕", SCREEN)] if battery <= i < battery + screen else []
            label = "negative" if complaints else "positive"
            out.append(line(f"{brand}{i}", label=label, rating=2 if complaints else 5,
                            complaints=complaints, praise=praise,
                            extra={key: brand} if brand else {"region": "north"}))

    add("A", 20, 12, 3, 2, "品牌")
    add("B", 20, 2, 9, 3, "Brand")  # another export's header: the same role
    add("C", 5, 0, 0, 0, "brand")
    add(None, 2, 0, 0, 0, "")
    out.append({"wom": 1, "id": "A-failed", "extra": {"品牌": "A"}, "insight": None,
                "error": {"kind": "rate_limit"}})
    return out


def test_groups_us_and_the_hand_computed_tests() -> None:
    c = build_report(brand_lines(), compare_by="brand").comparison
    assert c is not None
    assert c.us == "A"  # the most reviews (21, one failed)
    assert [(g.name, g.reviews, g.analyzed, g.is_us) for g in c.groups] == [
        ("A", 21, 20, True), ("B", 20, 20, False), ("C", 5, 5, False)]
    assert c.missing == 2
    assert c.tested == 4
    a = c.groups[0]
    assert a.top_complaints[0] == ("battery", 12, pytest.approx(0.6))
    assert a.label_counts == {"negative": 14, "positive": 6}
    assert a.mean_rating == pytest.approx((14 * 2 + 6 * 5) / 20)

    [battery] = c.differences
    assert (battery.theme, battery.kind, battery.them, battery.test) == (
        "battery", "complaint", "B", "z-test")
    assert (battery.us_reviews, battery.them_reviews) == (12, 2)
    z = 0.5 / math.sqrt(0.35 * 0.65 * 0.1)
    assert battery.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert battery.p_value == pytest.approx(0.000917, abs=1e-6)
    assert battery.q_value == pytest.approx(4 * battery.p_value)
    assert battery.better == "them"
    assert c.they_beat_us == (battery,)
    assert c.we_beat_them == ()
    # A verbatim quote from each side.
    assert battery.quote_us is not None
    assert battery.quote_them is not None
    assert battery.quote_us.text == battery.quote_them.text == BATTERY
    assert battery.quote_us.review_id.startswith("A")
    assert battery.quote_them.review_id.startswith("B")


def test_a_looser_false_discovery_rate_lets_the_next_ones_through() -> None:
    c = build_report(brand_lines(), compare_by="brand", fdr=0.06).comparison
    assert c is not None
    found = {(d.them, d.theme): d for d in c.differences}
    assert set(found) == {("B", "battery"), ("B", "屏幕"), ("C", "battery")}
    assert found[("B", "屏幕")].p_value == pytest.approx(0.03843, abs=1e-5)
    assert found[("C", "battery")].test == "Fisher"
    assert found[("C", "battery")].p_value == pytest.approx(0.039131, abs=1e-6)
    assert found[("C", "battery")].q_value == pytest.approx(4 / 3 * 0.039131, abs=1e-5)
    # More praise of the screen for B: they beat us there too.
    assert found[("B", "屏幕")].better == "them"


def test_us_can_be_named_and_then_we_beat_them() -> None:
    c = build_report(brand_lines(), compare_by="品牌", us="B").comparison
    assert c is not None
    assert [g.name for g in c.groups] == ["B", "A", "C"]
    [battery] = c.differences
    assert (battery.them, battery.better) == ("A", "us")
    assert c.we_beat_them == (battery,)


def test_an_unknown_us_is_an_input_error_listing_the_values() -> None:
    with pytest.raises(InputError, match=r"--us 'Z' is not a value of 'brand'; values: 'A', 'B'"):
        build_report(brand_lines(), compare_by="brand", us="Z")


def test_any_kept_column_or_the_product_can_be_compared() -> None:
    region = build_report(brand_lines(), compare_by="region").comparison
    assert region is not None
    assert [(g.name, g.reviews) for g in region.groups] == [("north", 2)]
    assert region.missing == 46
    products = [line("p1", product="X1 手机"), line("p2", product="X2"), line("p3")]
    by_product = build_report(products, compare_by="product").comparison
    assert by_product is not None
    assert [g.name for g in by_product.groups] == ["X1 手机", "X2"]


def test_a_column_no_review_has_leaves_a_note_naming_the_columns_there_are() -> None:
    report = build_report(brand_lines(), compare_by="shop")
    assert report.comparison is not None
    assert report.comparison.groups == ()
    assert any("No review has a value for 'shop'" in n and "品牌" in n for n in report.data.notes)


def test_groups_beyond_the_ones_shown_are_counted() -> None:
    c = build_report(brand_lines(), compare_by="brand", compare_groups=2).comparison
    assert c is not None
    assert [g.name for g in c.groups] == ["A", "B"]
    assert c.hidden_groups == 1
    assert c.tested == 3  # C is not tested


def test_the_comparison_in_html_and_markdown(tmp_path: Path) -> None:
    report = build_report(brand_lines(), compare_by="brand")
    md = report.to_markdown()
    assert "## Side by side: brand" in md
    assert "### Where they beat us" in md
    assert "battery complaints: B 10.0% (2) vs us 60.0% (12); q = 0.0037 (z-test)" in md
    html = report.to_html()
    assert "<section id='wom-compare'>" in html
    assert "href='#wom-compare'" in html
    assert html.count("data:image/png;base64,") >= 3  # the two comparison charts too


def test_wom_report_compare_by(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "out.jsonl"
    results.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n"
                               for x in brand_lines()), encoding="utf-8")
    out = tmp_path / "r.md"
    assert main(["report", str(results), "--compare-by", "brand", "--us", "B", "-o",
                 str(out)]) == 0
    assert "“Us” is **B**." in out.read_text(encoding="utf-8")
    assert "by brand: us = B, 3 group(s) shown, 0 theme(s) where they beat us, 1 where we " \
           "beat them" in capsys.readouterr().err
    assert main(["report", str(results), "--compare-by", "brand", "--us", "Z", "-o",
                 str(out)]) == 2
    assert "--us 'Z' is not a value of 'brand'" in capsys.readouterr().err


def test_the_html_with_every_analysis_is_byte_identical_run_to_run() -> None:
    def render() -> str:
        return build_report(brand_lines(), compare_by="brand", min_theme_reviews=2).to_html()

    first = render()
    assert "wom-drivers" in first
    assert first == render()
