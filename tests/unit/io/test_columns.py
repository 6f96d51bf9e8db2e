"""The one rule for columns: named columns win, known names otherwise, mistakes listed."""

from __future__ import annotations

import re

import pytest

from fakeserver import wom_responder
from wom_sdk import InputError
from wom_sdk.io._columns import (
    DATE,
    ID,
    LABEL,
    PRODUCT,
    RATING,
    TEXT,
    TEXT_COLUMNS,
    find_column,
    normalize_name,
    require_column,
    resolve_columns,
)
from wom_sdk.testing import FakeLLM


def test_known_names_in_the_order_of_preference() -> None:
    assert resolve_columns(["评论", "content", "Text"]).text == "Text"
    assert resolve_columns(["内容", "评价"]).text == "内容"
    cols = resolve_columns(["编号", "商品", "评分", "评论时间", "评论", "渠道"])
    assert (cols.id, cols.product, cols.rating, cols.date, cols.text) == (
        "编号", "商品", "评分", "评论时间", "评论")
    assert cols.known == {"编号", "商品", "评分", "评论时间", "评论"}  # 渠道 stays extra
    assert find_column(["sentence", "polarity"], TEXT) == "sentence"  # SemEval's names
    assert find_column(["sentence", "polarity"], LABEL) == "polarity"
    assert find_column(["评价", "标签"], LABEL) == "标签"


def test_names_are_compared_normalized() -> None:
    assert normalize_name(" Review-Text ") == "review_text"
    assert normalize_name("ＩＤ") == "id"  # full-width letters from Chinese spreadsheets
    assert find_column(["Review Text", "ＩＤ"], TEXT) == "Review Text"
    assert find_column(["Review Text", "ＩＤ"], ID) == "ＩＤ"
    # A named column too: exact first, else normalized.
    assert find_column(["Stars", "stars_2"], RATING, "STARS") == "Stars"


def test_a_named_column_wins_over_known_names() -> None:
    assert find_column(["text", "body_html"], TEXT, "body_html") == "body_html"


def test_an_unknown_named_column_is_an_error_listing_the_header() -> None:
    with pytest.raises(InputError, match=re.escape(
            "--id-column 'order' is not a column of the input; columns: 'id', 'text'")):
        find_column(["id", "text"], ID, "order")
    with pytest.raises(InputError, match=re.escape("id_column= 'order' is not a column")):
        find_column(["id", "text"], ID, "order", spelling="argument")


def test_a_required_column_that_is_missing_names_the_option_and_the_names_tried() -> None:
    with pytest.raises(InputError) as e:
        require_column(["sku", "stars"], TEXT)
    assert str(e.value) == (
        "no review text column found; columns: 'sku', 'stars'. Name it with --text-column "
        f"(looked for: {', '.join(TEXT_COLUMNS)})")
    assert find_column(["sku", "stars"], TEXT) is None  # optional: simply absent


def test_roles_do_not_share_names() -> None:
    # A name in two roles would make one column play both.
    roles = (TEXT, ID, PRODUCT, RATING, DATE, LABEL)
    names = [n for role in roles for n in role.candidates]
    assert len(names) == len(set(names))
    for role in roles:  # and every candidate is in the form it is compared in
        assert all(normalize_name(n) == n for n in role.candidates)


def test_analyze_many_knows_the_same_text_names_in_dicts() -> None:
    a = FakeLLM(then=lambda request: wom_responder(request.body)).analyzer(model="m")
    results = a.analyze_many([{"编号": "A1", "评论": "电池不行"}, {"sentence": "Great food."}])
    assert [r.record.text for r in results] == ["电池不行", "Great food."]
    assert all(r.insight is not None for r in results)
    assert results[0].record.extra == {"编号": "A1"}  # ids in dicts go by "id" only
