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

from .._constants import UNKNOWN_LANGUAGE
from ._clean import strip_invisible
from ._guard_patterns import (
    _CLAUSE_BREAK,
    _CODE_EN_RE,
    _CODE_ZH_RE,
    _COMPENSATION_RE,
    _DOT_WORDS_RE,
    _FOREIGN_CJK,
    _FOREIGN_WORDS,
    _HAS_SCHEME_RE,
    _I,
    _INSTRUCTION_RE,
    _LEAK_RE,
    _LEGAL_RE,
    _MARKUP_RE,
    _MEDICAL_RE,
    _NEGATION_IN_MATCH_RE,
    _NEGATION_RE,
    _PERSONA_RE,
    _PLACEHOLDER_RE,
    _PROMPT_TALK_RE,
    _REFUND_RE,
    _REGULATOR_RE,
    _ROLE_RE,
    _SAFETY_RE,
    _SCHEME_URL_RE,
    _SCRIPT_LANG,
    _SEGMENT_RE,
    _SELF_HARM_RE,
    _TRAILING_PUNCT,
    _URL_RE,
    _VIOLENCE_RE,
)
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



# -- language --------------------------------------------------------------------------


_HAN_RX = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA_RX = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL_RX = re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LATIN_CHARS = "A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN_WORD_RX = re.compile(f"[{_LATIN_CHARS}]+")
_CLASSIFIED_RX = re.compile(
    f"[{_LATIN_CHARS}\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+"
)
_LETTER_RUN_RX = re.compile(r"[^\W\d_]+")


def _script_scores(text: str) -> dict[str, int]:
    """Han/kana/Hangul characters, and Latin/other alphabetic words.

    A CJK character carries about as much as a Latin word, so characters are
    weighed against words: "这个iPhone壳很好用" is Chinese, "I love my 小米" English.
    Regex counts, not a per-character loop: this runs on every review and reply.
    """
    latin = len(_LATIN_WORD_RX.findall(text))
    if text.isascii():
        return {"han": 0, "kana": 0, "hangul": 0, "latin": latin, "other": 0}
    return {
        "han": len(_HAN_RX.findall(text)),
        "kana": len(_KANA_RX.findall(text)),
        "hangul": len(_HANGUL_RX.findall(text)),
        "latin": latin,
        # letters of any other alphabet (Cyrillic, Arabic, ...), counted as words
        "other": len(_LETTER_RUN_RX.findall(_CLASSIFIED_RX.sub(" ", text))),
    }


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
    return _SCRIPT_LANG.get(script, UNKNOWN_LANGUAGE) if script else UNKNOWN_LANGUAGE


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
    elif not any(ch.isalpha() for ch in text):
        # "1.0", "}}," or "!!!": what a broken model writes, not a reply.
        found.append(("reply_empty", f"reply has no words: {_short(text)!r}"))

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
    expected = _SCRIPT_LANG.get(review_script, UNKNOWN_LANGUAGE)
    if reply_script is not None and reply_script != review_script:
        got = _SCRIPT_LANG.get(reply_script, UNKNOWN_LANGUAGE)
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
    found: dict[str, object] = {
        "prompt_injection": _INSTRUCTION_RE.search(text) or _ROLE_RE.search(text)
        or _PROMPT_TALK_RE.search(text),
        "violence_threat": _VIOLENCE_RE.search(text),
        "self_harm": _SELF_HARM_RE.search(text),
        "legal_threat": _LEGAL_RE.search(text),
        "regulator_complaint": _REGULATOR_RE.search(text),
        "safety_claim": _SAFETY_RE.search(text),
        "medical_issue": _MEDICAL_RE.search(text),
        "personal_data": find_cn_ids(text) or find_bank_cards(text) or find_phones(text)
        or find_emails(text),
    }
    return [reason for reason in REVIEW_REASONS if found[reason]]
