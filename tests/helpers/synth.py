"""Synthetic batch results: realistic JSONL records for report tests and demos.

``synthetic_results(n, seed)`` yields dicts in the batch runner's JSONL shape.
Chinese and English reviews over six products and 12 weeks (from Monday
2024-03-04); complaint and praise quotes are verbatim substrings of the review
text (except ~2% deliberately paraphrased ones, which the report must leave
out); aspects come in spelling variants (case, spaces, full-width) that the
report must merge; ~3% of records failed; a battery-complaint spike for one
product in weeks 10-11 gives the trend alerts something to find. Everything is
drawn from ``random.Random(seed)``: same arguments, same records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

START = dt.date(2024, 3, 4)  # a Monday: week 1 of the sample is 2024-W10
WEEKS = 12

# category -> (zh sentences with aspect variants, en sentences with aspect variants, severity)
_COMPLAINTS: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]], str]] = {
    "battery": (
        [
            ("电池续航", "电池续航太差了，一天要充三次电"),
            ("电池 续航", "用了两周电池就不行了"),
            ("续航", "续航比宣传的短一半"),
        ],
        [
            ("battery life", "The battery barely lasts half a day"),
            ("Battery Life", "Battery drains overnight even when switched off"),
            ("ＢＡＴＴＥＲＹ", "the battery died after two weeks"),
        ],
        "high",
    ),
    "product_quality": (
        [
            ("做工", "做工很粗糙，边缘有毛刺"),
            ("质量", "质量太差，用了三天就坏了"),
            ("材质", "材质摸起来很廉价"),
        ],
        [
            ("build quality", "Build quality feels cheap and flimsy"),
            ("stitching", "The stitching came apart after a week"),
            ("Build  Quality", "the plastic cracked on day one"),
        ],
        "medium",
    ),
    "shipping_delivery": (
        [
            ("物流", "物流太慢了，等了十天才到"),
            ("快递", "快递员态度很差，直接扔在门口"),
            ("发货", "发货拖了一周"),
        ],
        [
            ("delivery", "Delivery took almost three weeks"),
            ("shipping", "Shipping was slow and tracking never updated"),
            ("Deliveries", "the courier left it in the rain"),
        ],
        "low",
    ),
    "packaging": (
        [("包装", "包装破损，盒子都压扁了"), ("包装 盒", "外包装很简陋")],
        [
            ("packaging", "The box arrived crushed and torn"),
            ("Packaging", "packaging was far too flimsy"),
        ],
        "low",
    ),
    "customer_service": (
        [("客服", "客服一直不回消息"), ("售后", "售后推来推去，不给解决")],
        [
            ("customer service", "Customer service never answered my emails"),
            ("support", "Support kept sending me the same useless reply"),
        ],
        "medium",
    ),
    "size_fit": (
        [("尺码", "尺码偏小，建议买大一号"), ("尺寸", "尺寸和描述不一样")],
        [("size", "Runs a full size small"), ("fit", "The fit is too narrow at the toes")],
        "medium",
    ),
    "taste_freshness": (
        [("味道", "味道有点怪，像是放久了"), ("新鲜度", "茶叶不新鲜，有陈味")],
        [("taste", "Tastes stale and bitter"), ("freshness", "It was clearly not fresh")],
        "high",
    ),
    "functionality": (
        [("蓝牙连接", "蓝牙连接经常断"), ("降噪", "降噪效果几乎没有")],
        [
            ("bluetooth", "Bluetooth keeps disconnecting"),
            ("Heart-rate sensor", "the heart rate sensor is wildly inaccurate"),
        ],
        "medium",
    ),
    "appearance": (
        [("颜色", "颜色和图片差别很大"), ("外观", "外观有划痕")],
        [
            ("color", "The color looks nothing like the photos"),
            ("colour", "the colour faded within days"),
        ],
        "low",
    ),
    "price_value": (
        [("价格", "这个价格不值"), ("性价比", "性价比太低")],
        [("price", "Way overpriced for what you get"), ("value", "Not worth the money")],
        "low",
    ),
}

_PRAISE: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "sound": (
        [("音质", "音质非常清晰，低音很足")],
        [("sound quality", "The sound is crisp and rich")],
    ),
    "comfort": (
        [("佩戴舒适", "戴一整天耳朵都不疼")],
        [("comfort", "Comfortable enough to wear all day")],
    ),
    "insulation": (
        [("保温", "保温效果特别好，早上的热水晚上还烫")],
        [("insulation", "Keeps coffee hot for twelve hours")],
    ),
    "design": (
        [("外观设计", "外观很漂亮，朋友都问在哪买的")],
        [("design", "Looks gorgeous on my desk")],
    ),
    "delivery": (
        [("发货速度", "第二天就到了，发货超快")],
        [("fast delivery", "Arrived the next day, well packed")],
    ),
    "taste": (
        [("口感", "茶香浓郁，回甘很好")],
        [("flavor", "Lovely smooth flavor with no bitterness")],
    ),
    "value": ([("性价比", "这个价格买到很值")], [("value", "Great value for the price")]),
    "grip": (
        [("抓地力", "抓地力很强，雨天跑步也不滑")],
        [("grip", "Grip is excellent even on wet trails")],
    ),
    "screen": (
        [("屏幕", "屏幕很亮，太阳下也看得清")],
        [("screen", "The screen is bright and sharp")],
    ),
}

# product -> (share of Chinese reviews, complaint categories it tends to get, praise aspects)
_PRODUCTS: dict[str, tuple[float, list[str], list[str]]] = {
    "无线耳机 Pro": (
        0.8,
        ["battery", "functionality", "product_quality", "customer_service"],
        ["sound", "comfort", "value", "design"],
    ),
    "保温杯 500ml": (
        0.7,
        ["product_quality", "packaging", "shipping_delivery", "appearance"],
        ["insulation", "design", "value", "delivery"],
    ),
    "Trail Running Shoes": (
        0.2,
        ["size_fit", "product_quality", "shipping_delivery"],
        ["grip", "comfort", "design"],
    ),
    "Smart Watch S2": (
        0.4,
        ["battery", "functionality", "customer_service", "price_value"],
        ["screen", "design", "value"],
    ),
    "有机绿茶 Organic Green Tea": (
        0.6,
        ["taste_freshness", "packaging", "price_value"],
        ["taste", "value", "delivery"],
    ),
    "Phone Case": (
        0.3,
        ["appearance", "product_quality", "shipping_delivery"],
        ["design", "value", "grip"],
    ),
}
_PRODUCT_WEIGHTS = [30, 20, 15, 15, 10, 10]

_NEUTRAL = {
    "zh": ["东西收到了", "还行吧，和描述差不多", "一般般"],
    "en": ["It arrived.", "It is okay, as described.", "Does the job I guess."],
}
_REPLY = {
    "zh": "感谢您的反馈，我们会尽快改进。",
    "en": "Thank you for your feedback, we will look into it.",
}
_ERRORS = [
    ("rate_limit", "RateLimitError", "429 Too Many Requests after 4 attempts"),
    ("rate_limit", "RateLimitError", "429 Too Many Requests after 4 attempts"),
    ("validation", "OutputValidationError", "output failed validation after 3 attempts"),
    ("timeout", "APITimeoutError", "no answer within 60 s"),
    ("content_filter", "ContentFilterError", "the provider's content filter stopped the answer"),
]


# brand -> (share of reviews, the complaint category it gets more of). Only with brands=True.
_BRANDS: dict[str, tuple[float, str]] = {
    "Aurora": (0.4, "battery"),
    "Nimbus": (0.35, "shipping_delivery"),
    "Pulse": (0.25, "product_quality"),
}
# What reviewers say about who it was for, or what for: (tag, kind, zh, en). With
# brands=True about a quarter of the reviews say one; buyers for parents also tend
# to find the text too small.
_NEEDS = [
    ("parents", "recipient", "给爸妈买的", "Bought it for my parents"),
    ("gift", "use", "送朋友的生日礼物", "It was a birthday gift for a friend"),
    ("child", "recipient", "给孩子买的", "Got it for my son"),
    ("commuting", "use", "上下班通勤路上用", "I use it on my commute"),
    ("work", "use", "平时上班用", "I use it at work"),
]
_SMALL_TEXT = ("字太小了，老人看不清", "The text is far too small to read")


def synthetic_results(n: int, seed: int = 0, *, brands: bool = False) -> Iterator[dict[str, Any]]:
    """Yield ``n`` batch result records (dicts ready for ``json.dumps``).

    ``brands=True`` adds a brand column (``extra["品牌"]``; each brand with more of
    one complaint theme) and the needs section (``insight["needs"]``); the
    records without it are unchanged (same seed, same records).
    """
    rng = random.Random(seed)
    products = list(_PRODUCTS)
    for i in range(n):
        product = rng.choices(products, _PRODUCT_WEIGHTS)[0]
        zh_share, cats, praise_aspects = _PRODUCTS[product]
        lang = "zh" if rng.random() < zh_share else "en"
        day = START + dt.timedelta(days=rng.randrange(WEEKS * 7))
        week = (day - START).days // 7
        record: dict[str, Any] = {"id": f"r{i:06d}"}
        if not brands:
            yield _review(rng, record, product, lang, day, week, cats, praise_aspects)
            continue
        brand = rng.choices(list(_BRANDS), [w for w, _ in _BRANDS.values()])[0]
        weak = _BRANDS[brand][1]
        need = rng.choice(_NEEDS) if rng.random() < 0.25 else None
        record["extra"] = {"品牌": brand}
        yield _with_need(rng, _review(rng, record, product, lang, day, week,
                                      cats + [weak] * 3, praise_aspects), need, lang)


def _with_need(rng: random.Random, record: dict[str, Any],
               need: tuple[str, str, str, str] | None, lang: str) -> dict[str, Any]:
    insight = record.get("insight")
    if insight is None:
        return record
    insight["needs"] = []
    if need is None:
        return record
    tag, kind, zh, en = need
    said = zh if lang == "zh" else en
    sep = "，" if lang == "zh" else ". "
    record["text"] = said + sep + record["text"]
    insight["needs"] = [{"tag": tag, "kind": kind, "quote": said}]
    if tag == "parents" and rng.random() < 0.6:
        small = _SMALL_TEXT[0 if lang == "zh" else 1]
        end = "。" if lang == "zh" else "."
        record["text"] = record["text"].rstrip("。.") + sep + small + end
        insight["complaints"].append({"aspect": "字体" if lang == "zh" else "font size",
                                      "category": "functionality", "quote": small,
                                      "severity": "medium"})
        if insight["sentiment"]["label"] in ("positive", "neutral"):
            insight["sentiment"] = {"label": "mixed", "score": 0.0, "confidence": None}
            record["rating"] = 3
    return record


def _review(
    rng: random.Random,
    record: dict[str, Any],
    product: str,
    lang: str,
    day: dt.date,
    week: int,
    cats: list[str],
    praise_aspects: list[str],
) -> dict[str, Any]:
    li = 0 if lang == "zh" else 1
    complaints: list[dict[str, str]] = []
    praise: list[dict[str, str]] = []
    sentences: list[str] = []
    # The spike: weeks 10-11 (2024-W19/W20), the earbuds' new batch has a bad battery.
    spike = product == "无线耳机 Pro" and week in (9, 10)
    n_complaints = rng.choices([0, 1, 2], [55, 35, 10])[0]
    if spike and rng.random() < 0.6:
        n_complaints = max(n_complaints, 1)
    chosen: list[str] = []
    for k in range(n_complaints):
        cat = "battery" if spike and k == 0 else rng.choice(cats)
        if cat not in chosen:
            chosen.append(cat)
    for cat in chosen:
        aspect, sentence = rng.choice(_COMPLAINTS[cat][li])
        severity = _COMPLAINTS[cat][2]
        if rng.random() < 0.3:
            severity = rng.choice(["low", "medium", "high"])
        quote = sentence
        if rng.random() < 0.02:
            quote = ("据说" if lang == "zh" else "Apparently ") + sentence  # not verbatim
        complaints.append({"aspect": aspect, "category": cat, "quote": quote, "severity": severity})
        sentences.append(sentence)
    n_praise = rng.choices([0, 1, 2], [45, 40, 15])[0] if len(chosen) < 2 else 0
    for aspect_key in rng.sample(praise_aspects, n_praise):
        aspect, sentence = _PRAISE[aspect_key][li][0]
        praise.append({"aspect": aspect, "quote": sentence})
        sentences.append(sentence)
    if not sentences:
        sentences.append(rng.choice(_NEUTRAL[lang]))
    rng.shuffle(sentences)
    text = ("，" if lang == "zh" else ". ").join(sentences) + ("。" if lang == "zh" else ".")

    if complaints and praise:
        label, score = "mixed", rng.uniform(-0.3, 0.3)
    elif complaints:
        label, score = "negative", rng.uniform(-0.95, -0.3)
    elif praise:
        label, score = "positive", rng.uniform(0.35, 0.95)
    else:
        label, score = "neutral", rng.uniform(-0.15, 0.15)
    rating = max(1, min(5, round(3 + 2 * score + rng.uniform(-0.8, 0.8))))

    record["text"] = text
    if rng.random() < 0.97:
        record["product"] = product
    if rng.random() < 0.97:
        record["date"] = day.isoformat()
    record["rating"] = rating
    if rng.random() < 0.03:
        kind, etype, message = rng.choice(_ERRORS)
        record["insight"] = None
        record["error"] = {"kind": kind, "type": etype, "message": message}
        return record
    requests = 1 if rng.random() < 0.95 else 2
    record["insight"] = {
        "language": lang,
        "sentiment": {"label": label, "score": round(score, 3), "confidence": None},
        "complaints": complaints,
        "praise": praise,
        "reply": {
            "text": _REPLY[lang],
            "language": lang,
            "needs_human_review": label != "positive",
            "review_reasons": [],
        },
        "summary": None,
        "model": "synthetic",
        "usage": {
            "requests": requests,
            "prompt_tokens": requests * rng.randint(350, 600),
            "completion_tokens": requests * rng.randint(80, 250),
            "cached": False,
        },
        "warnings": ["reply needs review"] if rng.random() < 0.02 else [],
        "truncated": False,
        "redactions": 0,
        "extra": {},
    }
    record["error"] = None
    return record


def write_jsonl(path: Any, n: int, seed: int = 0, *, brands: bool = False) -> None:
    """Write ``synthetic_results(n, seed, brands=brands)`` to ``path`` as UTF-8 JSONL."""
    import json

    with open(path, "w", encoding="utf-8") as fh:
        for rec in synthetic_results(n, seed, brands=brands):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
