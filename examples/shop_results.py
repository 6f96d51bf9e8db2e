"""Make examples/shop_results.jsonl and shop_results_new.jsonl: a shop's results, reproducibly.

The insights were written by hand (a person read each review of shop_reviews.csv
and shop_reviews_new.csv and wrote what a capable model answers: sentiment,
complaints and praise with verbatim quotes, a reply). They are served to the
real ``wom analyze`` by ``wom_sdk.testing.FakeLLM``, so each line is exactly what
the SDK writes (quote grounding, the reply guard's ``review_reasons``, the
schema), and the README's examples of ``wom alerts``, ``wom highlights`` and
``wom queue`` run on them without an endpoint. Run from the repository root:

    python examples/shop_results.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from wom_sdk.cli import main
from wom_sdk.testing import FakeLLM, RecordedRequest, insight

HERE = Path(__file__).parent

#: id -> (label, score, complaints [(category, aspect, quote, severity)], praise [(aspect, quote)])
ANNOTATIONS: dict[str, tuple[str, float, list[tuple[str, str, str, str]],
                             list[tuple[str, str]]]] = {
    "s01": ("positive", 0.8, [], [("外观", "外观很好看"),
                                  ("键盘", "键盘没有想象中的小，用起来很舒服")]),
    "s02": ("positive", 0.9, [], [("性价比", "性价比很高")]),
    "s03": ("positive", 0.8, [], [("性价比", "性价比高"), ("送货", "送货速度快"),
                                  ("屏幕", "屏幕很好，看电影很舒服")]),
    "s04": ("positive", 0.9, [], [("电池", "电池续航时间真的很长，上网、看电影7小时没问题")]),
    "s05": ("negative", -0.7, [("battery", "电池", "电池很不耐用", "medium")], []),
    "s06": ("negative", -0.3, [("functionality", "散热", "发热量还是挺大", "low")], []),
    "s07": ("positive", 0.8, [], [("性价比", "性价比好"), ("外观", "酒红色适合女生用"),
                                  ("键盘", "键盘手感不错"), ("屏幕", "屏也没坏点")]),
    "s08": ("positive", 0.8, [], [("charger", "Great charger")]),
    "s09": ("positive", 0.7, [], [("外观", "外观不错"), ("屏幕", "屏幕大，显示效果好"),
                                  ("送货", "送货快")]),
    "s10": ("positive", 0.8, [], [("性能", "性能配置都算是同价位里的佼佼者了"),
                                  ("散热", "商务机的散热一直做得不错")]),
    "s11": ("positive", 0.8, [], [("性能", "整体性能比较均衡"), ("音响", "音响不错"),
                                  ("外观", "外观漂亮"), ("键盘", "键盘的手感很好")]),
    "s12": ("positive", 0.8, [], [("外观", "很干净 很美丽"),
                                  ("键盘", "键盘没有传说中那么小 很好用"),
                                  ("性价比", "性价比很高的说")]),
    "s13": ("positive", 0.8, [], [("电池", "电池相当的耐用"), ("键盘", "键盘手感和大小也很不错"),
                                  ("屏幕", "LED屏幕看着舒服"), ("硬盘", "硬盘的传输速度也很快")]),
    "s14": ("positive", 0.7, [], [("价格", "价格比中关村便宜"),
                                  ("电池", "电池容量真不错，看电影在6个小时左右"),
                                  ("外观", "外形比较喜欢"), ("屏幕", "屏幕色彩不错")]),
    "s15": ("negative", -0.6, [("functionality", "驱动安装", "装驱动很麻烦", "low"),
                               ("functionality", "散热", "散热不佳，用一会就发烫", "medium"),
                               ("battery", "电池", "电池续电后只能用一小时", "medium")], []),
    "s16": ("positive", 0.9, [],
            [("charger", "It is the best charger I have seen on the market yet")]),
    "s17": ("positive", 0.7, [], [("性价比", "性价比好"), ("键盘", "键盘手感挺好")]),
    "s18": ("positive", 0.8, [], [("性价比", "性价比高"), ("外观", "外观也还不错"),
                                  ("屏幕", "屏幕看起来很舒服"), ("送货", "送货速度快")]),
    "s19": ("negative", -0.5, [("battery", "电池", "电池的容量较小，也就最多2个小时左右的使用时间",
                                "medium"),
                               ("functionality", "显卡", "集成的显卡稍微弱一些", "low")], []),
    "s20": ("positive", 0.8, [], [("外观", "外观漂亮"), ("键盘", "键盘很可爱"),
                                  ("屏幕", "16：9的屏看电影很爽"), ("电池", "电池续航能力不错")]),
    "s21": ("positive", 0.7, [], [("做工", "大厂的做工"), ("屏幕", "屏美"), ("散热", "散热好")]),
    "s22": ("positive", 0.6, [], [("charger", "good quality car charger")]),
    "s23": ("positive", 0.8, [], [("外观", "拿到手的实物款式很漂亮"), ("做工", "做工大方，贵气"),
                                  ("性价比", "性价比高")]),
    "s24": ("mixed", 0.1, [("shipping_delivery", "快递", "圆通快递太差啦", "medium")],
            [("质量", "质量和速度是不错啦")]),
    "s25": ("positive", 0.6, [], [("性价比", "性价比高"), ("屏幕", "LED屏幕比较省电"),
                                  ("兼容性", "兼容性不错")]),
    "s26": ("positive", 0.9, [], [("散热", "散热好"), ("屏幕", "完美屏幕"), ("外观", "外观大气"),
                                  ("送货", "送货效率高")]),
    "s27": ("negative", -0.5, [("product_quality", "坏点", "发现有一个坏点", "medium"),
                               ("price_value", "赠品", "什么都没有送，就一台裸机", "low")], []),
    "s28": ("positive", 0.8, [], [("外观", "外形漂亮"),
                                  ("电池", "电池续航时间长，跟其他同类的小本比要好")]),
    "s29": ("negative", -0.9, [("product_quality", "蓝屏", "第一次开机使用就蓝屏", "high"),
                               ("customer_service", "返修", "提交了返修，审核通不过",
                                "medium")], []),
    "s30": ("positive", 0.7, [], [("charger", "It works great with a car charger")]),
    "s31": ("positive", 0.9, [], [("屏幕", "完美屏"), ("键盘", "键盘好"), ("散热", "散热优良"),
                                  ("做工", "做工精细")]),
    "s32": ("positive", 0.8, [], [("性价比", "性价比高"), ("屏幕", "显示屏不错"),
                                  ("速度", "速度快")]),
    "s33": ("positive", 0.8, [], [("便携", "小巧合用"),
                                  ("散热", "散热也真的不错,连续4小时手感只是温温的")]),
    "s34": ("positive", 0.8, [], [("性价比", "性价比很高"), ("外观", "外观很好看"),
                                  ("接口", "接口丰富"), ("散热", "散热很好")]),
    "s35": ("negative", -0.6, [("other", "系统", "linux改xp花了一下午时间", "low"),
                               ("functionality", "散热",
                                "散热不好，cpu温度就没下过50，玩游戏能上70，比较吓人", "medium"),
                               ("functionality", "触摸板", "触摸板关不掉，打字经常碰到",
                                "low")], []),
    "s36": ("negative", -0.4, [("description_mismatch", "重量", "实际重量2.35kg", "low"),
                               ("functionality", "散热", "左边的散热不太好", "medium")], []),
    "s37": ("negative", -0.5, [("price_value", "降价", "今天就降了300,真是郁闷啊", "low"),
                               ("appearance", "键盘", "键盘容易脏", "low"),
                               ("functionality", "散热", "散热不太好", "medium")], []),
    "s38": ("negative", -0.7, [("size_fit", "重量", "比预期的要重不少", "low"),
                               ("functionality", "电源适配器发热",
                                "变压器发热超出预期，放在桌上用居然很烫手", "high"),
                               ("functionality", "风扇噪音", "机器风扇声音比较大", "medium")], []),
    "s39": ("negative", -0.8, [("functionality", "散热", "发热相当厉害", "high"),
                               ("functionality", "噪音", "噪音很大，夜深人静看电影的时候尤为明显",
                                "medium"),
                               ("other", "硬盘分区", "硬盘分区不合理", "low"),
                               ("appearance", "电池", "电池突出的那一块严重影响美观", "low")], []),
    "s40": ("positive", 0.8, [], [("外观", "磨砂的面子就是好，看着沉稳，摸上去也很有质感"),
                                  ("键盘", "键盘的手感比原来要好很多")]),
    "s41": ("positive", 0.8, [], [("外观", "外观很漂亮"), ("键盘", "键盘很漂亮"),
                                  ("屏幕", "完美屏")]),
    "s42": ("negative", -0.7, [("product_quality", "charger", "it did not work", "high")],
            [("delivery", "The charger arrived within the promised timeframe")]),
    "s43": ("positive", 0.8, [], [("外观", "外观很好看"), ("便携", "重量很轻,没觉得沉"),
                                  ("送货", "送货很快")]),
    "s44": ("positive", 0.5, [], [("外观", "外观漂亮"), ("散热", "散热还行吧")]),
    "s45": ("positive", 0.9, [], [("屏幕", "完美屏"), ("外观", "外观漂亮"), ("手感", "手感很好"),
                                  ("性价比", "超值了")]),
    # shop_reviews_new.csv: the next day's export
    "s46": ("negative", -0.6, [("functionality", "触摸板发热", "就是触摸板有些热呀", "low"),
                               ("hygiene_safety", "漏电",
                                "开机的键似乎有点漏电，摸上去手指有点麻麻的", "high"),
                               ("battery", "充电", "今天充电的时间有点长", "low")],
            [("散热", "散热整体还可以")]),
    "s47": ("positive", 0.9, [], [("键盘", "15.4寸笔记本的键盘确实爽"), ("外观", "样子也很美观"),
                                  ("做工", "做工也相当不错")]),
    "s48": ("negative", -0.9, [("hygiene_safety", "charger",
                                "I went to plug it in and it started smoking", "high"),
                               ("product_quality", "charger", "the charger was broken",
                                "high")], []),
    "s49": ("positive", 0.8, [], [("便携", "本本超薄，携带方便"), ("外观", "这个颜色还挺不错")]),
    "s50": ("negative", -0.7, [("battery", "电池", "电池很差，只能用一个半小时", "medium"),
                               ("functionality", "摄像头", "摄像头很不好", "low"),
                               ("other", "驱动", "无线网卡驱动也找了很久", "low")], []),
}

_REPLIES = {
    ("zh", "positive"): "感谢您的认可！很高兴这款产品合您心意，祝您使用愉快。",
    ("zh", "negative"): "很抱歉给您带来不好的体验。您提到的问题我们已记录并反馈给产品团队，"
                        "请通过店铺客服联系我们，我们会尽快协助处理。",
    ("en", "positive"): "Thank you for your review! We are glad it works well for you.",
    ("en", "negative"): "We are sorry it let you down. Please contact our customer service "
                        "through the store so we can look into it.",
}
_SAFETY_REPLIES = {
    "zh": "非常抱歉！这关系到您的安全，请先停止使用并拔掉电源，我们的客服会尽快与您联系处理。",
    "en": "We are very sorry. Please stop using it right away; our customer service will "
          "contact you to sort this out.",
}


def _key(text: str) -> str:
    return "".join(text.split())


def _texts() -> dict[str, str]:
    import csv

    out = {}
    for name in ("shop_reviews.csv", "shop_reviews_new.csv"):
        with (HERE / name).open(encoding="utf-8", newline="") as fh:
            out.update({_key(row["text"]): row["id"] for row in csv.DictReader(fh)})
    return out


def answer_for(request: RecordedRequest, ids: dict[str, str]) -> dict[str, Any]:
    """The hand-written insight for the review in ``request``."""
    (review,) = request.reviews
    rid = ids[_key(review)]
    label, score, complaints, praise = ANNOTATIONS[rid]
    language = "en" if review.isascii() else "zh"
    tone = "positive" if label == "positive" else "negative"
    safety = any(c[0] == "hygiene_safety" for c in complaints)
    reply = _SAFETY_REPLIES[language] if safety else _REPLIES[(language, tone)]
    aspects = [c[1] for c in complaints] or [p[0] for p in praise]
    summary = ("好评：" if tone == "positive" else "差评：") + "、".join(aspects) \
        if language == "zh" else f"{tone.title()}: {', '.join(aspects)}"
    for _, _, quote, _ in complaints:
        assert quote in review, (rid, quote)
    for _, quote in praise:
        assert quote in review, (rid, quote)
    return insight(
        sentiment=label,  # type: ignore[arg-type]
        score=score,
        complaints=[{"category": c, "aspect": a, "quote": q, "severity": s}
                    for c, a, q, s in complaints],
        praise=[{"aspect": a, "quote": q} for a, q in praise],
        reply=reply,
        language=language,
        summary=summary,
    )


def make(csv_name: str, output: Path) -> int:
    ids = _texts()
    llm = FakeLLM(then=lambda request: answer_for(request, ids))
    # The shop's reviews go through the real `wom analyze`; only the model is scripted.
    # --concurrency 1: lines in input order, so the file is the same on every run.
    return main(["analyze", str(HERE / csv_name), "-o", str(output), "--overwrite", "--quiet",
                 "--concurrency", "1"], analyzer_factory=lambda **kw: llm.analyzer(**kw))


if __name__ == "__main__":
    status = make("shop_reviews.csv", HERE / "shop_results.jsonl")
    status = status or make("shop_reviews_new.csv", HERE / "shop_results_new.jsonl")
    sys.exit(status)
