"""Customer needs: the vocabulary of who a product was bought for and what for.

One home for what the ``needs`` task knows: the tags a model may give (each a
recipient -- "for whom" -- or a use -- "for what"), how they are described in
the prompt, and the checks an answer's tags must pass before they are kept
(``_outputs`` runs them while validating; the report groups by the tags).

What the tags never do: describe a person. A tag names a relationship the
reviewer states ("给爸妈买的" -> ``parents``) or a purpose ("上班通勤用" ->
``commuting``), never an age, a gender, an occupation, an income or any other
attribute, stated or not; there is no tag for those, and a model's tag that
looks like one is refused (``attribute_like``) rather than folded into
``other``. A recipient tag also needs the quote to name the person
(``names_recipient``): "字太小看不清" does not say the tablet was bought for
someone's parents, however likely a model finds it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..types import NeedKind

__all__ = [
    "NEED_TAGS",
    "OTHER_NEED",
    "attribute_like",
    "names_recipient",
    "need_kind",
    "normalize_tag",
]

#: Anything the review states that no other tag fits.
OTHER_NEED = "other"

#: tag -> (kind, what it means, for the prompt and the README). Short, stable
#: names: reports group and compare by them.
NEED_TAGS: dict[str, tuple[NeedKind, str]] = {
    "self": ("recipient", "for the reviewer's own use (自己用, for myself)"),
    "parents": ("recipient", "for the reviewer's parents (给爸妈买, for my mom)"),
    "child": ("recipient", "for the reviewer's child (给孩子/儿子/女儿, for my kid)"),
    "partner": ("recipient", "for a spouse or partner (老婆, 老公, 女朋友, wife, boyfriend)"),
    "family": ("recipient", "for other family members or elders at home (家人, 家里老人, grandma)"),
    "friend": ("recipient", "for a friend or classmate (朋友, 同学, a friend)"),
    "colleague": ("recipient", "for colleagues, a boss, clients or a company (同事, 公司)"),
    "pet": ("recipient", "for a pet (猫, 狗, my dog)"),
    "gift": ("use", "a present (送礼, 礼物, 送人, birthday gift)"),
    "work": ("use", "work or the office (上班, 办公, for work)"),
    "study": ("use", "study or school (学习, 网课, homework)"),
    "commuting": ("use", "commuting (通勤, 地铁上, on my commute)"),
    "travel": ("use", "travel or business trips (旅行, 出差, on a trip)"),
    "gaming": ("use", "playing games (打游戏, gaming)"),
    "entertainment": ("use", "videos, films, music, reading for leisure (看电视, 追剧, movies)"),
    "sports": ("use", "sports and fitness (跑步, 健身, at the gym)"),
    "home": ("use", "household use (家用, 厨房, around the house)"),
    "outdoor": ("use", "outdoor activities (露营, 户外, hiking)"),
    OTHER_NEED: ("other", "another recipient or use the review states in its own words"),
}

# Words that name the recipient, by tag: a recipient tag's quote must contain
# one (Chinese by substring, English as a word). Only Chinese and English are
# listed; quotes in other scripts (Japanese, Korean) are not checked.
_RECIPIENT_ZH: dict[str, tuple[str, ...]] = {
    "self": ("自己", "自用", "本人", "我用", "我自己"),
    "parents": ("父母", "爸", "妈", "爹", "娘", "父亲", "母亲", "公公", "婆婆", "岳父",
                "岳母", "丈母娘", "二老"),
    "child": ("孩子", "儿子", "女儿", "宝宝", "小孩", "娃", "闺女", "小朋友", "孙子", "孙女",
              "外孙"),
    "partner": ("老婆", "老公", "媳妇", "女朋友", "男朋友", "女友", "男友", "对象", "爱人",
                "妻子", "丈夫", "太太", "先生"),
    "family": ("家人", "家里", "老人", "爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷", "哥",
               "姐", "弟", "妹", "亲戚", "全家", "家用", "舅", "姨", "叔", "姑"),
    "friend": ("朋友", "闺蜜", "同学", "哥们", "兄弟", "室友", "舍友"),
    "colleague": ("同事", "领导", "老板", "客户", "员工", "公司", "单位"),
    "pet": ("猫", "狗", "宠物", "主子", "毛孩子"),
}
_RECIPIENT_EN: dict[str, tuple[str, ...]] = {
    "self": ("myself", "my own", "for me", "i use", "own use", "personal use"),
    "parents": ("parent", "parents", "mom", "mum", "mother", "dad", "father", "mama", "papa",
                "in-law", "in-laws"),
    "child": ("kid", "kids", "child", "children", "son", "sons", "daughter", "daughters",
              "baby", "toddler", "grandson", "granddaughter", "grandkid", "grandkids"),
    "partner": ("wife", "husband", "girlfriend", "boyfriend", "partner", "spouse", "fiance",
                "fiancee", "fiancé", "fiancée"),
    "family": ("family", "grandma", "grandpa", "grandmother", "grandfather", "grandparents",
               "brother", "sister", "aunt", "uncle", "cousin", "niece", "nephew", "relatives"),
    "friend": ("friend", "friends", "buddy", "roommate", "classmate", "bff"),
    "colleague": ("colleague", "colleagues", "coworker", "coworkers", "co-worker", "boss",
                  "team", "client", "clients", "staff", "employee", "employees", "office"),
    "pet": ("cat", "cats", "dog", "dogs", "pet", "pets", "puppy", "kitten"),
}

# Tags that read as attributes of a person (an age, a gender, an occupation,
# health, wealth, beliefs, status): refused whatever the review says.
_ATTRIBUTE_WORDS = frozenset({
    "male", "female", "man", "men", "woman", "women", "boy", "girl", "lady", "ladies",
    "gentleman", "gender", "elderly", "senior", "seniors", "old", "older", "young", "youth",
    "teen", "teens", "teenager", "adult", "adults", "middle", "aged", "age", "student",
    "students", "retiree", "retired", "pensioner", "pregnant", "disabled", "handicapped",
    "rich", "wealthy", "poor", "income", "religion", "religious", "muslim", "christian",
    "ethnic", "ethnicity", "race", "nationality", "married", "single", "divorced", "widow",
    "gay", "lesbian", "lgbt", "healthy", "sick", "ill", "patient", "profession", "occupation",
    "job", "nurse", "doctor", "teacher", "engineer", "farmer", "worker", "office_worker",
})
_ATTRIBUTE_ZH = ("男", "女", "性别", "年龄", "岁", "老年", "中年", "青年", "年轻", "少年", "学生",
                 "退休", "孕", "残疾", "富", "穷", "收入", "宗教", "民族", "婚", "单身", "病",
                 "职业", "白领", "蓝领", "教师", "医生", "护士")
_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:[-'][a-z]+)*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


@lru_cache(maxsize=1024)
def normalize_tag(raw: str) -> str:
    """The form tags are compared in: NFKC, lower case, ``_`` for spaces and hyphens."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def need_kind(tag: str) -> NeedKind:
    """Whether a vocabulary tag names a recipient, a use, or is ``other``."""
    return NEED_TAGS[tag][0]


def attribute_like(tag: str) -> bool:
    """Whether a (normalized) tag describes a person rather than a recipient or a use.

    Any digit counts (an age, "30s", "60岁"); so does any attribute word, as a
    word of a Latin tag or anywhere in a CJK one.
    """
    if tag in NEED_TAGS:
        return False
    if any(ch.isdigit() for ch in tag):
        return True
    if any(word in _ATTRIBUTE_WORDS for word in re.split(r"[_\s]+", tag)):
        return True
    return any(word in tag for word in _ATTRIBUTE_ZH)


def names_recipient(tag: str, quote: str) -> bool:
    """Whether ``quote`` names the person a recipient ``tag`` stands for.

    True for tags that are not recipients, and for quotes in Japanese or
    Korean script (no word lists for them yet).
    """
    if need_kind(tag) != "recipient":
        return True
    text = unicodedata.normalize("NFKC", quote).lower()
    if _KANA_HANGUL.search(text):
        return True
    if _CJK.search(text) and any(cue in text for cue in _RECIPIENT_ZH[tag]):
        return True
    words = set(_WORD.findall(text))
    return any(cue in words or (" " in cue and cue in text) for cue in _RECIPIENT_EN[tag])
