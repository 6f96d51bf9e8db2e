"""Private-data redaction: identifiers are replaced by placeholders before a review
leaves the machine, and can be put back into the model's answer afterwards.

Defends against: sending a customer's e-mail address, phone number, Chinese
resident ID number, bank card number or (when a pattern is configured) order
number to a third-party model endpoint, and a model repeating them in a public
reply. Detection also works on full-width digits and letters
(``１３８ ００１３ ８０００``, ``ｆｏｏ＠ｑｑ．ｃｏｍ``), which Chinese keyboards produce.

Does not defend against: names, postal addresses, usernames, photos, or numbers
written out in words or Chinese numerals (``幺三八…``, ``壹叁捌…``); spellings
meant to evade a filter (``foo at qq dot com``, digits split by other
characters); national phone formats without ``+`` other than mainland China's
and North America's; 15-digit (pre-2004) ID numbers. About one in ten random
13-19 digit numbers passes the Luhn check, so order and tracking numbers can
be redacted as ``bank_card`` unless an ``order_number_pattern`` claims them
first. Redaction is best effort: treat it as reducing exposure, not as
anonymization.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .._exceptions import ConfigurationError

__all__ = [
    "ALL_KINDS",
    "KIND_ORDER",
    "Redacted",
    "Redactor",
    "Span",
    "cn_id_ok",
    "find_bank_cards",
    "find_cn_ids",
    "find_emails",
    "find_identifiers",
    "find_phones",
    "luhn_ok",
]

#: Every kind of identifier the redactor knows, in the order overlaps are settled
#: (phones written with "+" go right after order numbers): an earlier kind wins
#: a span, so an ID number is never also reported as a phone.
KIND_ORDER: tuple[str, ...] = ("email", "order_number", "cn_id", "bank_card", "phone")
ALL_KINDS: frozenset[str] = frozenset(KIND_ORDER)

# Full-width forms (U+FF01..FF5E), the ideographic space and Unicode dashes are
# folded to ASCII one character for one character, so offsets found in the
# folded text are offsets in the original.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20})
_FOLD.update(dict.fromkeys((0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212), 0x2D))

# Every pattern is linear: character classes, bounded repeats, possessive
# quantifiers where repeats could split a run of digits in many ways, and
# lookbehinds so a match is only tried at the start of a token.
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9._%+\-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}"
    r"[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9])"
)
_CN_MOBILE_RE = re.compile(
    r"(?<![0-9])"
    r"(?:(?:\+|00)?86[ \-]?|\(\+?86\)[ \-]?)?"
    r"1[3-9][0-9](?:[ \-]?[0-9]{4}){2}"
    r"(?![0-9])"
)
_CN_LANDLINE_RE = re.compile(
    r"(?<![0-9])"
    r"(?:\(0(?:10|2[0-9]|[3-9][0-9]{2})\)|0(?:10|2[0-9]|[3-9][0-9]{2}))[ \-]?"
    r"[1-9][0-9]{6,7}"
    r"(?![0-9])"
)
# 400/800 service numbers: a customer rarely posts one, a hijacked reply might.
_CN_SERVICE_RE = re.compile(r"(?<![0-9])[48]00[ \-]?[0-9]{3}[ \-]?[0-9]{4}(?![0-9])")
_INTL_RE = re.compile(r"(?<![0-9A-Za-z+])\+(?:[ .\-]?\(?[0-9]++\)?){1,8}+")
_NANP_RE = re.compile(
    r"(?<![0-9])"
    r"(?:\([2-9][0-9]{2}\)[ .\-]?|[2-9][0-9]{2}[ .\-])[0-9]{3}[ .\-][0-9]{4}"
    r"(?![0-9])"
)
_CN_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"([1-9][0-9]{5}) ?((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))"
    r" ?([0-9]{3}[0-9Xx])"
    r"(?![0-9A-Za-z])"
)
# A card is either one run of 13-19 digits or printed in groups (4-4-4-4[-3],
# Amex 4-6-5); "digit-dash" before it means it is the tail of a longer code
# such as a Pinduoduo order number "240501-123456789012345".
_CARD_PLAIN_RE = re.compile(r"(?<![0-9A-Za-z])(?<![0-9]\-)[0-9]{13,19}(?![0-9A-Za-z])")
_CARD_GROUPED_RE = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9]\-)"
    r"(?:[0-9]{4}(?:[ \-][0-9]{4}){2,3}(?:[ \-][0-9]{1,4})?|[0-9]{4}[ \-][0-9]{6}[ \-][0-9]{4,5})"
    r"(?![0-9A-Za-z])"
)
_DIGITS_RE = re.compile(r"[0-9]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class Span(NamedTuple):
    """One identifier found in a text: ``text[start:end] == value``."""

    kind: str
    start: int
    end: int
    value: str


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def cn_id_ok(number: str) -> bool:
    """An 18-character resident ID: a real birth date and the ISO 7064 MOD 11-2 check."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1880:
        return False
    s = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[s % 11] == number[17].upper()


def _digits(s: str) -> str:
    return "".join(_DIGITS_RE.findall(s))


def _spans(kind: str, text: str, found: list[tuple[int, int]]) -> list[Span]:
    return [Span(kind, a, b, text[a:b]) for a, b in found]


def find_emails(text: str) -> list[Span]:
    """E-mail addresses (ASCII; full-width ``＠`` and letters are folded first)."""
    folded = text.translate(_FOLD)
    return _spans("email", text, [m.span() for m in _EMAIL_RE.finditer(folded)])


def find_phones(text: str) -> list[Span]:
    """Phone numbers: mainland mobiles and landlines, 400/800, ``+`` international, NANP.

    Overlapping candidates from different formats are settled earliest-then-longest,
    so ``+86 138 0013 8000`` is one number.
    """
    folded = text.translate(_FOLD)
    found: list[tuple[int, int]] = []
    for rx in (_CN_MOBILE_RE, _CN_LANDLINE_RE, _CN_SERVICE_RE, _NANP_RE):
        found.extend(m.span() for m in rx.finditer(folded))
    for m in _INTL_RE.finditer(folded):
        # The international form is loose on purpose; the digit count (E.164
        # allows at most 15) is what keeps "+5 stars" and "+199 +299" out.
        if 8 <= len(_digits(m.group())) <= 15:
            found.append(m.span())
    return _spans("phone", text, _non_overlapping(found))


def find_cn_ids(text: str) -> list[Span]:
    """18-character Chinese resident ID numbers with a valid date and check digit."""
    folded = text.translate(_FOLD)
    found = [
        m.span()
        for m in _CN_ID_RE.finditer(folded)
        if cn_id_ok(m.group(1) + m.group(2) + m.group(3))
    ]
    return _spans("cn_id", text, found)


def find_bank_cards(text: str) -> list[Span]:
    """13-19 digit card numbers, plain or grouped, that pass the Luhn check."""
    folded = text.translate(_FOLD)
    found: list[tuple[int, int]] = []
    for m in _CARD_PLAIN_RE.finditer(folded):
        digits = m.group()
        # Timestamps and date-prefixed order numbers ("20240501...") are the
        # commonest long numbers in reviews; no card network issues numbers
        # starting with 19 or 20, so a leading date is never a card.
        if _starts_with_date(digits):
            continue
        if luhn_ok(digits):
            found.append(m.span())
    for m in _CARD_GROUPED_RE.finditer(folded):
        start, end = m.span()
        value = m.group()
        digits = _digits(value)
        if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
            # "6222 0212 3456 7890 2 pcs": the trailing short group may be a
            # quantity, not part of the card; try without it.
            cut = max(value.rfind(" "), value.rfind("-"))
            if len(_digits(value[:cut])) < 13 or not luhn_ok(_digits(value[:cut])):
                continue
            end = start + cut
        found.append((start, end))
    return _spans("bank_card", text, _non_overlapping(found))


def _starts_with_date(digits: str) -> bool:
    if digits[:2] not in ("19", "20"):
        return False
    try:
        datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return True


def _find_pattern(kind: str, pattern: re.Pattern[str], text: str) -> list[Span]:
    found: list[tuple[int, int]] = []
    for m in pattern.finditer(text):
        # With a group the pattern can give context ("订单号[:：]?(\d{18})") while
        # only the number itself is redacted.
        a, b = m.span(1) if pattern.groups else m.span()
        if b > a:
            found.append((a, b))
    return _spans(kind, text, _non_overlapping(found))


def _non_overlapping(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Earliest first, then longest; drop anything overlapping a kept span."""
    kept: list[tuple[int, int]] = []
    last_end = -1
    for a, b in sorted(found, key=lambda s: (s[0], -s[1])):
        if a >= last_end:
            kept.append((a, b))
            last_end = b
    return kept


def find_identifiers(
    text: str,
    kinds: frozenset[str] = ALL_KINDS,
    *,
    order_number: re.Pattern[str] | None = None,
) -> list[Span]:
    """All identifiers of the given kinds, non-overlapping, in text order.

    Kinds are tried in ``KIND_ORDER`` (phones with a country code right after
    order numbers); a span already taken is not reported again under a later kind.
    """
    phones = find_phones(text) if "phone" in kinds else []
    passes = [
        find_emails(text) if "email" in kinds else [],
        _find_pattern("order_number", order_number, text)
        if order_number is not None and "order_number" in kinds else [],
        # A number written with its country code ("+1 1234 5678 9012 34",
        # "8613800138000") is a phone even when its digits would pass as a card.
        [p for p in phones if p.value.translate(_FOLD).lstrip("(").startswith(("+", "00", "86"))],
        find_cn_ids(text) if "cn_id" in kinds else [],
        find_bank_cards(text) if "bank_card" in kinds else [],
        phones,
    ]
    taken = bytearray(len(text))
    result: list[Span] = []
    for spans in passes:
        for s in spans:
            if not any(taken[s.start : s.end]):
                taken[s.start : s.end] = b"\x01" * (s.end - s.start)
                result.append(s)
    result.sort(key=lambda s: s.start)
    return result


@dataclass(frozen=True)
class Redacted:
    """A text with identifiers replaced by placeholders, and the way back."""

    #: the text with placeholders such as ``[PHONE_1]``
    text: str
    #: placeholder -> original value
    mapping: dict[str, str] = field(default_factory=dict)
    #: kind -> number of occurrences replaced (only kinds that occurred)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many occurrences were replaced."""
        return sum(self.counts.values())

    def restore(self, s: str) -> str:
        """Put the original values back wherever a placeholder appears in ``s``.

        One pass, so a restored value that happens to look like a placeholder is
        never replaced again.
        """
        if not self.mapping:
            return s
        # Longest first so "[PHONE_10]" is not read as "[PHONE_1]" + "0]" (the
        # brackets already prevent it; this keeps it true for any suffix form).
        keys = sorted(self.mapping, key=len, reverse=True)
        pattern = re.compile("|".join(re.escape(k) for k in keys))
        return pattern.sub(lambda m: self.mapping[m.group()], s)


class Redactor:
    """Replaces identifiers with numbered placeholders.

    Args:
        order_number_pattern: a regular expression for the shop's order numbers,
            e.g. ``r"\\d{18,19}"`` or ``r"订单号[:：]?\\s*(\\d{18})"`` (with a group,
            only the group is redacted). It is matched against the text as
            written (not folded to half-width). Order numbers are only redacted
            when it is given, and it wins over the built-in numeric kinds.
        kinds: which kinds to redact; default all of ``ALL_KINDS``.
    """

    def __init__(
        self,
        *,
        order_number_pattern: str | None = None,
        kinds: frozenset[str] = ALL_KINDS,
    ) -> None:
        unknown = set(kinds) - ALL_KINDS
        if unknown:
            raise ConfigurationError(
                f"unknown redaction kind(s) {sorted(unknown)}; known: {sorted(ALL_KINDS)}"
            )
        self.kinds = frozenset(kinds)
        self._order: re.Pattern[str] | None = None
        if order_number_pattern is not None:
            try:
                self._order = re.compile(order_number_pattern)
            except re.error as e:
                raise ConfigurationError(
                    f"order_number_pattern is not a valid regular expression: {e}"
                ) from None

    def __repr__(self) -> str:
        pattern = self._order.pattern if self._order else None
        return f"Redactor(kinds={sorted(self.kinds)}, order_number_pattern={pattern!r})"

    def find(self, text: str) -> list[Span]:
        """The identifiers ``redact`` would replace."""
        return find_identifiers(text, self.kinds, order_number=self._order)

    def redact(self, text: str) -> Redacted:
        """Replace every identifier; the same value always gets the same placeholder."""
        spans = self.find(text)
        if not spans:
            return Redacted(text)
        # Number per kind in order of first appearance; identical values share one.
        labels: dict[tuple[str, str], tuple[str, int]] = {}
        per_kind: dict[str, int] = {}
        for s in spans:
            if (s.kind, s.value) not in labels:
                per_kind[s.kind] = per_kind.get(s.kind, 0) + 1
                labels[(s.kind, s.value)] = (s.kind.upper(), per_kind[s.kind])
        suffix = _free_suffix(text, labels.values())
        names = {key: f"[{label}_{n}{suffix}]" for key, (label, n) in labels.items()}

        parts: list[str] = []
        counts: dict[str, int] = {}
        pos = 0
        for s in spans:
            parts.append(text[pos : s.start])
            parts.append(names[(s.kind, s.value)])
            counts[s.kind] = counts.get(s.kind, 0) + 1
            pos = s.end
        parts.append(text[pos:])
        mapping = {names[key]: key[1] for key in labels}
        return Redacted("".join(parts), mapping, counts)


def _free_suffix(text: str, labels: Iterable[tuple[str, int]]) -> str:
    """A suffix that makes every placeholder absent from the original text.

    If the review already contains "[PHONE_1]", restoring would turn that literal
    text into a phone number; "[PHONE_1~1]" (or ~2, ...) avoids it. A placeholder
    holds exactly one "[" and one "]", at its ends, so it can only appear in the
    redacted text where we put it or where the original text already had it:
    checking the original text is enough. Terminates because the text can hold
    only finitely many of the candidates.
    """
    pairs = list(labels)
    n = 0
    while True:
        suffix = f"~{n}" if n else ""
        if not any(f"[{label}_{i}{suffix}]" in text for label, i in pairs):
            return suffix
        n += 1
