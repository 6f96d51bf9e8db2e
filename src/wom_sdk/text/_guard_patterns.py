"""The word lists and patterns behind ``_guard``, apart so the logic stays readable.

Tuned for precision on everyday reviews; ``tests/unit/test_guard.py`` pins both
the phrases that must fire and the ones that must not.
"""

from __future__ import annotations

import re

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

_SCRIPT_LANG = {"han": "zh", "kana": "ja", "hangul": "ko", "latin": "en"}
_SEGMENT_RE = re.compile(r"[^。！？!?\n]+")
# A foreign passage: this many Latin (or other alphabetic) words, or CJK characters.
_FOREIGN_WORDS = 5
_FOREIGN_CJK = 6
