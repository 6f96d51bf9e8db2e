"""Normalizing short terms (aspects, language tags) so that spelling variants count as one.

Used by the report (grouping complaint aspects into themes) and by the
evaluation (matching predicted aspect terms to gold ones), so that both agree
on what "the same aspect" means.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .._constants import UNKNOWN_LANGUAGE

__all__ = ["normalize_match_text", "normalize_term", "primary_language"]

#: Said by report files written before "und" was the one spelling.
_OLD_UNKNOWN = frozenset({"unknown"})

# Words that end in "s" in the singular; stripping would mangle them.
_NOT_PLURAL = frozenset({"news", "series", "species", "glasses", "gas", "bus", "lens"})


@lru_cache(maxsize=65536)
def normalize_term(term: str) -> str:
    """Lowercase, NFKC (full-width -> half-width), punctuation and extra spaces removed,
    simple English plural stripped: ``"  Ｂａｔｔｅｒｉｅｓ!"`` -> ``"battery"``.

    Spaces are kept only between two Latin/digit words (``"battery life"``);
    between CJK characters they are dropped (``"电池 续航"`` -> ``"电池续航"``),
    because Chinese does not separate words and reviewers space at random.
    """
    text = unicodedata.normalize("NFKC", term).casefold()
    # Punctuation and symbols become word breaks: "battery-life" == "battery life".
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text)
    words = [_singular(w) for w in text.split()]
    out: list[str] = []
    for word in words:
        if out and out[-1][-1].isascii() and word[0].isascii():
            out.append(" ")
        out.append(word)
    return "".join(out)


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.isascii() or not word.isalpha() or word in _NOT_PLURAL:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalize_match_text(text: str) -> str:
    """NFKC and all whitespace removed: for checking that a quote is verbatim.

    Whitespace is dropped entirely (not collapsed) because models re-space
    quotes, especially around CJK punctuation, without changing the words.
    """
    return "".join(unicodedata.normalize("NFKC", text).split())


def primary_language(tag: str | None) -> str:
    """The primary subtag of a language tag, lowercase: ``"en-US"`` / ``"EN_us"`` -> ``"en"``.

    Empty, missing or ``"unknown"`` (older result files) -> ``UNKNOWN_LANGUAGE`` ("und").
    """
    code = (tag or "").strip().lower().replace("_", "-").split("-")[0]
    return UNKNOWN_LANGUAGE if not code or code in _OLD_UNKNOWN else code
