"""Checks on a generated reply before the shop sees it, and flags on the review itself.

Defends against: a reply that a prompt injection in the review (or a model's
own mistake) turned into something the shop must not post unread: links,
e-mail addresses, phone numbers and discount codes the shop did not configure,
customers' ID or card numbers, promises of refunds or compensation, echoed
instructions ("ignore previous instructions"), leaked system prompts or role
markers, HTML/markdown/template markup, and replies in another language than
the review. Separately, ``review_flags`` marks reviews a human should handle
whatever the reply says: threats, legal and regulator complaints, safety and
medical claims, self-harm, personal data, and injection attempts. Detection
runs on an NFKC-normalized copy with invisible characters removed, so
full-width (``ｅｖｉｌ．ｃｏｍ``) and zero-width tricks do not hide anything.

Does not defend against: paraphrase. The checks are English and Chinese word
lists and patterns, not understanding: "you'll get every cent back" or
"钱一分不少给您" is not recognized as a refund promise, a code with no
keyword near it ("送您VIP888") is not recognized as a code, a URL spelled out
in words beyond "dot"/"点" is missed, and language is judged by script (every
Latin-script language is "en"). A clean check means no known pattern fired;
it is a filter in front of a human, not a replacement for one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ._clean import strip_invisible
from ._redact import find_bank_cards, find_cn_ids, find_emails, find_phones

__all__ = [
    "REPLY_REASONS",
    "REVIEW_REASONS",
    "ReplyCheck",
    "ReplyPolicy",
    "check_reply",
    "detect_language",
    "review_flags",
]

#: Reasons ``check_reply`` reports about the reply, in the order it reports them.
REPLY_REASONS: tuple[str, ...] = (
    "reply_empty",
    "reply_url",
    "reply_email",
    "reply_phone",
    "reply_personal_data",
    "reply_discount_code",
    "reply_refund_promise",
    "reply_compensation_promise",
    "reply_instruction_echo",
    "reply_system_prompt_leak",
    "reply_role_marker",
    "reply_markup",
    "reply_wrong_language",
)
#: Reasons ``review_flags`` reports about the review, in the order it reports them.
REVIEW_REASONS: tuple[str, ...] = (
    "prompt_injection",
    "violence_threat",
    "self_harm",
    "legal_threat",
    "regulator_complaint",
    "safety_claim",
    "medical_issue",
    "personal_data",
)


@dataclass(frozen=True)
class ReplyPolicy:
    """What a reply may contain because the shop configured it."""

    #: links the shop uses; a bare host allows any path on exactly that host
    allowed_urls: tuple[str, ...] = ()
    allowed_emails: tuple[str, ...] = ()
    allowed_phones: tuple[str, ...] = ()
    #: discount codes the shop itself hands out
    allowed_codes: tuple[str, ...] = ()
    allow_refund_promises: bool = False
    allow_compensation_promises: bool = False
    #: the shop's name: not taken for a foreign-language passage or a code
    brand_name: str | None = None


@dataclass(frozen=True)
class ReplyCheck:
    """The outcome of ``check_reply``."""

    #: no problem found in the reply itself
    ok: bool
    #: one human-readable sentence per problem in the reply
    problems: list[str] = field(default_factory=list)
    #: a person should read this reply (and review) before it is posted
    needs_human_review: bool = False
    #: short stable reason codes: the reply's, then the review's (``review_flags``)
    reasons: list[str] = field(default_factory=list)


# -- shared patterns -------------------------------------------------------------------

_I = re.IGNORECASE
_TLDS = (
    "com|net|org|edu|gov|cn|io|co|xyz|top|info|biz|app|dev|shop|store|site|online|link|ly|"
    "cc|tk|ru|uk|de|jp|kr|hk|tw|eu|fr|es|nl|au|ca|vip|club|ai|gg|tv|ws|pw|ml|ga|cf|gq|icu|"
    "buzz|cyou|sbs|lol|zip|mov|xin|ltd|wang|ink|pro|mobi|asia|cloud|live|life|fun|space|"
    "website|tech|work|example|page|me|to|su|cx|im|ph|vn|sg|my|id|th"
)
# URL characters are ASCII (IDNs and non-ASCII paths arrive punycoded or
# percent-encoded), so a link ends where Chinese text starts: "evil.com谢谢".
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]"
_URL_RE = re.compile(
    rf"(?:https?|ftp)://{_URL_CHARS}+"
    rf"|(?<![A-Za-z0-9_.@\-])www\.{_URL_CHARS}+"
    r"|(?<![A-Za-z0-9_.@\-/])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.){1,8}"
    rf"(?:{_TLDS})(?![a-z0-9\-])(?:[/?#]{_URL_CHARS}*)?",
    _I,
)
_HAS_SCHEME_RE = re.compile(r"[a-z][a-z0-9+.\-]*://", _I)
_SCHEME_URL_RE = re.compile(rf"(?:https?|ftp)://{_URL_CHARS}+", _I)
# Spelled-out dots a hijacked reply may use to slip a link past a filter.
_DOT_WORDS_RE = re.compile(r"\s*(?:\[\.\]|\(\.\)|\[dot\]|\(dot\)|\bdot\b|点|。)\s*(?=[a-z])", _I)
_TRAILING_PUNCT = ".,;:!?)]}>'\"…"

# Instructions aimed at the model. Precise on purpose, because reviews are
# full of ordinary uses: "this issue can be ignored" (可以忽略), cosplay
# costumes (角色扮演), a phone's developer mode, "it can act as a stand".
_INSTRUCTION_RE = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:(?:all|any|the|your|my|these|"
    r"those|of|everything)\s+){0,4}(?:(?:previous|prior|above|earlier|preceding|former|"
    r"original|system|initial|existing|safety|developer)\s+){0,2}(?:instructions?|prompts?|"
    r"rules|directions|guidelines|context|messages?|constraints|guardrails)\b"
    r"|\bnew\s+instructions?\s*:"
    r"|\byou\s+are\s+now\s+(?:(?-i:DAN)|an?\s+(?:AI|assistant|unrestricted|unfiltered|"
    r"different|new)|in\s+(?:developer|DAN|god|jailbreak)\s+mode)\b"
    r"|\bfrom\s+now\s+on,?\s+(?:you|reply|respond|answer)\b"
    r"|\bdo\s+anything\s+now\b|\bpretend\s+(?:that\s+)?you\s+are\b"
    r"|\b(?:reveal|print|show|repeat|output|translate|display|leak|dump)\s+(?:me\s+|us\s+)?"
    r"(?:all\s+)?(?:of\s+)?(?:the\s+)?(?:(?:your|above|hidden|initial|original|secret|"
    r"preceding|previous)\s+){1,2}(?:system\s+)?(?:prompt|instructions|rules)\b"
    r"|\b(?:reveal|print|show|repeat|output|translate|display|leak|dump)\s+(?:me\s+)?"
    r"(?:the\s+|your\s+)?system\s+prompt\b"
    r"|(?:忽略|无视|忘记|忘掉|不要理会|不用理会|跳过|覆盖)掉?(?:你|之前|以上|上面|前面|先前|此前|"
    r"上述|所有|全部|一切|原有|原来|系统|的){0,4}(?:指令|指示|提示词?|规则|要求|设定|命令|约束|限制)"
    r"|(?:新的?|以下)(?:指令|命令)[：:]|从现在(?:开始|起)[，,]?你(?:要|必须|只能|就是)"
    r"|你现在是.{0,10}?(?:助手|客服|AI|机器人|模型|DAN)|扮演.{0,8}?(?:助手|客服|AI|机器人|模型)"
    r"|假装你是|(?:输出|泄露|告诉我|显示|重复|翻译)(?:一下)?(?:你的|以上|上面|上述)(?:的)?"
    r"(?:系统)?(?:提示词?|指令|设定|规则)",
    _I,
)
# Persona switches, only checked in replies: in a review "developer mode" or
# "越狱" is as likely to be about a phone.
_PERSONA_RE = re.compile(
    r"\b(?:developer|god|debug|jailbreak|DAN)\s+mode\b|\bjailbr(?:eak|oken)\b|(?-i:\bDAN\b)"
    r"|开发者模式|越狱模式|已越狱",
    _I,
)
_LEAK_RE = re.compile(
    r"\bsystem\s+(?:prompt|message|instructions?)\b"
    r"|\b(?:my|the)\s+(?:original\s+|initial\s+|hidden\s+|secret\s+)?instructions\s+"
    r"(?:are|were|say|said|tell)\b"
    r"|\bI\s+(?:was|am|have\s+been|'ve\s+been)\s+(?:instructed|told|programmed|prompted|"
    r"configured)\s+to\b"
    r"|\bas\s+an?\s+(?:AI|artificial\s+intelligence|(?:large\s+)?language\s+model|LLM|"
    r"chatbot)\b"
    r"|\bI\s*(?:'m|\s+am)\s+(?:just\s+)?(?:an?\s+)?(?:AI|(?:large\s+)?language\s+model|"
    r"LLM|chatbot)\b"
    r"|\byou\s+are\s+(?:a|an)\s+(?:(?:helpful|expert|friendly|polite|professional)\s+)*"
    r"(?:assistant|AI|customer[\s-]service|model|agent|bot)\b"
    r"|\byour\s+task\s+is\s+to\b|\bdo\s+not\s+reveal\b"
    r"|\b(?:OpenAI|ChatGPT|GPT-?[3-5](?:\.5)?|Anthropic|DeepSeek)\b"
    r"|系统提示|提示词|系统指令|我的(?:指令|设定|系统设定|提示)|我被(?:设定|指示|要求|编程|训练)"
    r"|作为(?:一个|一名)?(?:AI|人工智能|语言模型|大模型|智能助手|AI助手)"
    r"|我是(?:一个|一名)?(?:AI|人工智能|语言模型|大模型)|你是一个.{0,12}?(?:助手|客服|模型)"
    r"|通义千问|文心一言",
    _I,
)
# Reviews asking about the prompt; _LEAK_RE is too broad for customers' own words.
_PROMPT_TALK_RE = re.compile(
    r"\bsystem\s+prompt\b|\b(?:your|the)\s+(?:hidden\s+|initial\s+|original\s+)?"
    r"(?:instructions|prompt)\s+(?:above|verbatim|word\s+for\s+word)\b"
    r"|系统提示|提示词|你的(?:指令|设定|系统设定)",
    _I,
)
_ROLE_RE = re.compile(
    r"(?m:^[ \t>*#\-]*(?:system|assistant|user|developer|human|ai|bot)\s*[:：])"
    # Mid-line only when shouted or right after markup ("</review> SYSTEM:"),
    # so "operating system: Android" is not a role marker.
    r"|(?-i:\b(?:SYSTEM|ASSISTANT)\s*[:：])|[>\]}|]\s*(?:system|assistant)\s*[:：]"
    r"|<\|[a-z_]{2,30}\|>|\[/?INST\]|<</?SYS>>|#{2,}\s*(?:system|instructions?|response|"
    r"assistant|user)\b"
    r"|</?\s*(?:system|assistant|user|review|instructions?|prompt|context)\s*>"
    r"|(?m:^[ \t>*#\-]*(?:系统|助手|助理|用户|人类|机器人)\s*[：:])",
    _I,
)
_PLACEHOLDER_RE = re.compile(r"\[(?:EMAIL|PHONE|CN_ID|BANK_CARD|ORDER_NUMBER)_[0-9]+(?:~[0-9]+)?\]")
_MARKUP_RE = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9]*(?:\s[^<>]*)?/?\s*>|!\[[^\]\n]{0,200}\]\(|\[[^\]\n]{1,200}\]\("
    r"|\{\{|\}\}|\{%|%\}|\$\{|javascript\s*:",
    _I,
)

# A bare "code" counts only after a verb that hands it out ("use code X"), so
# "error code E102" or "zip code 10001" is not a discount code.
_CODE_EN_RE = re.compile(
    r"(?:\b(?:promo(?:tion(?:al)?)?\s*codes?|coupon(?:\s*codes?)?|discount\s*codes?|"
    r"voucher(?:\s*codes?)?|gift\s*codes?|redeem(?:\s*codes?)?|redemption\s*codes?|"
    r"referral\s*codes?|(?:use|enter|apply|redeem|using|with|type)\s+(?:the\s+|this\s+|our\s+|"
    r"my\s+)?codes?)|(?m:^\s*codes?(?=\s*[:：])))"
    r"\s*(?:is|are|:|=|-)?\s*[\"'“‘(\[]?\s*([A-Za-z0-9][A-Za-z0-9_\-]{2,23})\b",
    _I,
)
_CODE_ZH_RE = re.compile(
    r"(?:优惠码|折扣码|优惠券码|优惠口令|兑换码|券码|口令|暗号|红包码|邀请码|礼品码|激活码|"
    r"折扣代码|优惠代码)"
    r"\s*(?:是|为|[:：])?\s*[\"'“‘「『(（\[【]?\s*([A-Za-z0-9][A-Za-z0-9_\-]{2,23})"
)

_MODAL_EN = (
    r"(?:we|i)(?:'ll|\s+will|\s+shall|\s+would|\s+can|'d|\s+are\s+going\s+to|'re\s+going\s+to|"
    r"\s+am\s+going\s+to|'m\s+going\s+to|\s+have|'ve|\s+are\s+happy\s+to|'re\s+happy\s+to|"
    r"\s+(?:would|'d)\s+like\s+to|\s+want\s+to|\s+promise\s+to)"
)
# "refund policy", "退款申请": talking about refunds, not promising one.
_REFUND_NOUNS = r"policy|request|process|procedure|rules|terms|form|page|section|status|options?"
_ZH_REFUND_NOUNS = r"申请|政策|规则|流程|说明|事宜|条件|须知|进度"
_REFUND_RE = re.compile(
    r"\b(?:full|fully|complete|total|entire|100\s*%)\s+refund"
    r"|\brefund(?:ed)?\s+(?:you\s+)?(?:in\s+full|the\s+(?:full|entire|whole)\s+(?:amount|price"
    r"|cost)|(?:all\s+(?:of\s+)?)?your\s+(?:money|payment|purchase|order))"
    rf"|\b{_MODAL_EN}\s+(?:\w+\s+){{0,3}}?refund(?!\s+(?:{_REFUND_NOUNS}))"
    r"|\byou(?:'ll|\s+will)\s+(?:\w+\s+){0,2}?(?:get|receive|be\s+given)\s+(?:a\s+|your\s+)?"
    r"(?:full\s+)?refund"
    r"|\brefund\s+(?:has|have|will)\s+(?:been\s+|be\s+)(?:issued|processed|sent|initiated|made)"
    r"|\bmoney\s+back\b|\breimburs"
    r"|全额退款|全部退款|全款退|退全款|原价退|无条件退款|包退|退一赔|假一赔|返现|退您"
    r"|(?:为您|给您|帮您|替您)\s*(?:办理|安排|操作|处理|申请)?\s*(?:全额|全部|部分)?退款"
    rf"(?!{_ZH_REFUND_NOUNS})"
    r"|(?:我们|我|本店|小店|商家|客服|店铺)\s*(?:会|将|马上|立即|立刻|已经?|这就|这边|"
    rf"现在就?)\s*.{{0,4}}?退款(?!{_ZH_REFUND_NOUNS})"
    r"|退款(?:给您|给你)|退(?:给|还)您|退还(?:您的?)?(?:全部|所有)?(?:货款|款项|费用|金额)",
    _I,
)
_COMPENSATION_RE = re.compile(
    r"\bcompensat(?:e|ion|ing)\b"
    r"|\b(?:give|send|offer|credit|pay|issue|provide|transfer)\s+you\s+(?:a\s+|an\s+)?"
    r"(?:\$|US\$|USD\s*|£|€|¥|RMB\s*|CNY\s*)\s?\d"
    r"|(?:\$|£|€|¥)\s?\d+(?:\.\d+)?\s+(?:credit|voucher|gift\s*card|coupon|discount|off|"
    r"compensation|bonus|cash)"
    r"|\bfree\s+(?:replacement|product|gift|item|unit|one|of\s+charge|upgrade)"
    r"|\breplace(?:ment)?\s+(?:it\s+|them\s+|the\s+\w+\s+)?(?:for\s+free|free\s+of\s+charge|"
    r"at\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge))"
    r"|\bat\s+no\s+(?:extra\s+|additional\s+)?(?:cost|charge)\b"
    r"|\b(?:gift\s+card|store\s+credit|e-?voucher)s?\b"
    rf"|\b{_MODAL_EN}\s+(?:\w+\s+){{0,3}}?(?:send|give|offer|issue)\s+you\s+(?:\w+\s+){{0,3}}?"
    r"(?:coupon|voucher|discount|gift|credit|bonus)"
    r"|赔偿|赔付|补偿|赔您|赔给您|包赔|照价赔|包换"
    r"|免费(?:为您|给您)?(?:换新|更换|换货|换一个|重发|补发|再发|寄送|赠送|送)"
    r"|(?:送|赠送|赠|补|发)(?:给)?您?(?:一张|一个|一份|\d+元)?(?:的)?(?:优惠券|代金券|无门槛券|"
    r"红包|礼品|礼物|赠品|积分|现金券|购物卡|礼品卡|京豆)"
    r"|(?:返|补|赔)(?:给)?您?\d+(?:元|块)|红包",
    _I,
)
_NEGATION_ZH = (
    r"不会|不能|无法|不予|不支持|不提供|不可|没法|没有|拒绝|不接受|不退|不赔|不补|不再|暂不|恕不"
)
_NEGATION_RE = re.compile(
    rf"\b(?:not|never|cannot|unable|no|neither|nor)\b|n't\b|{_NEGATION_ZH}", _I
)
# Inside a match "no" belongs to the phrase itself ("at no extra cost").
_NEGATION_IN_MATCH_RE = re.compile(rf"\b(?:not|never|cannot|unable)\b|n't\b|{_NEGATION_ZH}", _I)
_CLAUSE_BREAK = re.compile(r"[.!?;,\n。！？；，]")

# The review lexicons aim at claims a shop must not answer with a template.
# Everyday words that are mostly harmless in reviews stay out: "melted"
# (chocolate), "burnt" (toast, coffee), "sparks joy", "炸了" as slang,
# "充电到80%" (contains 电到), "beat them" (a rival's prices).
_SAFETY_RE = re.compile(
    r"\bcaught\s+(?:on\s+)?fire\b|\bon\s+fire\b|\bfire\s+hazard\b|\bstarted\s+a\s+fire\b"
    r"|\bburst\s+into\s+flames?\b|\bin\s+flames\b|\bflames?\s+(?:came|shot|out|from)\b"
    r"|\bexplod(?:e|ed|es|ing)\b|\bexplosion\b"
    r"|\bburn(?:ed|t|s)?\s+(?:me|my|him|her|his|them|our|the\s+(?:baby|kid|child))\b"
    r"|\bgot\s+burn(?:ed|t)\b|\bburn(?:s|ed)?\s+(?:marks?|injur\w*|wounds?|blisters?)\b"
    r"|\bburning\s+smell\b|\bsmell(?:s|ed)?\s+(?:like\s+)?burn(?:ing|t)\b|\bscalded\b"
    r"|\belectric(?:al)?\s+shock\b|\belectrocut|\bshocked\s+me\b"
    r"|\bsparks?\s+(?:came|flew|from|out)\b|\bsparking\b|\bshort[\s-]circuit"
    r"|\binjur(?:y|ies|ed)\b|\bchok(?:e|ed|ing)\b|\bsuffocat|\bswallowed\b"
    r"|\btoxic\b|\bpoisonous\b|\bbattery\s+(?:swell|swollen|bulg)|\bsmoke\s+(?:came|coming)\b"
    r"|起火|着火|失火|冒烟|冒火|爆炸|自燃|漏电|触电|被电到|电到(?:我|手)|电击|烫伤|烧伤|"
    r"灼伤|受伤|割伤|划伤|夹伤|砸伤|噎住|噎到|窒息|卡喉|卡住喉咙|鼓包|短路|有毒|甲醛超标|"
    r"吃出了?(?:头发|虫|玻璃|铁丝|石头|塑料|钢丝)|异物|玻璃碴|玻璃渣",
    _I,
)
_MEDICAL_RE = re.compile(
    r"\ballerg(?:y|ies|ic)\b|\brash(?:es)?\b|\bhives\b|\bhospital(?:i[sz]ed)?\b"
    r"|\bemergency\s+room\b|(?-i:\bER\b)|\bdoctor\b|\bfood\s+poisoning\b|\bdiarrh?o?ea\b"
    r"|\bvomit(?:ed|ing|s)?\b|\bthrew\s+up\b|\bthrowing\s+up\b|\bsick\s+after\b"
    r"|\bstomach\s*(?:ache|pain|cramps?)\b|\bfever\b"
    r"|过敏|住院|医院|急诊|看医生|就医|腹泻|拉肚子|呕吐|食物中毒|中毒|发烧|红肿|起疹|皮疹"
    r"|湿疹|瘙痒|肚子疼|胃疼|肠胃炎",
    _I,
)
_VIOLENCE_RE = re.compile(
    r"\b(?:kill|murder|stab)\s+(?:you|the\s+(?:owner|seller|manager))\b"
    r"|\bbeat\s+(?:you|him|her|them)\s+up\b|\bI(?:'ll|\s+will)\s+(?:find|hurt|get)\s+you\b"
    r"|\b(?:burn|bomb|blow\s+up)\s+(?:down\s+)?(?:your|the)\s+(?:store|shop|office|warehouse|"
    r"house|place)\b|\bwatch\s+your\s+back\b|\byou(?:'re|\s+are)\s+dead\b"
    r"|(?:弄|砍|打|捅|杀)死(?:你|你们|他|老板|店主|客服)|杀了你|找人(?:弄|收拾|打)你|炸了你"
    r"|烧了你|要你好看|你给我等着|等着瞧|上门找你|人肉你",
    _I,
)
_SELF_HARM_RE = re.compile(
    r"\bsuicid|\bkill\s+myself\b|\bend\s+my\s+life\b|\bwant\s+to\s+die\b"
    r"|自杀|轻生|不想活",
    _I,
)
_LEGAL_RE = re.compile(
    r"\bsue\b|\bsuing\b|\blawsuit\b|\blawyers?\b|\battorneys?\b|\blegal\s+action\b"
    r"|\b(?:take|taking)\s+(?:you|them|this|it)\s+to\s+court\b|\bin\s+court\b|\bcourt\s+case\b"
    r"|\bsmall\s+claims\b|\bclass\s+action\b|\blitigation\b|\bsolicitor\b"
    r"|起诉|律师|法院|告你|打官司|诉讼|法律途径|法律责任|维权|报警|立案",
    _I,
)
_REGULATOR_RE = re.compile(
    r"(?<![0-9])12315(?![0-9])|消费者协会|消协|工商(?!银行)|市场监管|市场监督管理|质监局|"
    r"黑猫投诉|媒体曝光|曝光你"
    r"|\bconsumer\s+protection\b|(?-i:\bBBB\b|\bFTC\b)|\bBetter\s+Business\s+Bureau\b"
    r"|\battorney\s+general\b|\btrading\s+standards\b|\breport\s+(?:you|this|it)\s+to\b"
    r"|\bregulators?\b",
    _I,
)

_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))
_KANA = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9D))
_HANGUL = ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))
_SCRIPT_LANG = {"han": "zh", "kana": "ja", "hangul": "ko", "latin": "en"}
_SEGMENT_RE = re.compile(r"[^。！？!?\n]+")
# A foreign passage: this many Latin (or other alphabetic) words, or CJK characters.
_FOREIGN_WORDS = 5
_FOREIGN_CJK = 6


# -- language --------------------------------------------------------------------------


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= cp <= b for a, b in ranges)


def _script_scores(text: str) -> dict[str, int]:
    """Han/kana/Hangul characters, and Latin/other alphabetic words.

    A CJK character carries about as much as a Latin word, so characters are
    weighed against words: "这个iPhone壳很好用" is Chinese, "I love my 小米" English.
    """
    scores = {"han": 0, "kana": 0, "hangul": 0, "latin": 0, "other": 0}
    prev = ""
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            script = "latin" if ch.isalpha() else ""
        elif _in(cp, _HAN):
            script = "han"
        elif _in(cp, _KANA):
            script = "kana"
        elif _in(cp, _HANGUL):
            script = "hangul"
        elif ch.isalpha():
            script = "latin" if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF else "other"
        else:
            script = ""
        if script in ("latin", "other"):
            if prev != script:
                scores[script] += 1
        elif script:
            scores[script] += 1
        prev = script
    return scores


def _dominant(text: str) -> str | None:
    s = _script_scores(text)
    # Japanese writes with kanji too; any real share of kana makes it Japanese.
    if s["kana"] >= 2 and s["kana"] * 10 >= s["han"] + s["kana"]:
        s["kana"] += s["han"]
        s["han"] = 0
    best = max(s, key=lambda k: s[k])
    return best if s[best] > 0 else None


def _for_language(text: str) -> str:
    # Links, addresses and redaction placeholders ("[PHONE_1]") are Latin
    # whatever the language around them.
    text = _PLACEHOLDER_RE.sub(" ", unicodedata.normalize("NFKC", text))
    return _URL_RE.sub(" ", _email_free(text))


def _email_free(text: str) -> str:
    spans = find_emails(text)
    for s in reversed(spans):
        text = text[: s.start] + " " + text[s.end :]
    return text


def detect_language(text: str) -> str:
    """"zh", "ja", "ko", "en" (any Latin-script language) or "und", by script.

    Chinese is told from Japanese by kana, so a Japanese text written only in
    kanji reads as "zh"; text with no letters (emoji, digits) is "und".
    """
    script = _dominant(_for_language(text))
    return _SCRIPT_LANG.get(script, "und") if script else "und"


# -- reply checks ----------------------------------------------------------------------


def _prepare(text: str) -> str:
    """NFKC with invisible characters removed: what the patterns are matched on."""
    text, _ = strip_invisible(unicodedata.normalize("NFKC", text))
    return text


def _url_host_path(url: str) -> tuple[str, str] | None:
    u = url if _HAS_SCHEME_RE.match(url) else "http://" + url
    try:
        parts = urlsplit(u)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if host.startswith("www."):
        host = host[4:]
    return host, parts.path.rstrip("/")


def _url_allowed(url: str, allowed: Sequence[str]) -> bool:
    found = _url_host_path(url)
    if found is None or not found[0]:
        return False
    host, path = found
    for entry in allowed:
        ok = _url_host_path(entry.strip())
        if ok is None:
            continue
        a_host, a_path = ok
        # Hosts compare exactly: "shop.example.com.evil.io" and
        # "shop.example.com@evil.io" are other hosts.
        if host == a_host and (not a_path or path == a_path or path.startswith(a_path + "/")):
            return True
    return False


def _find_urls(text: str) -> list[str]:
    # Links with a scheme first, on the text as written: in
    # "https://shop.example.com@evil.io" the part after "//" is not an e-mail.
    urls = [m.group() for m in _SCHEME_URL_RE.finditer(text)]
    rest = _email_free(_SCHEME_URL_RE.sub(" ", text))
    rest = _DOT_WORDS_RE.sub(".", rest)
    urls += [m.group() for m in _URL_RE.finditer(rest)]
    return [u for u in (url.rstrip(_TRAILING_PUNCT) for url in urls) if u]


def _phone_digits(s: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", s) if ch.isdigit())


def _phone_allowed(phone: str, allowed: Sequence[str]) -> bool:
    d = _phone_digits(phone)
    for entry in allowed:
        a = _phone_digits(entry)
        short, long_ = sorted((a, d), key=len)
        # "+86 400-820-8820" and "4008208820" are the same number: compare the
        # national part (a suffix of at least 7 digits).
        if len(short) >= 7 and long_.endswith(short):
            return True
    return False


def _is_code(token: str, brand: str | None) -> bool:
    if brand and token.casefold() == brand.casefold():
        return False
    has_digit = any(c.isdigit() for c in token)
    has_alpha = any(c.isalpha() for c in token)
    # "use the code below", "code of conduct": a code is shouted or has digits.
    return (has_digit and has_alpha) or (has_alpha and token.isupper() and len(token) >= 4) or (
        has_digit and len(token) >= 4
    )


def _find_codes(text: str, brand: str | None) -> list[str]:
    codes = [m.group(1) for m in _CODE_EN_RE.finditer(text) if _is_code(m.group(1), brand)]
    codes += [m.group(1) for m in _CODE_ZH_RE.finditer(text)
              if brand is None or m.group(1).casefold() != brand.casefold()]
    return list(dict.fromkeys(codes))


def _negated(text: str, start: int, match: str) -> bool:
    """A negation in the same clause just before the match, or inside it."""
    lo = max(0, start - 40)
    before = text[lo:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end() :]
    return bool(_NEGATION_RE.search(before) or _NEGATION_IN_MATCH_RE.search(match))


def _promises(rx: re.Pattern[str], text: str) -> list[str]:
    return [m.group() for m in rx.finditer(text) if not _negated(text, m.start(), m.group())]


def _foreign_passage(reply: str, review_script: str) -> str | None:
    """A sentence of some size in another script than the review's."""
    for m in _SEGMENT_RE.finditer(reply):
        seg = m.group()
        s = _script_scores(seg)
        script = _dominant(seg)
        if script is None or script == review_script:
            continue
        cjk = s["han"] + s["kana"] + s["hangul"]
        if (script in ("latin", "other") and s[script] >= _FOREIGN_WORDS) or (
            script in ("han", "kana", "hangul") and cjk >= _FOREIGN_CJK
        ):
            return seg.strip()
    return None


def _short(s: str, n: int = 80) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


_HIJACK_CHECKS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("reply_instruction_echo", _INSTRUCTION_RE, "reply repeats prompt instructions"),
    ("reply_instruction_echo", _PERSONA_RE, "reply announces a different persona or mode"),
    ("reply_system_prompt_leak", _LEAK_RE, "reply talks about its instructions or being an AI"),
    ("reply_role_marker", _ROLE_RE, "reply contains a role marker"),
    ("reply_markup", _MARKUP_RE, "reply contains HTML, markdown link or template markup"),
)


def check_reply(
    reply: str,
    *,
    review: str,
    policy: ReplyPolicy,
    canaries: Sequence[str] = (),
) -> ReplyCheck:
    """Check a generated reply before it is shown or posted.

    Args:
        reply: the reply text (with any redaction placeholders already restored,
            so a customer's phone number in it is seen).
        review: the review the reply answers (its language is the expected one).
        policy: what the shop allows.
        canaries: strings that must never appear in a reply, e.g. distinctive
            lines of the system prompt; finding one is a system-prompt leak.

    Returns:
        ``ok`` when no problem was found in the reply; ``needs_human_review`` also
        when ``review_flags(review)`` found something; ``reasons`` lists both.
    """
    found: list[tuple[str, str]] = []
    text = _prepare(reply)

    if not text.strip():
        found.append(("reply_empty", "reply is empty"))

    for url in _find_urls(text):
        if not _url_allowed(url, policy.allowed_urls):
            found.append(("reply_url",
                          f"reply contains a URL not in the shop's configuration: {url}"))
    allowed_emails = {e.strip().casefold() for e in policy.allowed_emails}
    for s in find_emails(text):
        if s.value.casefold() not in allowed_emails:
            found.append(("reply_email",
                          f"reply contains an e-mail address not in the shop's configuration: "
                          f"{s.value}"))
    for s in find_phones(text):
        if not _phone_allowed(s.value, policy.allowed_phones):
            found.append(("reply_phone",
                          f"reply contains a phone number not in the shop's configuration: "
                          f"{s.value}"))
    for s in [*find_cn_ids(text), *find_bank_cards(text)]:
        what = "an ID number" if s.kind == "cn_id" else "a bank card number"
        found.append(("reply_personal_data", f"reply contains {what}"))
    for m in _PLACEHOLDER_RE.finditer(text):
        # The model echoed a redacted value: restored it would publish the
        # customer's data, unrestored it is gibberish to the reader.
        found.append(("reply_personal_data",
                      f"reply contains a redaction placeholder: {m.group()}"))
    allowed_codes = {c.strip().casefold() for c in policy.allowed_codes}
    for code in _find_codes(text, policy.brand_name):
        if code.casefold() not in allowed_codes:
            found.append(("reply_discount_code",
                          f"reply contains a discount code not in the shop's configuration: "
                          f"{code}"))
    if not policy.allow_refund_promises:
        for p in _promises(_REFUND_RE, text):
            found.append(("reply_refund_promise", f"reply promises a refund: {_short(p)!r}"))
    if not policy.allow_compensation_promises:
        for p in _promises(_COMPENSATION_RE, text):
            found.append(("reply_compensation_promise",
                          f"reply promises compensation: {_short(p)!r}"))
    for reason, rx, what in _HIJACK_CHECKS:
        hit = rx.search(text)
        if hit:
            found.append((reason, f"{what}: {_short(hit.group())!r}"))
    for canary in canaries:
        if canary and (canary in reply or unicodedata.normalize("NFKC", canary) in text):
            found.append(("reply_system_prompt_leak", "reply contains text of the system prompt"))
            break
    wrong = _wrong_language(text, review, policy.brand_name)
    if wrong:
        found.append(("reply_wrong_language", wrong))

    problems = list(dict.fromkeys(msg for _, msg in found))
    reply_reasons = [r for r in REPLY_REASONS if any(r == k for k, _ in found)]
    flags = review_flags(review)
    reasons = list(dict.fromkeys([*reply_reasons, *flags]))
    return ReplyCheck(
        ok=not found,
        problems=problems,
        needs_human_review=bool(found) or bool(flags),
        reasons=reasons,
    )


def _wrong_language(text: str, review: str, brand: str | None) -> str | None:
    review_script = _dominant(_for_language(review))
    if review_script is None:
        return None
    body = _for_language(text)
    if brand:
        body = re.sub(re.escape(unicodedata.normalize("NFKC", brand)), " ", body, flags=_I)
    reply_script = _dominant(body)
    expected = _SCRIPT_LANG.get(review_script, "und")
    if reply_script is not None and reply_script != review_script:
        got = _SCRIPT_LANG.get(reply_script, "und")
        return f"reply is in another language ({got}) than the review ({expected})"
    passage = _foreign_passage(body, review_script)
    if passage is not None:
        return f"reply contains a passage in another language than the review ({expected}): " \
               f"{_short(passage)!r}"
    return None


# -- review flags ----------------------------------------------------------------------


def review_flags(review: str) -> list[str]:
    """Reasons a person should handle this review whatever the reply says.

    Short stable codes from ``REVIEW_REASONS``, in that order.
    """
    text = _prepare(review)
    flags: list[str] = []
    if _INSTRUCTION_RE.search(text) or _ROLE_RE.search(text) or _PROMPT_TALK_RE.search(text):
        flags.append("prompt_injection")
    if _VIOLENCE_RE.search(text):
        flags.append("violence_threat")
    if _SELF_HARM_RE.search(text):
        flags.append("self_harm")
    if _LEGAL_RE.search(text):
        flags.append("legal_threat")
    if _REGULATOR_RE.search(text):
        flags.append("regulator_complaint")
    if _SAFETY_RE.search(text):
        flags.append("safety_claim")
    if _MEDICAL_RE.search(text):
        flags.append("medical_issue")
    if find_cn_ids(text) or find_bank_cards(text) or find_phones(text) or find_emails(text):
        flags.append("personal_data")
    return flags
