"""A product description drafted by a model from praised points, and checked before anyone sees it.

wom-sdk never writes reviews or testimonials. The model sees only the points
of ``highlights`` and their verbatim quotes (the ``draft`` task, ``prompts/
draft.jinja``), and what it writes is checked here, deterministically, one
sentence at a time:

1. **Supported.** A sentence's content terms (Chinese: character bigrams of
   each run of Han characters; other scripts: words, lower case, English plurals
   folded, a few function words ignored) must be at least ``SUPPORT_MIN``
   (half) terms of the points: their themes and quotes, the product's name, and
   a few words that attribute ("customers", "say", "用户", "称赞"). And at
   least one term must come from a point itself, so a sentence names something
   customers praised.
2. **No new numbers.** Every number in the sentence is in some quote (or in the
   product's name): "续航长达30小时" is refused when no customer said 30.
3. **Verbatim quotations.** Text in quotation marks (“…”, "…", 「…」, 『…』, ‘…’)
   must be verbatim text of a quote, as ``text._grounding`` matches quotes; a
   quotation mark without its pair fails too.

A sentence that fails is dropped with its reason. A draft with nothing left is
refused, and so is a draft in a customer's voice (**first person**: "I", "my",
"我", "本人"; or review phrases: "bought it", "5 stars", "买了", "回购"),
outside quotations: a draft that reads like a review is never shown, not even
in part. Like the reply guard this is word lists and patterns, a filter in front
of a person, not understanding: a paraphrased claim whose words all occur in
the quotes passes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._exceptions import OutputError
from ..text._grounding import is_grounded
from ..text._textnorm import normalize_term
from ._highlights import HighlightGroup, HighlightPoint

if TYPE_CHECKING:
    from .._client import ReviewAnalyzer

__all__ = ["SUPPORT_MIN", "Draft", "DraftCheck", "check_draft", "draft_description"]

#: Share of a sentence's content terms that must come from the points.
SUPPORT_MIN = 0.5
#: Points (most praised first) a draft is written from.
DEFAULT_DRAFT_POINTS = 5

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# After a sentence's final mark: a space (Latin) or nothing (CJK), or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_QUOTATION = re.compile(r"“([^”\n]*)”|\"([^\"\n]*)\"|「([^」\n]*)」|『([^』\n]*)』|‘([^’\n]*)’")
_QUOTE_MARKS = frozenset("“”\"「」『』‘")
# Words that carry no claim: neither support nor contradict the points.
_FUNCTION_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "for", "from", "has",
    "have", "is", "it", "its", "it's", "of", "on", "or", "our", "so", "than", "that", "the",
    "their", "there", "these", "this", "those", "to", "was", "were", "which", "while", "will",
    "with", "you", "your", "very", "also", "just", "all", "more", "most", "every", "each", "one",
    "这款", "这个", "一款", "非常", "十分", "特别", "真的", "而且",
    "并且", "以及", "还有", "同时", "我们", "您的", "让您",
})
# Words that attribute a claim to customers: a sentence may use them freely.
_ATTRIBUTION = frozenset({
    "customer", "buyer", "reviewer", "user", "shopper", "people", "say", "said", "praise",
    "mention", "describe", "call", "love",
    "顾客", "用户", "买家", "客户", "评价", "称赞", "提到", "表示", "认为", "都说", "好评",
})
_FIRST_PERSON = re.compile(
    r"(?<![A-Za-z])I(?:['’](?:m|ve|d|ll))?(?![A-Za-z])"
    r"|(?i:\b(?:me|my|mine|myself)\b)"
    r"|我(?!们)|本人|俺"
)
_REVIEW_PHRASES = re.compile(
    r"(?i:\b(?:five|5)[- ]stars?\b|\bbought (?:it|this|one|two)\b|\bwould (?:buy|order) "
    r"(?:it )?again\b)|买了|回购|收到了|给五星|五星好评"
)


@dataclass(frozen=True)
class DraftCheck:
    """The outcome of ``check_draft``."""

    #: sentences that passed, in order
    kept: tuple[str, ...]
    #: (sentence, why it was dropped)
    dropped: tuple[tuple[str, str], ...]
    #: why the whole draft is refused (None: not refused)
    refused: str | None


@dataclass(frozen=True)
class Draft:
    """A checked draft for one group of highlights (``text`` None when refused)."""

    group: str | None
    text: str | None
    language: str | None
    sentences: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]
    refused: str | None
    #: distinct reviews whose quotes the model was shown
    reviews: int

    @property
    def note(self) -> str:
        """The line that goes with the draft wherever it is shown."""
        note = (f"Drafted by a model from {self.reviews} real reviews (the quotes above); every "
                "sentence was checked against them. Not a customer review.")
        if self.language == "zh":
            note += f" 根据 {self.reviews} 条真实评价起草，每句均已与评价原文核对；并非顾客评价。"
        return note


def _terms(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    terms: set[str] = set()
    for run in _HAN.findall(folded):
        terms.update([run] if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
    for word in _WORD.findall(_HAN.sub(" ", folded)):
        if not word.isdigit():
            terms.add(normalize_term(word.replace("'", "")) or word)
    return terms - _FUNCTION_WORDS


def split_sentences(text: str) -> list[str]:
    """The description's sentences, each with its final mark."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _quotations(sentence: str) -> tuple[list[str], str]:
    """Quoted passages, and the sentence with them removed."""
    found = [next(g for g in m.groups() if g is not None) for m in _QUOTATION.finditer(sentence)]
    return found, _QUOTATION.sub(" ", sentence)


def _problem(sentence: str, points: Sequence[HighlightPoint], vocab: set[str],
             point_terms: set[str], numbers: set[str]) -> str | None:
    quoted, outside = _quotations(sentence)
    if _QUOTE_MARKS & set(outside):
        return "a quotation mark without its pair"
    for passage in quoted:
        if not any(is_grounded(q.text, passage) for p in points for q in p.quotes):
            return f"quotation “{passage}” is not verbatim text of any quote"
    for number in _NUMBER.findall(unicodedata.normalize("NFKC", sentence)):
        if number not in numbers:
            return f"the number {number} is in no quote"
    content = _terms(outside) | {t for passage in quoted for t in _terms(passage)}
    content -= _ATTRIBUTION
    if not content & point_terms:
        return "names no praised point"
    support = len(content & vocab) / len(content)
    if support < SUPPORT_MIN:
        return f"not supported by the points ({support:.0%} of its terms, {SUPPORT_MIN:.0%} needed)"
    return None


def check_draft(description: str, points: Sequence[HighlightPoint],
                product: str | None = None) -> DraftCheck:
    """Check a drafted description against the points it was drafted from (module docstring)."""
    sentences = split_sentences(description)
    for sentence in sentences:
        outside = _quotations(sentence)[1]
        voice = _FIRST_PERSON.search(outside) or _REVIEW_PHRASES.search(outside)
        if voice is not None:
            return DraftCheck((), (), f"the draft reads as a customer review ({voice.group()!r} "
                                      f"in {sentence!r}); wom-sdk never writes reviews")
    point_terms: set[str] = set()
    numbers: set[str] = set()
    for p in points:
        point_terms |= _terms(p.theme)
        for q in p.quotes:
            point_terms |= _terms(q.text)
            numbers.update(_NUMBER.findall(unicodedata.normalize("NFKC", q.text)))
    vocab = point_terms | (_terms(product) if product else set())
    if product:  # "Book 14" may be named: its number is no claim
        numbers.update(_NUMBER.findall(unicodedata.normalize("NFKC", product)))
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for sentence in sentences:
        problem = _problem(sentence, points, vocab, point_terms, numbers)
        if problem is None:
            kept.append(sentence)
        else:
            dropped.append((sentence, problem))
    refused = None if kept else "no sentence of the draft is supported by the praised points"
    return DraftCheck(tuple(kept), tuple(dropped), refused)


def points_text(points: Sequence[HighlightPoint], max_chars: int) -> str:
    """The points as the model sees them, cut (last quotes first) to ``max_chars``."""
    quotes = [list(p.quotes) for p in points]

    def render() -> str:
        lines = []
        for i, (p, qs) in enumerate(zip(points, quotes, strict=True), start=1):
            lines.append(f"Point {i}: {p.theme} (praised in {p.reviews} reviews)")
            lines += [f"- “{q.text}”" for q in qs]
        return "\n".join(lines)

    text = render()
    while len(text) > max_chars and any(len(qs) > 1 for qs in quotes):
        longest = max(range(len(quotes)), key=lambda i: (len(quotes[i]), i))
        quotes[longest].pop()
        text = render()
    return text


def _join(sentences: Sequence[str], language: str | None) -> str:
    return ("" if language in ("zh", "ja") else " ").join(sentences)


def draft_description(group: HighlightGroup, analyzer: ReviewAnalyzer, *,
                      points: int = DEFAULT_DRAFT_POINTS) -> Draft:
    """Ask ``analyzer``'s model for a description of ``group``'s top points, and check it.

    A model that gives no usable answer (an ``OutputError``: invalid, refused,
    filtered) makes a refused draft; endpoint errors (``APIError``) propagate.
    """
    chosen = group.points[:points]
    if not chosen:
        return Draft(group.name, None, None, (), (), "no praised point has enough quotes", 0)
    text = points_text(chosen, analyzer.max_review_chars)
    shown = {q.review_id for p in chosen for q in p.quotes if f"“{q.text}”" in text}
    # The analyzer's own pipeline (cleaning, redaction, output modes, retries,
    # validation): the draft task is one row of _tasks.TASKS, sent like any other.
    try:
        out = analyzer._do(analyzer._prepare("draft", text, product=group.name))
    except OutputError as e:
        return Draft(group.name, None, None, (), (), f"the model gave no usable draft "
                     f"({e.kind}: {e.message})", len(shown))
    check = check_draft(out.description, chosen, product=group.name)
    body = _join(check.kept, out.language) if check.refused is None else None
    return Draft(group.name, body, out.language, check.kept, check.dropped, check.refused,
                 len(shown))
