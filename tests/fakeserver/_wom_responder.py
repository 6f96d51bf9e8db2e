"""A responder that answers wom-sdk's own prompts plausibly and validly.

It reads the review(s) between the ``<review-TAG>`` delimiters of the user
message, recognises the task from the schema, and builds an answer that passes
validation: quotes are real clauses of the review, categories come from the
schema's enum, packed requests get one result per id. Deterministic, so batch
tests and benchmarks are repeatable. It is a stand-in for a model, not one:
the sentiment comes from a tiny keyword list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["wom_responder"]

_REVIEW = re.compile(r'<review-([0-9a-f]+)(?: id="([^"]*)")?>\n(.*?)\n</review-\1>', re.S)
_CLAUSE = re.compile(r"[^，。！？!?,.;；\n]+")
_NEGATIVE = (
    "差",
    "不",
    "慢",
    "坏",
    "没",
    "退",
    "烂",
    "失望",
    "贵",
    "bad",
    "not",
    "poor",
    "broke",
    "slow",
    "terrible",
    "worst",
    "disappoint",
    "never",
    "return",
    "n't",
)
_SCHEMA_IN_PROMPT = re.compile(r"must match this JSON Schema:\n(\{.*\})", re.S)


def _schema(request: Mapping[str, Any]) -> dict[str, Any]:
    tools = request.get("tools") or []
    if tools and isinstance(tools[0].get("function", {}).get("parameters"), dict):
        return dict(tools[0]["function"]["parameters"])
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return dict(fmt.get("json_schema", {}).get("schema", {}))
    if isinstance(fmt.get("schema"), dict):
        return dict(fmt["schema"])
    system = str((request.get("messages") or [{}])[0].get("content", ""))
    m = _SCHEMA_IN_PROMPT.search(system)
    return dict(json.loads(m.group(1))) if m else {}


def _categories(schema: Mapping[str, Any]) -> list[str]:
    comp = schema.get("$defs", {}).get("ComplaintOut", {})
    enum = comp.get("properties", {}).get("category", {}).get("enum")
    return list(enum) if enum else ["other"]


def _lang(text: str) -> str:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return "zh" if cjk * 2 >= len(text.strip()) * 0.3 and cjk else "en"


def _analysis(text: str, categories: list[str]) -> dict[str, Any]:
    clauses = [c.strip() for c in _CLAUSE.findall(text) if c.strip()]
    lowered = text.lower()
    negative = [c for c in clauses if any(w in c.lower() for w in _NEGATIVE)]
    positive = [c for c in clauses if c not in negative]
    lang = _lang(text)
    if negative and positive:
        label, score = "mixed", 0.0
    elif negative:
        label, score = "negative", -0.7
    elif any(w in lowered for w in _NEGATIVE):
        label, score = "negative", -0.4
    else:
        label, score = "positive", 0.7
    category = next((c for c in categories if c not in ("other",)), categories[0])
    complaints = [
        {"aspect": c[:12], "category": category, "quote": c, "severity": "medium"}
        for c in negative[:2]
    ]
    praise = [{"aspect": c[:12], "quote": c} for c in positive[:1]]
    reply = (
        "感谢您的评价，我们会认真改进。"
        if lang == "zh"
        else "Thank you for your review; we will look into it."
    )
    return {
        "language": lang,
        "sentiment": {"label": label, "score": score},
        "label": label,
        "score": score,
        "confidence": 0.8,
        "complaints": complaints,
        "praise": praise,
        "reply": reply,
        "summary": clauses[0][:40] if clauses else text[:40],
    }


def wom_responder(request: Mapping[str, Any]) -> str:
    """Answer one wom-sdk chat request (see the module docstring)."""
    messages = request.get("messages") or []
    user = next(
        (
            str(m.get("content", ""))
            for m in reversed(messages)
            if m.get("role") == "user" and "<review-" in str(m.get("content", ""))
        ),
        "",
    )
    reviews = _REVIEW.findall(user)
    schema = _schema(request)
    props = schema.get("properties", {})
    cats = _categories(schema)
    if "results" in props:
        results = [{"id": rid, **_analysis(_body(text), cats)} for _, rid, text in reviews]
        return json.dumps({"results": results}, ensure_ascii=False)
    text = _body(reviews[0][2]) if reviews else ""
    full = _analysis(text, cats)
    keys = list(props) or list(full)
    return json.dumps({k: full[k] for k in keys if k in full}, ensure_ascii=False)


def _body(block: str) -> str:
    # Drop the "Product:" / "Star rating:" lines the prompt puts before the text.
    lines = block.split("\n")
    while lines and lines[0].startswith(("Product: ", "Star rating: ")):
        lines.pop(0)
    return "\n".join(lines)
