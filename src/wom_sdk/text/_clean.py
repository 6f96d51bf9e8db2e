"""Review text cleaning: what the model sees is visible, plain, bounded text.

Defends against: invisible characters used to hide instructions from a human
reader or a keyword filter (control characters, zero-width spaces and joiners,
the BOM, bidi overrides and isolates, soft hyphens, Unicode "tag" characters
and runs of variation selectors that smuggle ASCII), HTML whose hidden parts
(``<script>``, ``<style>``, comments, attributes such as ``alt``, elements
marked ``hidden`` or ``display:none``) a shopper never saw, blank input, and
reviews long enough to crowd a small context window.

Does not defend against: visible instructions ("ignore previous
instructions..."), look-alike letters (Cyrillic "а" for Latin "a"), or text
made invisible by colour or position in CSS other than the cases above; those
are for the prompt's boundaries and for ``_guard``. The text is deliberately
not NFKC-normalized: quotes are reported in the reviewer's own characters.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from dataclasses import dataclass
from html.entities import html5
from html.parser import HTMLParser

from .._exceptions import InvalidReviewError

__all__ = [
    "DEFAULT_MAX_CHARS",
    "CleanedReview",
    "clean_review",
    "decode_bytes",
    "strip_invisible",
]

#: Reviews longer than this are cut: about 3-4k tokens of Chinese, which leaves
#: room for the prompt and the answer in an 8k context window.
DEFAULT_MAX_CHARS = 6000

# Raw HTML past this many characters is not parsed; the parser is fast but its
# cost is paid before truncation, and a page 16x longer than the limit (or at
# least 100k characters) is markup, not a review.
_HTML_PARSE_LIMIT_FACTOR = 16
_HTML_PARSE_LIMIT_MIN = 100_000

# C0 except \t and \n (\r is turned into \n first), DEL, C1, lone surrogates,
# and format characters that render as nothing: soft hyphen, Mongolian vowel
# separator, ZWSP/ZWNJ/LRM/RLM, bidi embeddings/overrides/isolates, word
# joiner and invisible operators, BOM, interlinear annotation, musical format
# controls, Hangul fillers, the combining grapheme joiner and tag characters.
_INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u180e"
    "\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb\ud800-\udfff"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)
_ZWJ_RE = re.compile("\u200d")
# One variation selector after a character picks its presentation (emoji vs
# text, CJK glyph variant); a run of them carries hidden bytes.
_VS_RUN_RE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{2,}")
_NEWLINES_RE = re.compile("\r\n?|[\u2028\u2029\x85]")
_TRAILING_SPACE_RE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_HSPACE_RUN_RE = re.compile(r"[ \t\f\v]+")

_TAG_NAMES = (
    "a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|big|blockquote|body|br|button|"
    "caption|center|cite|code|col|colgroup|dd|del|details|dfn|dialog|div|dl|dt|em|embed|"
    "fieldset|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|"
    "input|ins|kbd|label|legend|li|link|main|mark|meta|nav|noscript|object|ol|optgroup|"
    "option|p|param|picture|pre|q|s|samp|script|section|select|small|source|span|strike|"
    "strong|style|sub|summary|sup|svg|table|tbody|td|template|textarea|tfoot|th|thead|"
    "title|tr|tt|u|ul|var|video|wbr"
)
# Known tag names only: "I <3 it" and "a <b and c> d" style text that merely
# contains angle brackets is rare, but "<p>" / "<br/>" from a scraped page is common.
_TAG_RE = re.compile(rf"<!--|</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_FALLBACK_TAG_RE = re.compile(r"<[^<>]*>")
# A "<" that does not open a complete tag before the next "<" is text. Escaping
# it up front keeps html.parser linear: on Python < 3.13.4 / 3.12.11 it rescans
# the rest of the input for every such "<" (60 KB of "<a " took ~50 s).
_STRAY_LT_RE = re.compile(r"<(?![/!?]?[A-Za-z][^<>]*>)")
# "<!" that opens no comment starts a bogus comment, which a browser hides up to the
# next ">": Word/Outlook's "<![if !supportLists]>", "<![endif]>", "<![CDATA[...]]>".
# https://html.spec.whatwg.org/multipage/parsing.html#markup-declaration-open-state
# Stopping at "<" too keeps the pass linear (and "<!" before a tag is then only text).
_BOGUS_COMMENT_RE = re.compile(r"<![^<>]*>")
_HIDDEN_STYLE_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.0-9])", re.IGNORECASE
)

_DROP_CONTENT = frozenset({"script", "style", "noscript", "template", "head", "title", "iframe",
                           "object", "svg", "textarea", "select"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "wbr"})
_BLOCK = frozenset({"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5",
                    "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer",
                    "dd", "dt", "dl", "figure", "figcaption", "address", "details", "summary",
                    "main", "nav", "aside", "form", "fieldset", "center", "dialog"})

_SENTENCE_END = frozenset("。！？!?.…;；\n")
_ALWAYS_SENTENCE_END = frozenset("。！？…；\n")
# How far back from the limit a boundary is looked for: far enough to find a
# sentence end in ordinary prose, near enough that little is lost.
_BOUNDARY_WINDOW = 300


@dataclass(frozen=True)
class CleanedReview:
    """A review ready for a prompt, and what cleaning did to it."""

    text: str
    truncated: bool
    #: length of the input in characters, before cleaning
    original_length: int
    #: invisible/control characters removed
    removed_control_chars: int
    #: the input looked like HTML and was reduced to its visible text
    html_stripped: bool


def clean_review(text: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> CleanedReview:
    """Clean a review for analysis.

    In order: line breaks become ``\n``; text that looks like HTML (a known tag)
    is reduced to what a browser shows, text with only entities is unescaped;
    control and invisible characters are removed; trailing spaces are dropped
    and two or more blank lines become one; the text is stripped and, if still
    too long, cut at ``max_chars``. Nothing is NFKC-normalized.

    Args:
        text: the review as the customer wrote it (or as scraped).
        max_chars: longer text is cut at a sentence or word boundary near the limit.

    Raises:
        InvalidReviewError: the text is empty or blank once cleaned.
    """
    if not isinstance(text, str):
        raise InvalidReviewError(
            f"review text must be str, not {type(text).__name__}"
            + ("; decode bytes with wom_sdk's decode_bytes() first" if isinstance(
                text, bytes | bytearray) else "")
        )
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    original_length = len(text)
    out = _NEWLINES_RE.sub("\n", text)

    truncated = False
    html_stripped = False
    if _TAG_RE.search(out):
        limit = max(max_chars * _HTML_PARSE_LIMIT_FACTOR, _HTML_PARSE_LIMIT_MIN)
        if len(out) > limit:
            out, truncated = out[:limit], True
        out = _html_to_text(out)
        html_stripped = True
    elif _has_entity(out):
        out = html.unescape(out)
        html_stripped = True

    # After HTML: entities such as "&#8203;" decode to the very characters removed here.
    out, removed = strip_invisible(out)
    out = _TRAILING_SPACE_RE.sub("", out)
    out = _BLANK_LINES_RE.sub("\n\n", out).strip()
    if not out:
        raise InvalidReviewError(_blank_message(original_length, removed, html_stripped))
    if len(out) > max_chars:
        out, truncated = _truncate(out, max_chars), True
    return CleanedReview(out, truncated, original_length, removed, html_stripped)


def _blank_message(length: int, removed: int, html_stripped: bool) -> str:
    if length == 0:
        return "review text is empty"
    detail = []
    if removed:
        detail.append(f"{removed} invisible/control character(s) removed")
    if html_stripped:
        detail.append("HTML markup removed")
    why = f" ({'; '.join(detail)})" if detail else ""
    return f"review text is blank: nothing visible is left to analyze{why}"


def strip_invisible(text: str) -> tuple[str, int]:
    """Remove control and invisible format characters; return the text and how many.

    A zero-width joiner is kept between two symbols, where it builds an emoji
    sequence (family, profession, flag); anywhere else it only hides text.
    """
    out, removed = _INVISIBLE_RE.subn("", text)
    if "\u200d" in out:
        kept_zwj = 0

        def zwj(m: re.Match[str]) -> str:
            nonlocal kept_zwj
            s, i = m.string, m.start()
            if 0 < i < len(s) - 1 and _emoji_like(s[i - 1]) and _emoji_like(s[i + 1]):
                kept_zwj += 1
                return "\u200d"
            return ""

        total = out.count("\u200d")
        out = _ZWJ_RE.sub(zwj, out)
        removed += total - kept_zwj

    def first_only(m: re.Match[str]) -> str:
        nonlocal removed
        removed += len(m.group()) - 1
        return m.group()[0]

    out = _VS_RUN_RE.sub(first_only, out)
    return out, removed


def _emoji_like(ch: str) -> bool:
    # Symbols (So), skin-tone modifiers (Sk) and the emoji presentation selector.
    return ch == "\ufe0f" or unicodedata.category(ch) in ("So", "Sk")


def _has_entity(text: str) -> bool:
    for m in _ENTITY_RE.finditer(text):
        name = m.group()[1:]
        # Numeric references always decode; a named one only if HTML knows it
        # ("&amp;" yes, "Tom&Jerry;" no).
        if name.startswith("#") or name in html5:
            return True
    return False


class _TextExtractor(HTMLParser):
    """Collects the text a browser would show; drops everything else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_tag: str | None = None
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        if tag in _DROP_CONTENT or _is_hidden(attrs):
            if tag not in _VOID:
                self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "br" or tag in _BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_tag is not None:
            if tag == self._skip_tag:
                self._skip_depth -= 1
                if self._skip_depth == 0:
                    self._skip_tag = None
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_tag is None:
            self.parts.append(data)


def _is_hidden(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if name == "hidden" or (name == "aria-hidden" and value == "true"):
            return True
        if name == "style" and value and _HIDDEN_STYLE_RE.search(value):
            return True
    return False


def _defuse(markup: str) -> str:
    """Drop comments and bogus comments, escape stray "<": one linear pass each."""
    parts: list[str] = []
    pos = 0
    while True:
        start = markup.find("<!--", pos)
        if start < 0:
            parts.append(markup[pos:])
            break
        parts.append(markup[pos:start])
        end = markup.find("-->", start + 4)
        if end < 0:
            break  # an unclosed comment runs to the end, as in a browser
        pos = end + 3
    return _STRAY_LT_RE.sub("&lt;", _BOGUS_COMMENT_RE.sub("", "".join(parts)))


def _html_to_text(markup: str) -> str:
    markup = _defuse(markup)
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except (AssertionError, ValueError):
        # html.parser still raises on a few malformed declarations ("<![if"),
        # an AssertionError on older Pythons; fall back to dropping anything tag-like.
        text = html.unescape(_FALLBACK_TAG_RE.sub(" ", markup))
    # Source formatting is not content: collapse indentation and spaces on each line.
    lines = (_HSPACE_RUN_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines)


def _truncate(text: str, max_chars: int) -> str:
    """Cut to at most ``max_chars``, preferring a sentence end, then a space."""
    lo = max(1, max_chars - min(_BOUNDARY_WINDOW, max_chars // 5))
    for cut in range(max_chars, lo - 1, -1):
        ch = text[cut - 1]
        if ch in _ALWAYS_SENTENCE_END:
            return text[:cut].rstrip()
        # "." "!" "?" end a sentence only before a space: not in "3.5" or "e.g".
        if ch in _SENTENCE_END and text[cut].isspace():
            return text[:cut].rstrip()
    for cut in range(max_chars, lo - 1, -1):
        if text[cut].isspace() and not text[cut - 1].isspace():
            return text[:cut].rstrip()
    # No boundary (a long CJK run or an emoji flood): cut hard, but not inside
    # a character sequence (combining marks, variation selectors, ZWJ emoji).
    cut = max_chars
    while cut > lo and _continues(text[cut - 1], text[cut]):
        cut -= 1
    return text[:cut].rstrip() or text[:max_chars]


def _continues(before: str, after: str) -> bool:
    if before == "\u200d" or after == "\u200d":
        return True
    return unicodedata.category(after) in ("Mn", "Mc", "Me", "Sk") or "\ufe00" <= after <= "\ufe0f"


def decode_bytes(data: bytes) -> tuple[str, int]:
    """Decode file contents: UTF-8 (a BOM is dropped), or UTF-16 when it starts with its BOM.

    Invalid sequences become U+FFFD; returns the text and how many were replaced,
    so a caller can warn (a GBK/GB18030 file read as UTF-8 gives a large count).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_utf16(data)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    text = data.decode("utf-8", errors="replace")
    # Every replacement is a U+FFFD the input did not encode itself; an encoded
    # U+FFFD (EF BF BD) is always a complete sequence, never part of an error.
    return text, text.count("\ufffd") - data.count(b"\xef\xbf\xbd")


def _decode_utf16(data: bytes) -> tuple[str, int]:
    # Excel's "Unicode text" export is UTF-16 with a BOM. With "surrogatepass"
    # unpaired surrogates come through as themselves and can be counted.
    codec = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    body = data[2:]
    odd = len(body) % 2
    text = body[: len(body) - odd].decode(codec, errors="surrogatepass")
    bad = 0
    chars = []
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            chars.append("\ufffd")
            bad += 1
        else:
            chars.append(ch)
    if odd:
        chars.append("\ufffd")
        bad += 1
    return "".join(chars), bad
