"""pandas integration: a DataFrame of reviews in, the same frame with insight columns out.

pandas is an optional extra (``wom-sdk[pandas]``), imported only when these
functions run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .._exceptions import ConfigurationError, InputError
from ..types import BatchResult, ReviewRecord
from ._columns import resolve_columns

__all__ = ["INSIGHT_COLUMNS", "flatten", "records_from_frame", "to_frame"]

#: Columns added to the caller's frame, in this order.
INSIGHT_COLUMNS = (
    "language",
    "sentiment_label",
    "sentiment_score",
    "complaint_count",
    "complaint_categories",
    "complaint_aspects",
    "complaint_quotes",
    "max_severity",
    "praise_quotes",
    "reply",
    "needs_human_review",
    "review_reasons",
    "summary",
    "warnings",
    "prompt_tokens",
    "completion_tokens",
    "error_kind",
    "error_message",
)
_SEVERITY = {"low": 1, "medium": 2, "high": 3}


def _require_pandas() -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ConfigurationError(
            "analyze_dataframe needs pandas: pip install 'wom-sdk[pandas]'"
        ) from None
    return pd


def records_from_frame(
    df: Any,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    product_column: str | None = None,
    rating_column: str | None = None,
    date_column: str | None = None,
) -> Iterator[ReviewRecord]:
    """One ``ReviewRecord`` per row; ids from the id column, else the frame's index.

    Columns are found by the rule ``wom analyze`` follows (``_columns``): named
    ones win, the others are found by their common names (``product``,
    ``评分``, ...), so a frame and the same data as a CSV make the same requests.
    """
    if not (hasattr(df, "columns") and hasattr(df, "iterrows")):
        raise TypeError(f"df must be a pandas DataFrame, not {type(df).__name__}")
    # Column labels need not be strings (0, 1, ... after read_csv(header=None)).
    labels = {str(c): c for c in df.columns}
    try:
        cols = resolve_columns(list(labels), text=text_column, id=id_column,
                               product=product_column, rating=rating_column,
                               date=date_column, spelling="argument")
    except InputError as e:
        # The columns of a frame are the caller's arguments, not a file's content:
        # analyze_dataframe has always answered a wrong name with ConfigurationError.
        raise ConfigurationError(e.message) from None
    pd = _require_pandas()

    def value(row: Any, col: str | None) -> Any:
        if col is None:
            return None
        v = row[labels[col]]
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v

    for index, row in df.iterrows():
        text = value(row, cols.text)
        rating = value(row, cols.rating)
        try:
            rating_value = float(rating) if rating is not None else None
        except (TypeError, ValueError):
            rating_value = None
        rid = value(row, cols.id) if cols.id else index
        date = value(row, cols.date)
        product = value(row, cols.product)
        yield ReviewRecord(
            id=str(rid),
            text="" if text is None else str(text),
            product=str(product) if product is not None else None,
            rating=rating_value,
            date=str(date.date() if hasattr(date, "date") else date) if date is not None else None,
        )


def flatten(result: BatchResult) -> dict[str, Any]:
    """The insight (or error) of one review as flat, frame-friendly values."""
    row: dict[str, Any] = dict.fromkeys(INSIGHT_COLUMNS)
    ins = result.insight
    if ins is not None:
        row.update(
            language=ins.language,
            sentiment_label=ins.sentiment.label,
            sentiment_score=ins.sentiment.score,
            complaint_count=len(ins.complaints),
            complaint_categories="; ".join(dict.fromkeys(c.category for c in ins.complaints)),
            complaint_aspects="; ".join(c.aspect for c in ins.complaints),
            complaint_quotes=" | ".join(c.quote for c in ins.complaints),
            max_severity=max(
                (c.severity for c in ins.complaints), key=_SEVERITY.__getitem__, default=None
            ),
            praise_quotes=" | ".join(p.quote for p in ins.praise),
            reply=ins.reply.text,
            needs_human_review=ins.reply.needs_human_review,
            review_reasons="; ".join(ins.reply.review_reasons),
            summary=ins.summary,
            warnings="; ".join(ins.warnings),
            prompt_tokens=ins.usage.prompt_tokens,
            completion_tokens=ins.usage.completion_tokens,
        )
    if result.error is not None:
        row.update(error_kind=result.error.kind, error_message=result.error.message)
    return row


def to_frame(df: Any, results: Sequence[BatchResult]) -> Any:
    """A copy of ``df`` with the insight columns added, row for row."""
    pd = _require_pandas()
    flat = pd.DataFrame(
        [flatten(r) for r in results], columns=list(INSIGHT_COLUMNS), index=df.index
    )
    clash = [c for c in INSIGHT_COLUMNS if c in df.columns]
    if clash:
        flat = flat.add_prefix("wom_")
    return pd.concat([df, flat], axis=1)
