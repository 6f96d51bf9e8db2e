"""analyze_dataframe: the caller's frame back, with insight columns, row for row."""

from __future__ import annotations

from typing import Any

import pytest

from fakeserver import wom_responder
from wom_sdk import RetryPolicy
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

    with pytest.raises(ConfigurationError, match="评论x"):
        await a.analyze_dataframe(frame(), text_column="评论x")
