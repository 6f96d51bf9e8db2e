"""A simple lexicon baseline for review sentiment: count positive and negative words.

What a model must beat to be worth its CPU time. English: the AFINN-165
lexicon (Finn Årup Nielsen, 3,382 words scored -5..+5; ``pip install afinn``,
data under the ODbL), word by word, as its own ``Afinn.score`` does. Chinese:
AFINN has no Chinese list and the lexicons on PyPI for Chinese are literary
(idioms, not "难吃" or "送得慢"), so a short list of common review words
written for this baseline (below) is matched as substrings, a negator just
before a word (不, 没, 别, 无, 未 ...) flipping it. The lists were written from
general knowledge of review language before any evaluation and were not tuned
on the benchmark sets.

The label: positive above 0, negative below 0, neutral at 0 (no sentiment word
found: the baseline abstains, which counts as wrong on two-class sets).

    python benchmarks/lexicon_baseline.py "饺子都凉了，送来太慢了"
"""

from __future__ import annotations

import re
import sys
from functools import cache

__all__ = ["label", "score"]

_ZH_POSITIVE = [
    "好", "不错", "满意", "喜欢", "推荐", "值得", "划算", "实惠", "便宜", "好吃",
    "美味", "香", "新鲜", "干净", "舒适", "舒服", "方便", "快", "及时", "准时",
    "热情", "周到", "耐心", "贴心", "专业", "清晰", "流畅", "漂亮", "好看", "精致",
    "结实", "耐用", "正品", "给力", "赞", "棒", "完美", "惊喜", "超值", "满分",
    "五星", "好评", "回购", "感谢", "谢谢", "温馨", "安静", "宽敞", "热乎", "分量足",
    "性价比高", "物美价廉", "没问题",
]
_ZH_NEGATIVE = [
    "差", "糟糕", "失望", "后悔", "垃圾", "难吃", "难看", "难用", "难闻", "太贵",
    "不值", "坑", "骗", "假货", "劣质", "质量问题", "坏", "破", "脏", "臭",
    "馊", "凉", "冷了", "慢", "太久", "迟到", "晚了", "超时", "少", "缺",
    "漏", "错", "不对", "退货", "退款", "投诉", "差评", "一星", "恶心", "油腻",
    "咸", "硬", "吵", "旧", "破损", "故障", "死机", "发热", "噪音", "敷衍",
    "态度差", "不理", "不回", "欺骗", "浪费", "上当", "再也不", "无语", "郁闷", "生气",
]
# Order matters: longer negators first, so "没有" is not read as "没" + "有".
_ZH_NEGATORS = ("没有", "并不", "不是", "不太", "不够", "不", "没", "别", "无", "未", "非")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@cache
def _afinn() -> object:
    from afinn import Afinn  # benchmark-only dependency: pip install afinn

    return Afinn(language="en")


def _zh_score(text: str) -> float:
    total = 0.0
    # Longest words first, and each character counted once: "不错" is not also
    # "错", "好吃" is not also "好".
    taken = [False] * len(text)
    lexicon = sorted([(w, 1.0) for w in _ZH_POSITIVE] + [(w, -1.0) for w in _ZH_NEGATIVE],
                     key=lambda item: -len(item[0]))
    for word, polarity in lexicon:
        for m in re.finditer(re.escape(word), text):
            span = range(m.start(), m.end())
            if any(taken[i] for i in span):
                continue
            for i in span:
                taken[i] = True
            before = text[max(0, m.start() - 2):m.start()]
            negated = any(before.endswith(n) for n in _ZH_NEGATORS)
            total += -polarity if negated else polarity
    return total


def score(text: str) -> float:
    """Positive words minus negative words (Chinese), or the AFINN score (other text)."""
    if _CJK.search(text):
        return _zh_score(text)
    afinn = _afinn()
    return float(afinn.score(text))  # type: ignore[attr-defined]


def label(text: str) -> str:
    """``positive``, ``negative`` or ``neutral`` (no evidence either way)."""
    s = score(text)
    return "positive" if s > 0 else "negative" if s < 0 else "neutral"


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(f"{label(arg)}\t{score(arg):+g}\t{arg}")
