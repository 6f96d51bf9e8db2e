"""Quote grounding: is a quote the model attributes to the reviewer really in the review?

Defends against: invented or paraphrased "quotes" (a hallucination the shop
would otherwise publish or act on), and quotes that only differ from the
review in ways the model cannot help: full-width vs half-width forms (NFKC),
letter case, re-spacing (whitespace runs, spaces next to CJK characters), curly
vs straight quotes and dashes, CJK vs ASCII commas and full stops, and
quotation marks or punctuation the model wrapped around the quote. A match
is mapped back to the exact characters of the original review, which is what
callers should report.

Does not defend against: a quote that is verbatim but out of context (a
sentence from a different complaint), quotes joined with "..." across a gap
(not found), or accent-insensitive matching ("cafe" does not match "café").
Single characters are accepted as quotes when they occur.
"""

from __future__ import annotations

import unicodedata
from array import array
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

__all__ = ["find_quote", "is_grounded", "normalize_for_match", "quote_span"]

# Punctuation models swap freely when copying: folded to one form for matching.
_PUNCT_FOLD = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "〝": '"', "〞": '"',
    "〟": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "，": ",", "、": ",", "。": ".", "｡": ".",
})
# Characters the reviewer cannot see: ignored on both sides.
_IGNORABLE = frozenset(
    "\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
    "\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d"
    "\ufe0e\ufe0f"
)
_STRIP_EXTRA = frozenset("`~*")
_QUOTE_MARKS = frozenset("\"'`*「」『』〝〞〟＂＇《》")


@lru_cache(maxsize=8192)
def _norm_char(ch: str) -> str:
    """NFKD (so composed and decomposed accents agree), case folded, punctuation folded."""
    if ch in _IGNORABLE:
        return ""
    s = unicodedata.normalize("NFKD", ch).casefold()
    # casefold can leave a composed form ("ǰ" -> "ǰ"); decompose again to be sure.
    return unicodedata.normalize("NFKD", s).translate(_PUNCT_FOLD)


def _is_cjk(ch: str) -> bool:
    # Han, kana, CJK punctuation and full-width forms: languages written
    # without spaces, where a space carries no meaning. Hangul is not here:
    # Korean separates words with spaces.
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x30FF
        or 0x31C0 <= cp <= 0x9FFF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3FFFF
    )


class _Index(NamedTuple):
    norm: str
    #: origin[k]: index in the original text of the character norm[k] came from
    origin: array[int]
    #: starts[k]: norm[k] is the first (visible) character its original char produced
    starts: bytearray
    #: ends[k]: norm[k] is the last (visible) character its original char produced
    ends: bytearray


def _build(text: str) -> _Index:
    out: list[str] = []
    # Indexes are cached per review: 4 bytes each in an array, ~10x that in a list.
    origin = array("i")
    starts = bytearray()
    ends = bytearray()
    pending_space = -1
    for i, ch in enumerate(text):
        last = -1
        for c in _norm_char(ch):
            if c.isspace():
                if pending_space < 0:
                    pending_space = i
                continue
            if pending_space >= 0:
                # Runs of whitespace count as one space, and as none next to
                # CJK text, where models add or drop spaces at will.
                if out and not (_is_cjk(out[-1]) or _is_cjk(c)):
                    out.append(" ")
                    origin.append(pending_space)
                    starts.append(0)
                    ends.append(0)
                pending_space = -1
            out.append(c)
            origin.append(i)
            starts.append(1 if last < 0 else 0)
            ends.append(0)
            last = len(out) - 1
        if last >= 0:
            ends[last] = 1
    return _Index("".join(out), origin, starts, ends)


@lru_cache(maxsize=32)
def _index(review: str) -> _Index:
    # Several quotes are checked against the same review; build its map once.
    return _build(review)


def normalize_for_match(text: str) -> str:
    """The form quotes and reviews are compared in (NFKD, case folded, spaces folded)."""
    return _build(text).norm


def _search(review: str, quote: str) -> tuple[int, int] | None:
    needle = _build(quote).norm
    if not needle:
        return None
    idx = _index(review)
    last = len(needle) - 1
    pos = idx.norm.find(needle)
    while pos >= 0:
        # A match must cover whole original characters: "s" does not match
        # half of "ß" (-> "ss"), nor "i" half of the ligature "ﬁ".
        if idx.starts[pos] and idx.ends[pos + last]:
            return idx.origin[pos], idx.origin[pos + last] + 1
        pos = idx.norm.find(needle, pos + 1)
    return None


def _is_quote_mark(ch: str) -> bool:
    return ch in _QUOTE_MARKS or unicodedata.category(ch) in ("Pi", "Pf")


def _is_wrapping(ch: str) -> bool:
    return (
        ch.isspace()
        or ch in _STRIP_EXTRA
        or ch in _IGNORABLE
        or unicodedata.category(ch).startswith("P")
    )


def _strip(quote: str, strip: Callable[[str], bool]) -> str:
    start, end = 0, len(quote)
    while start < end and (strip(quote[start]) or quote[start].isspace()):
        start += 1
    while end > start and (strip(quote[end - 1]) or quote[end - 1].isspace()):
        end -= 1
    return quote[start:end]


def quote_span(review: str, quote: str) -> tuple[int, int] | None:
    """``(start, end)`` of the first place in ``review`` that ``quote`` matches, or None."""
    q = quote.strip()
    if not q:
        return None
    # The common case, a quote copied exactly, needs no normalized index.
    pos = review.find(q)
    if pos >= 0:
        return pos, pos + len(q)
    # Models wrap quotes in “…” or **…** and add a final "。": try the quote as
    # given, then without quotation marks (keeping "!!" the reviewer wrote),
    # then without any surrounding punctuation. As given comes first, so a
    # quote that is all punctuation ("!!!") can still match.
    tried = set()
    for candidate in (q, _strip(q, _is_quote_mark), _strip(q, _is_wrapping)):
        if candidate and candidate not in tried:
            tried.add(candidate)
            span = _search(review, candidate)
            if span is not None:
                return span
    return None


def find_quote(review: str, quote: str) -> str | None:
    """The exact text of ``review`` that ``quote`` matches, or None if it is not there.

    Matching ignores case, full-/half-width and spacing differences and quotation
    marks around the quote; the result is always a substring of ``review``.
    """
    span = quote_span(review, quote)
    return None if span is None else review[span[0] : span[1]]


def is_grounded(review: str, quote: str) -> bool:
    """Whether ``quote`` occurs in ``review`` (in the sense of ``find_quote``)."""
    return quote_span(review, quote) is not None
