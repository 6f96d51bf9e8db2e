"""Bytes of an input file to text: which encoding, and is it text at all?

Shops export reviews in whatever their platform or Excel writes: UTF-8 with or
without a BOM, GBK / GB18030 (Excel's default on Chinese Windows), Big5
(Traditional Chinese Windows), UTF-16 with a BOM (Excel's "Unicode text", a
TSV). Reading such a file as UTF-8 with replacement sends mojibake to the model
and pays for it, so the encoding is settled before any row is read:

1. ``--encoding`` / ``encoding=`` when given (an unknown name is an error);
2. else a byte-order mark (UTF-8, UTF-16, UTF-32), or the NUL pattern of
   UTF-16 without one;
3. else UTF-8, when (nearly) all of the file decodes as UTF-8;
4. else the best guess of ``charset-normalizer`` on the first 256 KiB, with ties
   broken in favour of what shops export (GB18030, Big5, Windows-1252, ...).

The choice is then checked against the **whole** file (a streaming pass that
keeps one chunk in memory; decoding runs at hundreds of MB/s, so a 25 MB file
costs a few tens of milliseconds). The rule: at most one undecodable byte
per ten non-ASCII characters that decode. Within it, the few bad bytes (a
truncated character in an old export) each become one U+FFFD, counted in the
summary; beyond it, the next candidate is tried, and when none is left the file
is refused before any request, naming the encodings tried. (GBK read as UTF-8
fails far beyond the rule; a UTF-8 export with a cut character stays well within it.)
Standard input cannot be read twice: there the first 256 KiB decide, and what
comes after is decoded leniently (each bad byte replaced and counted).

Binary files (an image renamed ``.txt``, a zip, a PDF, an old ``.xls``) are
recognised by their signature or by NUL and control bytes, and refused the same way.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from .._exceptions import InputError

__all__ = [
    "HEAD_BYTES",
    "TextEncoding",
    "binary_kind",
    "choose_encoding",
    "file_chunks",
    "repaired_lines",
    "text_stream",
]

#: Bytes looked at for signatures and for the detector (and all stdin can give).
HEAD_BYTES = 1 << 18
_CHUNK = 1 << 18
#: Non-ASCII characters that must decode for each one that does not.
_GOOD_PER_BAD = 10
#: Bad bytes beyond the rule after which a check stops counting (the verdict is in).
_HOPELESS = 1000

#: First bytes of files that are certainly not text, and what to tell the user.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook is one: name it .xlsx or give "
                    "--format xlsx)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls (or other Office 97-2003) "
                                          "file: save it as .xlsx or CSV"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program (ELF)"),
)
#: Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 (with BOM)"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
#: A detector's guess -> the superset Windows and Excel actually write (GBK text
#: often holds characters GB2312 lacks; Big5 exports are Microsoft's cp950).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950",
              "shift_jis": "cp932", "euc_kr": "cp949", "latin_1": "cp1252",
              "iso8859_1": "cp1252", "ascii": "utf-8"}
#: When the detector scores several encodings the same, what shops export wins.
_PREFERRED = ("gb18030", "cp950", "big5", "cp1252", "cp932", "cp949", "utf_16")
#: Multi-byte encodings: their scores are told apart well, no nudging among them.
_MULTIBYTE = frozenset({"gb18030", "gbk", "gb2312", "big5", "cp950", "big5hkscs", "cp932",
                        "shift_jis", "euc_jp", "euc_kr", "cp949", "johab", "hz", "utf_8",
                        "utf_16", "utf_32", "iso2022_jp", "iso2022_kr"})
#: How much more "chaos" (charset-normalizer's mess score) Windows-1252 may have and win.
_NEAR = 0.1
#: Control bytes that text files do not contain (tab, newlines, form feed, ESC, ^Z allowed).
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_ESCAPED = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class TextEncoding:
    """How a text input is decoded."""

    #: Python codec name (``utf-8-sig``, ``utf-16``, ``gb18030``, ...)
    codec: str
    #: what the user is told (``UTF-8``, ``GB18030 (GBK)``, ...)
    label: str
    #: whether it was detected (not given with ``--encoding``)
    detected: bool = True
    #: the file holds a few undecodable bytes (within the rule): replace and count them
    damaged: bool = False


def _label(codec: str) -> str:
    name = codecs.lookup(codec).name
    return {"gb18030": "GB18030 (GBK)", "cp950": "Big5 (cp950)", "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}.get(name, name.upper())


def binary_kind(head: bytes) -> str | None:
    """What a non-text file is ("a PNG image", ...), or None when it may be text."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if _utf16_without_bom(head) or any(head.startswith(b) for b, _, _ in _BOMS):
        return None
    sample = head[:65536]
    if b"\x00" in sample:
        return "a binary file (it contains NUL bytes)"
    if sample and len(_CONTROL.findall(sample)) > len(sample) // 100:
        return "a binary file (it contains control bytes)"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    # ASCII-heavy UTF-16 (headers, ids, numbers) has a NUL in every other byte.
    sample = head[: 4096 - (len(head[:4096]) % 2)]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


# -- checking an encoding against the bytes ---------------------------------------------------
@dataclass
class _Damage:
    bad: int = 0  # undecodable bytes
    nonascii: int = 0  # non-ASCII characters decoded (the bad ones included)
    first_line: int | None = None  # line of the first bad byte
    complete: bool = True  # False: counting stopped early (``_HOPELESS``)

    @property
    def counted(self) -> str:
        return f"{self.bad:,}" if self.complete else f"more than {self.bad:,}"

    @property
    def acceptable(self) -> bool:
        return self.bad * _GOOD_PER_BAD <= self.nonascii - self.bad


def _errors_for(codec: str) -> str:
    # surrogateescape keeps each bad byte apart (to count, then replace); the
    # UTF-16/32 decoders cannot escape bytes below 128, so they replace outright.
    return "replace" if codecs.lookup(codec).name.startswith("utf-16") or \
        codecs.lookup(codec).name.startswith("utf-32") else "surrogateescape"


def _measure(chunks: Iterator[bytes], codec: str) -> _Damage:
    """Decode ``chunks`` with ``codec``, counting what does not decode."""
    errors = _errors_for(codec)
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    damage = _Damage()
    lines = 0
    final = False
    while not final:
        chunk = next(chunks, None)
        final = chunk is None
        text = decoder.decode(chunk or b"", final=final)
        if text.isascii():
            lines += text.count("\n")
            continue
        damage.nonascii += len(text) - len(text.encode("ascii", "ignore"))
        # subn, not findall: a chunk of GBK read as UTF-8 holds 100,000s of escapes.
        bad = (text.count("\ufffd") if errors == "replace"
               else _ESCAPED.subn("", text)[1])
        if bad and damage.first_line is None:
            where = (text.find("\ufffd") if errors == "replace"
                     else _ESCAPED.search(text).start())  # type: ignore[union-attr]
            damage.first_line = lines + text.count("\n", 0, where) + 1
        damage.bad += bad
        lines += text.count("\n")
        if damage.bad > _HOPELESS and not damage.acceptable:
            damage.complete = False  # far beyond the rule already: the verdict is in
            break
    return damage


def file_chunks(path: str) -> Iterator[bytes]:
    """The bytes of a file, a chunk at a time (what ``choose_encoding`` checks)."""
    with open(path, "rb") as fh:
        yield from iter(lambda: fh.read(_CHUNK), b"")


def _detect(head: bytes) -> str | None:
    """The detector's guess for text that is not UTF-8, or None when it has none."""
    from charset_normalizer import from_bytes

    # Cut at the last newline: a character split by the cut would count as damage.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 else head
    matches = list(from_bytes(sample))
    if not matches:
        return None
    best = matches[0]
    ties = [m.encoding for m in matches
            if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    for name in _PREFERRED:
        if name in ties:
            return _SUPERSETS.get(name, name)
    if best.encoding not in _MULTIBYTE:
        # On a few lines of accented Latin text the detector's scores barely differ
        # between code pages; Windows-1252 is what Western shops and Excel write.
        near = [m for m in matches if m.encoding in ("cp1252", "latin_1", "iso8859_1")
                and m.chaos <= best.chaos + _NEAR]
        if near:
            return "cp1252"
    return _SUPERSETS.get(best.encoding, best.encoding)


def choose_encoding(name: str, head: bytes, *, given: str | None = None,
                    whole: Callable[[], Iterator[bytes]] | None = None) -> TextEncoding:
    """The encoding of a text input whose first bytes are ``head``; refuses what is not text.

    ``whole()`` streams every byte of the input (a file); without it (standard
    input) only ``head`` is checked.
    """
    def measure(codec: str) -> _Damage:
        return _measure(whole() if whole is not None else iter([head]), codec)

    if given is not None:
        try:
            codec = codecs.lookup(given).name
        except LookupError:
            raise InputError(f"unknown encoding {given!r} (e.g. utf-8, gb18030, big5, "
                             "utf-16, cp1252)") from None
        kind = binary_kind(head)
        if kind is not None and not codec.startswith(("utf-16", "utf-32")):
            raise _binary(name, kind)
        if codec == "utf-8":
            codec = "utf-8-sig"  # a BOM is not part of the first column's name
        return _checked(name, codec, measure(codec), detected=False)
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            return _checked(name, codec, measure(codec), label=label)
    kind = binary_kind(head)
    if kind is not None:
        raise _binary(name, kind)
    bomless = _utf16_without_bom(head)
    if bomless is not None:
        return _checked(name, bomless, measure(bomless))
    utf8 = measure("utf-8")
    if utf8.acceptable:
        return TextEncoding("utf-8", "UTF-8", damaged=utf8.bad > 0)
    guess = _detect(head)
    tried = ["UTF-8"]
    if guess is not None and codecs.lookup(guess).name != "utf-8":
        damage = measure(guess)
        if damage.acceptable:
            return TextEncoding(guess, _label(guess), damaged=damage.bad > 0)
        tried.append(_label(guess))
    at = f" (the first at line {utf8.first_line})" if utf8.first_line else ""
    other = (f"it is not {tried[1]} either" if len(tried) > 1
             else "the detector recognised no other text encoding")
    raise InputError(
        f"{name}: cannot tell its text encoding: {utf8.counted} byte(s) are not valid "
        f"UTF-8{at}, and {other} (tried: {', '.join(tried)}). Nothing was sent. Give the "
        "encoding with --encoding (e.g. gb18030, big5, utf-16, cp1252)")


def _checked(name: str, codec: str, damage: _Damage, *, detected: bool = True,
             label: str | None = None) -> TextEncoding:
    label = label or _label(codec)
    if not damage.acceptable:
        at = f", the first at line {damage.first_line}" if damage.first_line else ""
        hint = ("" if detected else
                "; without --encoding the encoding is detected")
        raise InputError(f"{name} is not {label} text: {damage.counted} byte(s) cannot be "
                         f"decoded as {label}{at}. Nothing was sent{hint}")
    return TextEncoding(codec, label, detected=detected, damaged=damage.bad > 0)


def _binary(name: str, kind: str) -> InputError:
    return InputError(f"{name} is {kind}, not text: nothing was sent. wom reads CSV, TSV, "
                      "JSON Lines, text (a review a line) and .xlsx")


# -- decoding ---------------------------------------------------------------------------------
class _Prefixed(io.RawIOBase):
    """``head`` and then the rest of ``stream``: standard input after its head was read."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def text_stream(stream: IO[bytes], encoding: TextEncoding, *, head: bytes | None = None,
                lenient: bool = False) -> io.TextIOWrapper:
    """``stream`` decoded; ``head`` (already read from it) comes first.

    ``newline=""`` keeps line ends as they are, which the csv module needs for
    quoted newlines, and splits on ``\\r\\n``, ``\\n`` and a lone ``\\r`` alike.
    """
    raw: IO[bytes] = stream
    if head is not None:
        raw = io.BufferedReader(_Prefixed(head, stream))
    errors = _errors_for(encoding.codec) if (encoding.damaged or lenient) else "strict"
    return io.TextIOWrapper(raw, encoding=encoding.codec, errors=errors,
                            newline="")


def repaired_lines(lines: Iterator[str], on_replaced: Callable[[int], None]) -> Iterator[str]:
    """Lines with each escaped bad byte turned into U+FFFD, and counted."""
    for line in lines:
        if not line.isascii():
            line, n = _ESCAPED.subn("\ufffd", line)
            if n:
                on_replaced(n)
        yield line
