"""A responder that answers wom-sdk's own prompts plausibly and validly.

It reads the review(s) between the ``<review-TAG>`` delimiters of the user
message, recognises the task from the schema, and builds an answer that passes
validation: quotes are real clauses of the review, categories come from the
schema's enum, packed requests get one result per id, and the fields asked
for are the ones answered (``needs`` when the schema has it). Deterministic, so
batch tests and benchmarks are repeatable. It is a stand-in for a model, not
one: the sentiment, the complaint topics and the needs come from small keyword
lists.
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
    "problem",
    "died",
    "dying",
    "dead",
    "junk",
    "waste",
    "useless",
    "awful",
    "horrible",
    "unintelligible",
    "垃圾",
    "差评",
    "失望",
    "问题",
    "模糊",
    "卡死",
    "太卡",
    "很卡",
    "会卡",
    "卡顿",
    "有点卡",
    "卡的",
    "闪退",
    "发烫",
    "发热",
)
# Negations that praise ("不错" is "good"): a clause with one is not negative for them.
_NOT_NEGATIVE = ("不错", "不卡", "不烫", "不发热", "不发烫", "没问题", "没毛病", "爱不释手",
                 "不用戴")
_SCHEMA_IN_PROMPT = re.compile(r"must match this JSON Schema:\n(\{.*\})", re.S)
# A clause naming one of these is given that category (when the request offers it)
# and the keyword as its aspect; other clauses get the first category offered.
_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("battery", ("电池", "续航", "充电", "待机", "耗电", "battery", "charge", "charging")),
    ("shipping_delivery", ("物流", "快递", "发货", "送货", "到货", "shipping", "delivery",
                           "arrived")),
    ("customer_service", ("客服", "售后", "服务", "service", "support")),
    ("description_mismatch", ("赠品", "礼品", "说好的送", "保护套", "没有送", "没送",
                              "not as described")),
    ("price_value", ("价格", "价位", "性价比", "便宜", "贵", "price", "money", "worth")),
    ("packaging", ("包装", "packaging", "box")),
    ("appearance", ("外观", "颜色", "外形", "look", "color", "colour")),
    ("functionality", ("屏幕", "分辨率", "像素", "画面", "清晰", "模糊", "亮度", "声音", "音质",
                       "音效", "外放", "喇叭", "信号", "wifi", "流畅", "反应", "触屏", "点触",
                       "灵敏", "卡", "慢", "死机", "闪退", "系统", "字", "游戏", "发热", "发烫",
                       "照相", "拍照",
                       "screen", "sound", "volume", "signal", "software", "crash", "freez",
                       "headset", "reception")),
    ("product_quality", ("质量", "做工", "坏", "裂", "划痕", "垃圾", "quality", "broke", "cheap",
                         "cracked", "junk")),
)
# Words that state who a product was bought for, or what for, as a reviewer
# says them: (need tag, words). The quote is the clause holding the word.
_NEEDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("parents", ("爸妈", "父母", "老爸", "老妈", "爸爸", "妈妈", "母亲", "父亲", "mother",
                 "father", "my mom", "my dad", "parents")),
    ("child", ("孩子", "儿子", "女儿", "小孩", "宝宝", "my son", "my daughter", "my kid")),
    ("partner", ("老婆", "老公", "女朋友", "男朋友", "媳妇", "my wife", "my husband",
                 "girlfriend", "boyfriend")),
    ("family", ("老人", "家人", "family")),
    ("gift", ("礼物", "送人", "送给", "gift", "present")),
    ("work", ("办公", "上班", "for work", "at work")),
    ("study", ("学习", "网课", "学英语", "homework", "school")),
    ("commuting", ("通勤", "commute", "commuter")),
    ("gaming", ("游戏", "gaming", "games")),
    ("entertainment", ("看电视", "看电影", "追剧", "看视频", "movies", "videos")),
)


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
    negative = [c for c in clauses if _negative(c)]
    positive = [c for c in clauses if c not in negative]
    lang = _lang(text)
    if negative and positive:
        label, score = "mixed", 0.0
    elif negative:
        label, score = "negative", -0.7
    elif _negative(text):
        label, score = "negative", -0.4
    else:
        label, score = "positive", 0.7
    fallback = next((c for c in categories if c not in ("other",)), categories[0])
    complaints = []
    for c in negative[:2]:
        topic, word = _topic(c, categories)
        complaints.append({"aspect": word or c[:12], "category": topic or fallback, "quote": c,
                           "severity": "medium"})
    # "不卡" praises: its aspect is the phrase, not the complaint topic "卡" inside it.
    praise = [{"aspect": next((w for w in _NOT_NEGATIVE if w in c), None)
               or _topic(c, categories)[1] or c[:12], "quote": c} for c in positive[:1]]
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
        "needs": _needs(clauses),
    }


def _negative(clause: str) -> bool:
    lowered = clause.lower()
    for praise in _NOT_NEGATIVE:
        lowered = lowered.replace(praise, "")
    return any(w in lowered for w in _NEGATIVE)


def _topic(clause: str, categories: list[str]) -> tuple[str | None, str | None]:
    lowered = clause.lower()
    for category, words in _TOPICS:
        word = next((w for w in words if w in lowered), None)
        if word is not None:
            return (category if category in categories else None), word
    return None, None


def _needs(clauses: list[str]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for tag, words in _NEEDS:
        clause = next((c for c in clauses if any(w in c.lower() for w in words)), None)
        if clause is not None:
            found.append({"tag": tag, "quote": clause})
    return found[:5]


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
        item = next((d for d in schema.get("$defs", {}).values()
                     if "id" in d.get("properties", {})), {})
        fields = list(item.get("properties", {}))
        results = []
        for _, rid, text in reviews:
            full = {"id": rid, **_analysis(_body(text), cats)}
            results.append({k: full[k] for k in fields or full if k in full})
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
