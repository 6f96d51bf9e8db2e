"""The one rule for columns: named columns win, known names otherwise, mistakes listed."""

from __future__ import annotations

import re

import pytest

from fakeserver import wom_responder
from wom_sdk import InputError
from wom_sdk.io._columns import (
    BRAND,
    CHANNEL,
    DATE,
    GROUP_ROLES,
    ID,
    LABEL,
    PRODUCT,
    RATING,
    SHOP,
    TEXT,
    TEXT_COLUMNS,
    find_column,
    group_role,
    kept_columns,
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
    roles = (TEXT, ID, PRODUCT, RATING, DATE, LABEL, *GROUP_ROLES)
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


HEADER = ["编号", "评论", "品牌", "店铺名称", "Sales Channel", "平台", "买家昵称", "手机号"]


def test_brand_shop_and_channel_are_recognised_in_chinese_and_english() -> None:
    assert find_column(HEADER, BRAND) == "品牌"
    assert find_column(HEADER, SHOP) == "店铺名称"
    assert find_column(HEADER, CHANNEL) == "平台"  # "Sales Channel" is no known name
    assert find_column(["Brand", "Store", "Platform"], SHOP) == "Store"
    assert group_role("brand") is BRAND
    assert group_role("品牌") is BRAND
    assert group_role(" Shop ") is SHOP
    assert group_role("渠道") is CHANNEL
    assert group_role("region") is None


def test_by_default_only_the_recognised_other_columns_are_kept() -> None:
    cols = resolve_columns(HEADER, keep=())
    assert cols.keep == {"品牌", "店铺名称", "平台"}
    assert [c for c in HEADER if cols.keeps(c)] == ["品牌", "店铺名称", "平台"]
    assert not cols.keeps("评论")  # a role's own column never goes to extra


def test_named_columns_are_kept_too_all_keeps_all_none_keeps_none() -> None:
    assert kept_columns(HEADER, ["sales channel"]) == {"品牌", "店铺名称", "平台", "Sales Channel"}
    assert kept_columns(HEADER, ["ALL"]) is None
    assert kept_columns(HEADER, ["none"]) == frozenset()
    # The Python default keeps everything, as before.
    assert resolve_columns(HEADER).keep is None


def test_a_kept_column_that_is_not_there_or_none_with_names_is_an_error() -> None:
    with pytest.raises(InputError, match=re.escape(
            "--keep-columns 'email' is not a column of the input; columns: '编号'")):
        kept_columns(HEADER, ["email"])
    with pytest.raises(InputError, match="cannot be combined"):
        kept_columns(HEADER, ["none", "品牌"])
