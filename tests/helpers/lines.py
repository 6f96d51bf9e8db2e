"""Result lines built by hand for report tests: each quote is a clause of the text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SCORES = {"positive": 0.7, "negative": -0.7, "neutral": 0.0, "mixed": 0.0}


def line(
    rid: str,
    *,
    label: str = "neutral",
    score: float | None = None,
    rating: float | None = None,
    complaints: Sequence[tuple[str, str]] = (),
    praise: Sequence[tuple[str, str]] = (),
    needs: Sequence[tuple[str, str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    product: str | None = None,
    language: str = "zh",
    text: str | None = None,
) -> dict[str, Any]:
    """One result line: ``complaints`` as (category, quote), ``praise`` as (aspect, quote),
    ``needs`` as (tag, kind, quote); the text joins the quotes unless given."""
    quotes = [q for _, q in complaints] + [q for _, q in praise]
    quotes += [q for _, _, q in needs or ()]
    body = text if text is not None else "，".join(dict.fromkeys(quotes)) or "还行"
    insight: dict[str, Any] = {
        "language": language,
        "sentiment": {"label": label, "score": SCORES[label] if score is None else score},
        "complaints": [{"aspect": q[:6], "category": c, "quote": q, "severity": "medium"}
                       for c, q in complaints],
        "praise": [{"aspect": a, "quote": q} for a, q in praise],
        "reply": {"text": "谢谢"},
    }
    if needs is not None:
        insight["needs"] = [{"tag": t, "kind": k, "quote": q} for t, k, q in needs]
    out: dict[str, Any] = {"wom": 1, "id": rid, "text": body, "insight": insight, "error": None}
    if rating is not None:
        out["rating"] = rating
    if product is not None:
        out["product"] = product
    if extra:
        out["extra"] = extra
    return out
