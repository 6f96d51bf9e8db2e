"""Result lines written by hand, for tests whose numbers are checked by hand.

``line(...)`` gives one JSONL result line (the ``io._results`` schema) with exactly
the complaints, praise, rating and date a test needs; ``write_lines`` writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from wom_sdk.text._guard import review_flags

#: (category, aspect, quote, severity)
ComplaintSpec = tuple[str, str, str, str]
#: (aspect, quote)
PraiseSpec = tuple[str, str]


def line(
    id: str,
    text: str,
    *,
    label: str = "negative",
    score: float | None = None,
    complaints: Sequence[ComplaintSpec] = (),
    praise: Sequence[PraiseSpec] = (),
    rating: float | None = None,
    date: str | None = None,
    product: str | None = None,
    reply: str = "感谢您的反馈，我们会尽快处理。",
    reasons: Sequence[str] | None = None,
    language: str = "zh",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One analyzed review's result line.

    ``reasons`` (the reply's ``review_reasons``) default to what the SDK writes for a
    clean reply: the review guard's flags on ``text``.
    """
    if reasons is None:
        reasons = review_flags(text)
    if score is None:
        score = {"negative": -0.7, "positive": 0.7, "mixed": 0.0}.get(label, 0.0)
    out: dict[str, Any] = {"wom": 1, "id": id, "text": text}
    for key, value in (("product", product), ("rating", rating), ("date", date)):
        if value is not None:
            out[key] = value
    if extra:
        out["extra"] = extra
    out["insight"] = {
        "language": language,
        "sentiment": {"label": label, "score": score},
        "complaints": [{"category": c, "aspect": a, "quote": q, "severity": s}
                       for c, a, q, s in complaints],
        "praise": [{"aspect": a, "quote": q} for a, q in praise],
        "reply": {"text": reply, "language": language, "needs_human_review": bool(reasons),
                  "review_reasons": list(reasons)},
    }
    out["error"] = None
    return out


def failed(id: str, text: str = "x", **fields: Any) -> dict[str, Any]:
    """A review whose analysis failed."""
    return {"wom": 1, "id": id, "text": text, **fields, "insight": None,
            "error": {"kind": "validation", "type": "OutputValidationError", "message": "bad"}}


def write_lines(path: Path, lines: Iterable[dict[str, Any]], *, append: bool = False) -> Path:
    """Write (or append) result lines as UTF-8 JSONL."""
    with path.open("a" if append else "w", encoding="utf-8") as fh:
        for item in lines:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path
