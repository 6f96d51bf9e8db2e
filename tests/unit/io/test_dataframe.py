"""analyze_dataframe: the caller's frame back, with insight columns, row for row."""

from __future__ import annotations

from typing import Any

import pytest

from fakeserver import wom_responder
from wom_sdk import RetryPolicy
from wom_sdk.io._dataframe import records_from_frame
from wom_sdk.testing import FakeLLM

pd = pytest.importorskip("pandas")


def llm() -> FakeLLM:
    return FakeLLM(then=lambda request: wom_responder(request.body))


def frame() -> Any:
    return pd.DataFrame(
        {"order_id": ["A1", "A2", "A3"], "评论": ["电池不行，屏幕很好", "", "Works great"],
         "stars": [2, 3, None], "when": pd.to_datetime(["2024-05-01", "2024-05-02", None])},
        index=[10, 11, 12])


def test_frame_in_frame_out() -> None:
    a = llm().analyzer(model="m", retry=RetryPolicy(attempts=1))
    out = a.analyze_dataframe(frame(), text_column="评论", id_column="order_id",
                              rating_column="stars", date_column="when")
    assert list(out.index) == [10, 11, 12]
    assert list(out["order_id"]) == ["A1", "A2", "A3"]
    assert list(out["sentiment_label"][[10, 12]]) == ["mixed", "positive"]
    assert out.loc[10, "complaint_quotes"] == "电池不行"
    assert out.loc[10, "complaint_count"] == 1
    assert out.loc[11, "error_kind"] == "invalid_review"
    assert pd.isna(out.loc[11, "sentiment_label"])
    assert out.loc[12, "reply"]


async def test_async_twin_and_missing_column() -> None:
    a = llm().async_analyzer(model="m")
    out = await a.analyze_dataframe(frame(), text_column="评论")
    assert list(out["sentiment_label"].isna()) == [False, True, False]
    from wom_sdk import ConfigurationError

    with pytest.raises(ConfigurationError, match="text_column= '评论x' is not a column of "
                       "the input; columns: 'order_id', '评论', 'stars', 'when'"):
        await a.analyze_dataframe(frame(), text_column="评论x")


def test_columns_follow_the_rule_of_wom_analyze() -> None:
    df = pd.DataFrame({"Order-ID": ["A1"], "Review Text": ["电池不行"], "商品": ["X1"],
                       "评分": ["4"], 0: ["unnamed"]})
    [rec] = records_from_frame(df, text_column="review text", id_column="order_id")
    # Named columns match after normalization; product and rating are found by their names.
    assert (rec.id, rec.text, rec.product, rec.rating) == ("A1", "电池不行", "X1", 4.0)
    [rec] = records_from_frame(df, text_column="Review Text")
    assert rec.id == "0"  # no id column: the index
